"""Per scene (issue 39): a corrector of OIDN trained on the scene's pairs against the U-Net that
corrects OIDN (``train --prior oidn``), the same pairs and the same minutes, on a view kept out.

    python benchmarks/correct_scene.py --minutes 2      # five scenes, about 25 minutes

For each scene it renders 8 jittered views of 2 pairs of 4 spp (box filter, ~65536 px; seed 1,
cached under benchmarks/cache/) and trains on them for --minutes each: ``train --corrector`` and
``train --prior oidn`` (from the bundled base). Both denoise the quality benchmark's test view
(seed 1000, its 2048 spp reference), which no training saw, beside OIDN 2.5 on that frame.
Scenes in --held-out were kept out of all tuning: their rows are reported apart.
Writes OUT/correct_scene.json and its tables OUT/tables/correct_scene.json (benchmarks/table.py).
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

from correct import HELD_OUT, SCENES, TEST_SEED, TUNING
from table import Provenance, Table, Tables, source_of, write_tables

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.train_corrector import train_corrector
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t, rel_mse
from mcdenoise.render.job import render_pairs

HERE = Path(__file__).resolve().parent
ROWS = ("OIDN 2.5", "corrector", "U-Net --prior oidn")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=TUNING, help="scenes used in tuning")
    parser.add_argument("--held-out", nargs="*", default=HELD_OUT, help="scenes kept out of all tuning, reported apart")
    parser.add_argument("--minutes", type=float, default=2.0, help="each model's training budget")
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "correct_scene")
    return parser.parse_args(argv)


def score_scene(scene: str, args, held_out: bool) -> dict:
    """One scene's record: each row's PSNR_T and relMSE on the test view, and the training steps."""
    root = args.cache / f"{scene}-{args.pixels}px" / "box"
    common = {"pixels": args.pixels, "pixel_filter": "box"}
    xml = SCENES / scene / "scene.xml"
    render_pairs(xml, root / "test", PairJob(seed=TEST_SEED, reference_spp=args.reference_spp, views=1, pairs=1, **common))
    render_pairs(xml, root / "scene-pairs", PairJob(views=8, pairs=2, seed=1, **common))
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    frame = read_exr(root / "test" / frame_name(0, 0, "a"))
    models = args.cache / "correct_scene_models"  # not results: a few MB each
    config = TrainConfig(minutes=args.minutes, score_seconds=float("inf"))
    started = time.monotonic()
    corrector = train_corrector([root / "scene-pairs"], models / f"{scene}-corrector.pt", config, restart=True)
    corrector_seconds = time.monotonic() - started
    unet = train([root / "scene-pairs"], models / f"{scene}-unet.pt", config, features=FeatureSet(prior="oidn"), restart=True)
    outputs = {
        ROWS[0]: oidn_denoise(frame.stack(COLOR), frame.stack(ALBEDO), frame.stack(NORMAL)),
        ROWS[1]: Denoiser.load(models / f"{scene}-corrector.pt").denoise_frame(frame),
        ROWS[2]: Denoiser.load(models / f"{scene}-unet.pt", device="cpu").denoise_frame(frame),
    }
    return {
        "scene": scene,
        "held_out": held_out,
        "steps": {ROWS[1]: corrector.step, ROWS[2]: unet.step},
        "seconds": {ROWS[1]: corrector_seconds},
        "rows": {name: {"psnr_t": psnr_t(image, reference), "rel_mse": rel_mse(image, reference)} for name, image in outputs.items()},
    }


def _against(row: dict, oidn: dict) -> str:
    return f"{row['psnr_t'] - oidn['psnr_t']:+.2f} / {row['rel_mse'] / oidn['rel_mse']:.2f}x"


def tables(records: list[dict], minutes: float, provenance: Provenance) -> Tables:
    """PSNR_T and relMSE per scene and row, and each against OIDN."""
    label = {r["scene"]: r["scene"] + (" (held out)" if r["held_out"] else "") for r in records}
    quality = Table(
        f"PSNR_T, dB / relMSE on the test view, after {minutes:g} minutes of training each",
        ("scene", *ROWS, "steps (corrector / U-Net)"),
        tuple(
            (
                label[r["scene"]],
                *(f"{r['rows'][n]['psnr_t']:.2f} / {r['rows'][n]['rel_mse']:.4f}" for n in ROWS),
                f"{r['steps'][ROWS[1]]} / {r['steps'][ROWS[2]]}",
            )
            for r in records
        ),
    )
    against = Table(
        "Against OIDN: PSNR_T difference, dB, and relMSE ratio",
        ("scene", *(f"{n}: dB / relMSE" for n in ROWS[1:])),
        tuple(
            (
                label[r["scene"]],
                *(_against(r["rows"][n], r["rows"][ROWS[0]]) for n in ROWS[1:]),
            )
            for r in records
        ),
    )
    return Tables("A scene's corrector against the U-Net that corrects OIDN (issue 39)", provenance, (quality, against))


def main(argv=None) -> None:
    args = parse_args(argv)
    records = []
    for scene, held_out in [(s, False) for s in args.scenes] + [(s, True) for s in args.held_out]:
        print(f"== {scene}{' (held out)' if held_out else ''}", flush=True)
        records.append(score_scene(scene, args, held_out))
    command = "python benchmarks/correct_scene.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command, "records": records}
    (args.out / "correct_scene.json").write_text(json.dumps(record, indent=1) + "\n")
    provenance = Provenance.of(record, *source_of(args.out, "correct_scene.json"))
    write_tables(args.out, "correct_scene", tables(records, args.minutes, provenance))


if __name__ == "__main__":
    main()
