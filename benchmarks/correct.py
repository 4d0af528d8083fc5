"""The per-frame corrector (issue 39): a frame as two 2 spp halves, corrected, against OIDN on the 4 spp frame.

    python benchmarks/correct.py --scenes mitsuba_cbox mitsuba_docs_glass mitsuba_docs_normalmap

For each scene's own camera (box filter, ~65536 px; the quality benchmark's test view and its
2048 spp reference, cached under benchmarks/cache/ and shared with quality.py) it renders the
frame again as two 2 spp halves with seeds of their own, and scores on the reference:

- OIDN 2.5 on the 4 spp frame (the peer), and on each half, averaged;
- the corrector (:mod:`mcdenoise.denoise.correct`) fitted to the two halves with OIDN's output of
  each, its corrected halves averaged, and the same corrector applied to the 4 spp frame's inputs;
- the corrector fitted with a quarter of the frame's tiles held out of its loss, kept only where it
  is ahead of OIDN on them (:func:`~mcdenoise.denoise.correct.correct_halves`);
- the reference-free estimate beside the truth: each half's OIDN output and its corrected output
  against the other half (:func:`~mcdenoise.denoise.correct.held_out_error`), and their relMSE.

Writes OUT/correct.json and its tables OUT/tables/correct.json (benchmarks/table.py).
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

from table import Provenance, Table, Tables, source_of, write_tables

from mcdenoise.config import PairJob
from mcdenoise.denoise.correct import Corrector, Half, correct_halves, held_out_error
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.metrics import psnr_t, rel_mse
from mcdenoise.render.job import render_pairs

HERE = Path(__file__).resolve().parent
SCENES = HERE.parent.parent / "shared" / "scenes"
#: The quality benchmark's test view: its seed, and the halves' seed, of their own.
TEST_SEED, HALVES_SEED = 1000, 6000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=["mitsuba_cbox", "mitsuba_docs_glass", "mitsuba_docs_normalmap"])
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=100, help="the corrector's training steps")
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--radius", type=int, default=5, help="the kernel's window is (2 * RADIUS + 1)² pixels")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "correct")
    return parser.parse_args(argv)


def half_of(frame: Frame, denoised) -> Half:
    """A frame's color, features and denoised color, as the corrector reads them."""
    return Half(frame.stack(COLOR), denoised, frame.stack(ALBEDO), frame.stack(NORMAL))


def oidn(frame: Frame):
    """OIDN 2.5 high on the frame, with its albedo and normal."""
    return oidn_denoise(frame.stack(COLOR), frame.stack(ALBEDO), frame.stack(NORMAL))


def score_scene(scene: str, args) -> dict:
    """One scene's record: each row's PSNR_T, relMSE and seconds, and the held-out estimates."""
    root = args.cache / f"{scene}-{args.pixels}px" / "box"
    common = {"pixels": args.pixels, "pixel_filter": "box", "views": 1, "pairs": 1}
    xml = SCENES / scene / "scene.xml"
    render_pairs(xml, root / "test", PairJob(seed=TEST_SEED, reference_spp=args.reference_spp, **common))
    render_pairs(xml, root / "halves", PairJob(spp=2, seed=HALVES_SEED, **common))
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    frame = read_exr(root / "test" / frame_name(0, 0, "a"))
    a, b = (read_exr(root / "halves" / frame_name(0, 0, side)) for side in "ab")
    rows, seconds = {}, {}
    started = time.monotonic()
    rows["OIDN 2.5, 4 spp frame"] = whole = oidn(frame)
    seconds["OIDN 2.5, 4 spp frame"] = time.monotonic() - started
    started = time.monotonic()
    first, second = half_of(a, oidn(a)), half_of(b, oidn(b))
    rows["OIDN 2.5, halves"] = (first.denoised + second.denoised) / 2
    seconds["OIDN 2.5, halves"] = time.monotonic() - started
    corrector = Corrector(guides=3, radius=args.radius)
    steps = corrector.fit(first, second, steps=args.steps, rate=args.learning_rate)
    corrected = [corrector.correct(half) for half in (first, second)]
    rows["corrected halves"] = (corrected[0] + corrected[1]) / 2
    seconds["corrected halves"] = time.monotonic() - started
    rows["corrected 4 spp frame"] = corrector.correct(half_of(frame, whole))
    seconds["corrected 4 spp frame"] = time.monotonic() - started + seconds["OIDN 2.5, 4 spp frame"]
    started = time.monotonic()
    checked = correct_halves(first, second, steps=args.steps, learning_rate=args.learning_rate, radius=args.radius)
    rows["corrected halves, checked on held-out tiles"] = checked.color
    seconds["corrected halves, checked on held-out tiles"] = time.monotonic() - started + seconds["OIDN 2.5, halves"]
    other = b.stack(COLOR)
    return {
        "scene": scene,
        "steps": steps,
        "checked": {"kept": checked.kept, "estimate": checked.estimate, "denoiser_estimate": checked.denoiser_estimate},
        "rows": {
            name: {"psnr_t": psnr_t(image, reference), "rel_mse": rel_mse(image, reference), "seconds": seconds[name]}
            for name, image in rows.items()
        },
        "held_out": {
            name: {"estimate": held_out_error(image, other, second.denoised), "rel_mse": rel_mse(image, reference)}
            for name, image in (("OIDN 2.5, half A", first.denoised), ("corrected half A", corrected[0]))
        },
    }


def tables(records: list[dict], provenance: Provenance) -> Tables:
    """PSNR_T / relMSE / seconds per scene and row, and the held-out estimate beside the truth."""
    names = list(records[0]["rows"])
    quality = Table(
        "PSNR_T, dB / relMSE / seconds, on each scene's test view",
        ("scene", *names),
        tuple((r["scene"], *(f"{v['psnr_t']:.2f} / {v['rel_mse']:.4f} / {v['seconds']:.1f}" for v in r["rows"].values())) for r in records),
    )
    held = Table(
        "The reference-free estimate (against the other half) and the true relMSE, of half A's outputs",
        ("scene", "OIDN estimate", "OIDN relMSE", "corrected estimate", "corrected relMSE"),
        tuple((r["scene"], *(v for row in r["held_out"].values() for v in (row["estimate"], row["rel_mse"]))) for r in records),
        ("", "{:.5f}", "{:.5f}", "{:.5f}", "{:.5f}"),
    )
    kept = tuple(f"{r['scene']}: {'corrected' if r['checked']['kept'] else 'OIDN'} kept" for r in records)
    notes = ("With tiles held out: " + "; ".join(kept) + ".",)
    return Tables("The per-frame corrector (issue 39)", provenance, (quality, held), notes)


def main(argv=None) -> None:
    args = parse_args(argv)
    records = []
    for scene in args.scenes:
        print(f"== {scene}", flush=True)
        records.append(score_scene(scene, args))
    command = "python benchmarks/correct.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command, "records": records}
    (args.out / "correct.json").write_text(json.dumps(record, indent=1) + "\n")
    write_tables(args.out, "correct", tables(records, Provenance.of(record, *source_of(args.out, "correct.json"))))


if __name__ == "__main__":
    main()
