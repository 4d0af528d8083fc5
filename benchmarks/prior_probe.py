"""Probe: how the base that corrects OIDN should be fine-tuned and adapted (issue 20).

    python benchmarks/prior_probe.py                                   # the tuning scenes, default variants
    (the blend=1 variants of the record ran at bf81ea0, before UNetConfig.prior_blend was taken out)
    python benchmarks/prior_probe.py --variants lr=5e-4,limit=1.386 --steps 700 --adapt-steps 300

Each variant (``lr=PEAK,limit=BOUND``: the peak learning rate and the bound of the log
correction, ``UNetConfig.correction_limit``, 0: unbounded) starts from the plain base
made to correct OIDN (``correcting_prior``) and is scored on the box track's cached test
frame of each scene (render it first with ``quality.py --tracks box --adapt 60``):
- ``+ N steps``: fine-tuned with Noise2Noise on the scene's 32 training views for a step budget;
- ``halves + adapt N steps``: the test frame's two 2 spp halves, denoised after adapting to them.
Steps, not minutes, so that variants compare on any machine. Rows against OIDN on the same
frame. Only the tuning scenes by default: the held-out ones (quality.HELD_OUT) are scored
once a variant is chosen, with ``--scenes`` and ``--held-out``.

Writes OUT/prior_probe.json and prints a table.
"""

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np
import pyoidn

from mcdenoise.config import TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.checkpoint import load_checkpoint, save_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.adapt import adapt
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.model import correcting_prior, inference_model
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t, rel_mse

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from quality import HELD_OUT  # noqa: E402

TUNING_SCENES = ("mitsuba_cbox", "mitsuba_docs_glass", "mitsuba_docs_normalmap")
DEFAULT_VARIANTS = ("lr=2e-3,limit=0", "lr=5e-4,limit=0", "lr=2e-3,limit=1.386", "lr=5e-4,limit=1.386")


def parse_variant(text: str) -> dict:
    """``lr=5e-4,limit=1.386`` -> ``{"lr": 0.0005, "limit": 1.386}``."""
    values = dict(part.split("=") for part in text.split(","))
    return {"lr": float(values["lr"]), "limit": float(values.get("limit", 0))}


def scores(image: np.ndarray, reference: np.ndarray) -> dict:
    return {"psnr_t": round(psnr_t(image, reference), 3), "rel_mse": float(rel_mse(image, reference))}


def probe_scene(scene: str, variants: list[str], args) -> dict:
    """Every variant's rows on one scene's box-track test frame."""
    root = args.cache / f"{scene}-65536px" / "box"
    test = read_exr(root / "test" / frame_name(0, 0, "a"))
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    halves = [read_exr(root / "test-halves" / frame_name(0, 0, side)) for side in "ab"]
    features = FeatureSet(prior="oidn")
    oidn = pyoidn.denoise(test.stack(COLOR), test.stack(ALBEDO), test.stack(NORMAL), hdr=True, quality="high")
    rows = {"OIDN 2.5": scores(oidn, reference)}
    start_dir = args.cache / "models" / "prior_probe"
    start_dir.mkdir(parents=True, exist_ok=True)
    for text in variants:
        variant = parse_variant(text)
        start = correcting_prior(load_checkpoint(BASE_MODEL), "oidn", correction_limit=variant["limit"])
        start_path = start_dir / f"start-limit{variant['limit']:g}.pt"
        save_checkpoint(start_path, start)
        if args.steps:
            out = start_dir / f"{scene}-{text.replace(',', '-')}-{args.steps}steps.pt"
            config = TrainConfig(steps=args.steps, learning_rate=variant["lr"], init=str(start_path), score_seconds=float("inf"))
            train([root / "train-1pairs"], out, config, features=features, restart=True, show_progress=True, log=lambda *a: None)
            rows[f"{text} + {args.steps} steps"] = scores(Denoiser.load(out, device="cpu").denoise_frame(test), reference)
        if args.adapt_steps:
            model = inference_model(start, "start", "cpu")
            base = Denoiser(model, features)
            arrays = tuple(features.read(half, name) for half, name in zip(halves, ("a", "b"), strict=True))
            tuned = adapt(model, features, arrays, steps=args.adapt_steps, peak_learning_rate=variant["lr"])
            adapted = Denoiser(tuned, features)
            if "halves" not in rows:
                rows["halves"] = scores(base.denoise_halves(*halves), reference)
            rows[f"{text}, halves + adapt {args.adapt_steps} steps"] = scores(adapted.denoise_halves(*halves), reference)
        print(scene, {k: v["psnr_t"] for k, v in rows.items()}, flush=True)
    return {"scene": scene, "held_out": scene in HELD_OUT, "rows": rows}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=list(TUNING_SCENES))
    parser.add_argument("--held-out", action="store_true", help="allow the held-out scenes (only to confirm a chosen variant)")
    parser.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS))
    parser.add_argument("--steps", type=int, default=700, help="fine-tuning steps (0: no fine-tuning rows)")
    parser.add_argument("--adapt-steps", type=int, default=300, help="adaptation steps (0: no adaptation rows)")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "prior_probe")
    args = parser.parse_args(argv)
    if set(args.scenes) & HELD_OUT and not args.held_out:
        parser.error(f"{', '.join(sorted(set(args.scenes) & HELD_OUT))} are held out of tuning; add --held-out to confirm a chosen variant")
    command = "python benchmarks/prior_probe.py " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command.strip()}
    meta.update(steps=args.steps, adapt_steps=args.adapt_steps)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "prior_probe_held_out.json" if args.held_out else "prior_probe.json"
    records = []
    for scene in args.scenes:  # written after each scene, so that a stopped run keeps what it measured
        records.append(probe_scene(scene, args.variants, args))
        (args.out / name).write_text(json.dumps({**meta, "variants": args.variants, "records": records}, indent=1))
    for record in records:
        oidn = record["rows"]["OIDN 2.5"]
        title = record["scene"] + (" (held out)" if record["held_out"] else "")
        print(f"\n{title}: OIDN {oidn['psnr_t']:.2f} dB, relMSE {oidn['rel_mse']:.4f}")
        for row, value in record["rows"].items():
            print(f"  {row:45s} {value['psnr_t']:7.2f} ({value['psnr_t'] - oidn['psnr_t']:+.2f})  relMSE {value['rel_mse']:.4f}")
    return records


if __name__ == "__main__":
    main()
