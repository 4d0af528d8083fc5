"""Benchmark: denoising Cycles renders (issue 21), against OIDN and against Cycles' own denoiser.

    python benchmarks/blender_quality.py                          # the three scenes, 2 and 10 minutes
    python benchmarks/blender_quality.py --variants box --budgets 2

Each scene is a box built by code (:mod:`mcdenoise.render.scenes.blender_box`; variants box,
glass, metal), rendered with Cycles on the CPU through ``mcdenoise render-pairs``: 32 jittered
views x 4 pairs of 4 spp frames for training, and the scene's own camera at 4 spp with a
high-spp reference for the test. Rows, PSNR_T etc. against the reference:
- noisy 4 spp;
- OIDN 2.5 (pyoidn, high quality, with the frame's albedo and normal);
- Cycles' own denoiser (OpenImageDenoise in Blender, its albedo and normal passes) on the same
  frame: the same seed and spp, rendered again with ``use_denoising`` on, as a Blender user
  would denoise it (the compositor's Denoise node runs the same OIDN on the same passes);
- what ``mcdenoise apply frame.exr`` gives with no model (``--route auto``: OIDN or the plain
  base, chosen by the frame's noise, :mod:`mcdenoise.denoise.route`);
- for each of ``--priors``: the bundled base model of that prior (``base``: the plain one;
  ``base-oidn``: the one that corrects OIDN, made from the plain base to start as OIDN while
  none is bundled), and that base fine-tuned for each budget on the scene's pairs.

Writes OUT/quality.json (the scene records, with the machine, date and command), the run's tables
OUT/tables/blender.json (quality_tables.py; README's blender block shows the first) and OUT/blender.md.
"""

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np
import pyoidn
from quality_tables import quality_tables
from table import Provenance, write_tables

from mcdenoise.config import PairJob, Prior, TrainConfig, choices
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.route import Router
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name, frame_seed
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.train import train
from mcdenoise.metrics import all_metrics
from mcdenoise.render.blender import BlenderRenderer, BlenderScene
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes.blender_box import VARIANTS, build_blender_box

HERE = Path(__file__).parent
TRAIN_SEED, TEST_SEED = 1, 2
TITLE, NOTES = "Blender: Cycles scenes (issue 21)", ("PSNR_T on the 4 spp test frame.",)
#: The columns of the run's first table, which README's blender block shows.
SUMMARY_ROWS = (
    "noisy 4 spp",
    "OIDN 2.5",
    "Cycles' own denoiser",
    "apply, no model (auto)",
    "base",
    "base + 2 min",
    "base + 10 min",
    "base-oidn + 10 min",
)


def scores(image: np.ndarray, reference: np.ndarray, **more) -> dict:
    """The metrics of ``image`` (``spp_equivalent`` is not measured here), and ``more`` fields."""
    metrics = {k: (None if v is None else round(float(v), 5)) for k, v in all_metrics(image, reference).items()}
    return {**metrics, "spp_equivalent": None, **more}


def cycles_denoised(blend: Path, width: int, height: int, spp: int, seed: int) -> np.ndarray:
    """The scene's camera at ``spp`` with ``seed``, denoised by Cycles' own OIDN with its albedo and normal."""
    scene = BlenderScene(blend)
    renderer = BlenderRenderer(scene, width, height)
    cycles = scene.scene.cycles
    cycles.use_denoising, cycles.denoiser, cycles.denoising_input_passes = True, "OPENIMAGEDENOISE", "RGB_ALBEDO_NORMAL"
    cycles.denoising_prefilter = "ACCURATE"
    color = renderer.color(spp, seed)
    return np.stack([color[c] for c in COLOR], axis=-1)


def evaluate(variant: str, args) -> dict:
    root = args.cache / f"blender_{variant}-{args.pixels}px"
    blend = root / "scene.blend"
    if not blend.is_file():
        build_blender_box(blend, variant)
    common = {"pixels": args.pixels}
    render_pairs(blend, root / "train", PairJob(views=args.views, pairs=args.pairs, seed=TRAIN_SEED, **common), show_progress=True)
    test_job = PairJob(views=1, pairs=1, seed=TEST_SEED, reference_spp=args.reference_spp, **common)
    render_pairs(blend, root / "test", test_job, show_progress=True)
    noisy = read_exr(root / "test" / frame_name(0, 0, "a"))
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    height, width = reference.shape[:2]
    rows = {"noisy 4 spp": scores(noisy.stack(COLOR), reference)}
    oidn = pyoidn.denoise(noisy.stack(COLOR), noisy.stack(ALBEDO).clip(0, 1), noisy.stack(NORMAL), hdr=True, quality="high")
    rows["OIDN 2.5"] = scores(np.asarray(oidn), reference)
    own = cycles_denoised(blend, width, height, test_job.spp, frame_seed(TEST_SEED, 0, 0, "a"))
    rows["Cycles' own denoiser"] = scores(own, reference)
    auto, _ = Router(device="cpu").for_frame(noisy)
    rows["apply, no model (auto)"] = scores(auto.denoise_frame(noisy), reference)
    for prior in args.priors:
        label = "base" if prior == "none" else f"base-{prior}"
        rows[label] = scores(Denoiser.base(prior, device="cpu").denoise_frame(noisy), reference)
        for minutes in args.budgets:
            model = args.cache / "models" / f"blender_{variant}-{label}-{minutes:g}min.pt"
            model.parent.mkdir(parents=True, exist_ok=True)
            if args.reuse_models and model.is_file():
                saved = load_checkpoint(model)
                trained = {"steps": saved.step, "seconds": round(saved.elapsed, 1), "reused": True}
            else:
                config = TrainConfig(minutes=minutes, init="base")
                result = train([root / "train"], model, config, features=FeatureSet(prior=prior), restart=True, show_progress=True)
                trained = {"steps": result.step, "seconds": round(result.elapsed, 1)}
            denoised = Denoiser.load(model, device="cpu").denoise_frame(noisy)
            rows[f"{label} + {minutes:g} min"] = scores(denoised, reference, **trained)
    track = PairJob().pixel_filter  # render-pairs' default filter, which every frame here is rendered with
    return {"scene": f"blender_{variant}", "track": track, "size": [height, width], "train_pairs": args.pairs, "rows": rows}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--budgets", nargs="*", type=float, default=[2.0, 10.0], help="fine-tuning minutes")
    parser.add_argument(
        "--priors", nargs="+", default=["none", "oidn"], choices=choices(Prior), help="base models to score and fine-tune, by their prior"
    )
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--views", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--reference-spp", type=int, default=4096)
    parser.add_argument("--reuse-models", action="store_true", help="score models left by an earlier run instead of training")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "blender")
    args = parser.parse_args(argv)
    command = "python benchmarks/blender_quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command.strip()}
    records = []
    args.out.mkdir(parents=True, exist_ok=True)
    for variant in args.variants:
        records.append(evaluate(variant, args))
        (args.out / "quality.json").write_text(json.dumps({**meta, "records": records}, indent=1))
        tables = quality_tables(records, TITLE, Provenance.of(meta, "../quality.json"), NOTES, summary_rows=SUMMARY_ROWS)
        write_tables(args.out, "blender", tables)
    return records


if __name__ == "__main__":
    main()
