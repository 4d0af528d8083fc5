"""Quality of mcdenoise against Intel OIDN on real scenes, per shared/BENCHMARK.md.

    python benchmarks/quality.py                      # every scene in ../shared/scenes and benchmarks/scenes, both tracks
    python benchmarks/quality.py --scenes mitsuba_cbox --tracks box --budgets 2
    python benchmarks/quality.py --quick --out /tmp/q # a one-minute smoke run
    python benchmarks/quality.py --quick --steps 300  # the same on a step budget, as the test suite runs it

For each scene and track (box filter; the scene's own filter) it renders, once
(cached under benchmarks/cache/):
- 32 training views as 4 spp pairs (--train-pairs per view), each with a --clean-spp reference for the N2C row;
- the test frame (the scene's own camera, never a training view) at 1, 4 and 16 spp,
  and a REFERENCE_SPP reference;
- raw frames of the test view from 4 to 1024 spp, for the spp-equivalent figure.
Then it trains Noise2Noise for each budget, and Noise2Clean (same network, budget
and starting point as the default training, clean targets), and scores every row
on the 4 spp test frame: noisy input, OIDN 2.5 (pyoidn, albedo + normal, hdr,
high), N2N per budget, N2C.

With the bundled base model installed it adds the rows: base (no training) and
base fine-tuned for each --base-budgets. The from-scratch N2N rows never use it.
With ``--priors oidn`` (the default has both) the same rows for the base that
corrects OIDN (``base-oidn``: the bundled one when installed, else the plain base
made to start as OIDN, ``mcdenoise.learn.model.correcting_prior``). With
``--adapt SECONDS`` each base also denoises the test frame given as two halves at
half the spp, as it is (``base, halves``: the mean of both denoised; ``merged``: their
mean denoised once) and adapted to them for that long (``Denoiser.adapted_to``, the retired
``apply --other-half --adapt``).

Writes OUT/quality.json (the scene records), the run's tables OUT/tables/NAME.json (quality_tables.py;
``--name``, default quality: README's headline block shows the first table of the run named headline, the
box track at 4 pairs per view) with their summary OUT/NAME.md, and OUT/crops/SCENE_TRACK.png
(noisy | OIDN | N2N | base + fine-tune | base-oidn + fine-tune | N2C | reference; the rows that ran).
Needs `pip install pyoidn flip-evaluator`.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pyoidn
from quality_tables import quality_tables
from table import Provenance, Tables, write_tables

from mcdenoise.config import PairJob, Prior, TrainConfig, choices
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.preview import side_by_side, write_png
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name, link_subset
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.train import train
from mcdenoise.metrics import all_metrics, psnr_t, rel_mse
from mcdenoise.render.job import render_pairs
from mcdenoise.render.renderer import EMISSION_SAMPLER

HERE = Path(__file__).parent
SHARED_SCENES = HERE.parent.parent / "shared" / "scenes"
#: Scenes of the benchmark's own, for cases that no shared scene has (caustics); small, in git.
OWN_SCENES = HERE / "scenes"
TRAIN_SEED, TEST_SEED = 1, 1000
#: Scenes kept out of all tuning of the OIDN prior and of adaptation (issue 20), reported apart.
HELD_OUT = frozenset({"bitterli_veach_mis", "mitsuba_matpreview"})


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", help="scene folder names (default: all in ../shared/scenes)")
    parser.add_argument("--tracks", nargs="+", choices=("box", "scene"), default=["box", "scene"])
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--views", type=int, default=32)
    parser.add_argument(
        "--train-pairs",
        type=int,
        default=1,
        help="4 spp pairs per training view (default 1); each N2N target averages the view's other frames, "
        "and N2C trains on the same inputs",
    )
    parser.add_argument("--budgets", nargs="*", type=float, default=[2.0, 10.0], help="N2N training budgets from scratch, minutes")
    parser.add_argument(
        "--base-budgets", nargs="*", type=float, default=[2.0, 10.0], help="N2N fine-tuning budgets from the base model, minutes"
    )
    parser.add_argument(
        "--split-emission",
        action="store_true",
        help="render with the emission split (mcdenoise.render.emission): N2N learns without the light seen directly, "
        "and the test frame gets the emission back from an --emission-spp pass (N2C likewise, its references split too)",
    )
    parser.add_argument(
        "--emission-spp", type=int, default=64, help="spp of the test frame's emission pass (with --split-emission; stratified samples)"
    )
    parser.add_argument(
        "--orientations",
        type=int,
        choices=(1, 2, 4, 8),
        default=1,
        help="also score each N2N model denoising in this many flips and rotations, averaged (apply --orientations)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="train every N2N and N2C row for this many steps instead of --budgets, --base-budgets and --n2c-minutes "
        "(the same work on any machine)",
    )
    parser.add_argument("--crop", type=int, default=TrainConfig.crop, help="training crop side (default %(default)s; --quick: 32)")
    parser.add_argument("--no-base", action="store_true", help="leave out the base model's rows")
    parser.add_argument(
        "--priors",
        nargs="+",
        choices=choices(Prior),
        default=list(choices(Prior)),
        help="base models to score, by the prior they correct: none (the plain base) and/or oidn (default: both)",
    )
    parser.add_argument(
        "--adapt",
        nargs="*",
        type=float,
        default=[],
        help="also score each base on the test frame as two halves at half the spp, adapted to them for each of these "
        "seconds (with --steps: that many steps)",
    )
    parser.add_argument("--reuse-models", action="store_true", help="score models of a finished run of the same settings again, untrained")
    parser.add_argument("--n2c-minutes", type=float, default=10.0, help="N2C budget, minutes (0: no N2C row)")
    parser.add_argument(
        "--n2c-init",
        choices=("base", "scratch"),
        help="where N2C training starts (default: the base model when installed, as the default N2N training does)",
    )
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--clean-spp", type=int, default=256, help="spp of the training views' clean targets (N2C)")
    parser.add_argument("--max-raw-spp", type=int, default=1024)
    parser.add_argument("--render-only", action="store_true", help="render (or complete) the cache of every scene and track, then stop")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--name",
        default="quality",
        help="the run's name: its tables go to OUT/tables/NAME.json, its summary to OUT/NAME.md (default %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: bundled Cornell box, 4096 px, 8 views, 32 px crops, 20 s, no N2C")
    args = parser.parse_args(argv)
    if args.quick:
        from mcdenoise.demo import BUNDLED_SCENES

        args.scene_dirs = [BUNDLED_SCENES / "mitsuba_cbox"]
        args.tracks, args.pixels, args.views, args.budgets, args.n2c_minutes = ["box"], 4096, 8, [20 / 60], 0.0
        args.base_budgets = [20 / 60] if BASE_MODEL.is_file() and not args.no_base else []
        args.reference_spp, args.max_raw_spp, args.crop = 256, 64, 32
    if args.steps is not None:
        if args.steps < 1:
            parser.error("--steps must be at least 1")
        args.budgets = [args.steps] if args.budgets else []
        args.base_budgets = [args.steps] if args.base_budgets else []
        args.n2c_minutes = args.steps if args.n2c_minutes > 0 else 0
    else:
        found = {p.parent.name: p.parent for root in (SHARED_SCENES, OWN_SCENES) for p in sorted(root.glob("*/scene.xml"))}
        unknown = sorted(set(args.scenes or ()) - set(found))
        if unknown:
            parser.error(f"no scene {', '.join(unknown)} in {SHARED_SCENES} or {OWN_SCENES}")
        args.scene_dirs = [found[name] for name in (args.scenes or found)]
    if args.n2c_init is None:
        args.n2c_init = "base" if BASE_MODEL.is_file() and not args.no_base else "scratch"
    return args


def render_data(scene: Path, track: str, args) -> dict:
    """Render (or find in the cache) every frame one scene and track needs; returns their folders."""
    root = args.cache / f"{scene.name}-{args.pixels}px" / track
    common = {"pixels": args.pixels, "pixel_filter": "box" if track == "box" else "scene"}
    folders = {"test": root / "test"}
    clean = args.clean_spp if args.n2c_minutes > 0 else 0
    # The same seeds give the same color frames with the split, now with the emission seen in their samples beside them.
    split = "-split" if args.split_emission else ""
    job = PairJob(
        views=args.views, pairs=args.train_pairs, seed=TRAIN_SEED, reference_spp=clean, emission_split=args.split_emission, **common
    )
    render_pairs(scene / "scene.xml", root / f"train{split}", job)
    # Training reads exactly --train-pairs pairs per view, whatever more an earlier run left in the cache.
    folders["train"] = link_subset(root / f"train{split}", root / f"train{split}-{args.train_pairs}pairs", pairs=args.train_pairs)
    render_pairs(
        scene / "scene.xml", folders["test"], PairJob(views=1, pairs=1, seed=TEST_SEED, reference_spp=args.reference_spp, **common)
    )
    folders["reference"] = folders["test"]
    if args.adapt:  # the test view again as two halves of the 4 spp frame, with seeds of their own
        folders["halves"] = root / "test-halves"
        render_pairs(scene / "scene.xml", folders["halves"], PairJob(views=1, pairs=1, spp=2, seed=TEST_SEED + 5000, **common))
    if args.split_emission:
        folders["test"] = root / f"test-split-{EMISSION_SAMPLER}{args.emission_spp}"
        render_pairs(
            scene / "scene.xml", folders["test"], PairJob(views=1, pairs=1, seed=TEST_SEED, emission_spp=args.emission_spp, **common)
        )
    spp = 1
    while spp <= args.max_raw_spp:
        folders[f"spp{spp}"] = root / f"spp{spp}"
        render_pairs(scene / "scene.xml", folders[f"spp{spp}"], PairJob(views=1, pairs=1, spp=spp, seed=TEST_SEED + spp, **common))
        spp *= 2
    return folders


def spp_equivalent(value: float, curve: dict[int, float], input_spp: int = 4) -> float:
    """Multiple of ``input_spp`` at which plain rendering reaches relMSE ``value`` (log-log interpolation;
    beyond the curve, extrapolated along its last segment)."""
    points = sorted((s, e) for s, e in curve.items() if s >= input_spp and e > 0)
    xs, ys = np.log([s for s, _ in points]), np.log([e for _, e in points])
    target = math.log(max(value, 1e-12))
    for i in range(len(points) - 1):
        if ys[i] >= target >= ys[i + 1]:
            t = (target - ys[i]) / (ys[i + 1] - ys[i]) if ys[i + 1] != ys[i] else 0.0
            return float(math.exp(xs[i] + t * (xs[i + 1] - xs[i])) / input_spp)
    if target > ys[0]:
        return float(points[0][0] / input_spp)
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return float(math.exp(xs[-1] + (target - ys[-1]) / slope) / input_spp)


def reference_noise_psnr_t(first: np.ndarray, second: np.ndarray, spp: int, reference_spp: int) -> float:
    """The PSNR_T that the reference's own noise alone would cost, estimated from two independent
    raw renders of ``spp`` each: their squared difference is twice one's noise, and noise falls
    as 1/spp, so the reference's is that times ``spp / (2 * reference_spp)``. A figure is judged
    only where this is at least 10 dB above the PSNR_T measured."""
    return psnr_t(first, second) + 10 * math.log10(2 * reference_spp / spp)


def budget_name(budget: float, args) -> str:
    """How a row names its training budget: ``2 min``, or ``300 steps`` with ``--steps``."""
    return f"{budget:g} steps" if args.steps else f"{budget:g} min"


def train_model(
    folders: dict, out: Path, budget: float, args, targets: str, init: str = "scratch", features: FeatureSet | None = None
) -> dict:
    """Train one row's model (``budget``: steps with ``--steps``, else minutes); its steps and seconds."""
    limit = {"steps": int(budget)} if args.steps else {"minutes": budget}
    config = TrainConfig(targets=targets, score_seconds=math.inf, init=init, crop=args.crop, **limit)
    if args.reuse_models and out.is_file():
        saved = load_checkpoint(out)
        if saved.train_config == config and (args.steps or saved.elapsed >= budget * 60):
            return {"steps": saved.step, "seconds": round(saved.elapsed, 1), "reused": True}
    result = train([folders["train"]], out, config, features=features, restart=True, show_progress=True, log=lambda *a: None)
    return {"steps": result.step, "seconds": round(result.elapsed, 1)}


def evaluate_scene(scene: Path, track: str, args) -> tuple[dict, np.ndarray]:
    """Every row of the table for one scene and track, and the crops image."""
    started = time.monotonic()
    folders = render_data(scene, track, args)
    render_seconds = time.monotonic() - started
    test = read_exr(folders["test"] / frame_name(0, 0, "a"))
    reference = read_exr(folders["reference"] / frame_name(0, None, "ref")).stack(COLOR)
    noisy = test.stack(COLOR)
    curve = {}
    for key, folder in folders.items():
        if key.startswith("spp"):
            frames = [read_exr(folder / frame_name(0, 0, side)).stack(COLOR) for side in "ab"]
            curve[int(key[3:])] = float(np.mean([rel_mse(f, reference) for f in frames]))
            top_frames = frames  # the raw pair with the most spp, last: the reference's own noise is judged by it

    outputs = {"noisy 4 spp": noisy, "OIDN 2.5": pyoidn.denoise(noisy, test.stack(ALBEDO), test.stack(NORMAL), hdr=True, quality="high")}
    training, noisy_models = {}, {}
    model_dir = args.cache / "models"
    pairs = f"-p{args.train_pairs}" if args.train_pairs > 1 else ""  # in model names: 1 pair keeps the names of earlier runs
    split = "-split" if args.split_emission else ""
    unit = "steps" if args.steps else ""
    for budget in args.budgets:
        name = f"N2N {budget_name(budget, args)}"
        path = model_dir / f"{scene.name}-{track}-n2n-{budget:g}{unit}{pairs}{split}.pt"
        training[name] = train_model(folders, path, budget, args, "noisy")
        outputs[name] = Denoiser.load(path, device="cpu").denoise_frame(test)
        noisy_models[name] = path
    for prior in args.priors if not args.no_base and BASE_MODEL.is_file() else ():
        start = "" if prior == "none" else "-made"  # made from the plain base to start as the prior
        label = "base" if prior == "none" else f"base-{prior}"
        denoiser = Denoiser.base(prior, device="cpu")
        outputs[label] = denoiser.denoise_frame(test)
        if args.adapt:
            halves = [read_exr(folders["halves"] / frame_name(0, 0, side)) for side in "ab"]
            outputs[f"{label}, halves"] = denoiser.denoise_halves(*halves)
            outputs[f"{label}, halves merged"] = denoiser.denoise_merged(*halves)
            for budget in args.adapt:
                limit = {"steps": int(budget)} if args.steps else {"seconds": budget}
                adapted = denoiser.adapted_to(*halves, **limit)
                row = f"{label}, halves + adapt {budget:g} {'steps' if args.steps else 's'}"
                outputs[row] = adapted.denoise_halves(*halves)
                outputs[f"{row}, merged"] = adapted.denoise_merged(*halves)
        for budget in args.base_budgets:
            name = f"{label} + {budget_name(budget, args)}"
            path = model_dir / f"{scene.name}-{track}-{label}{start}-{budget:g}{unit}{pairs}{split}.pt"
            training[name] = train_model(folders, path, budget, args, "noisy", init="base", features=FeatureSet(prior=prior))
            outputs[name] = Denoiser.load(path, device="cpu").denoise_frame(test)
            noisy_models[name] = path
    if args.n2c_minutes > 0:
        # Same network, init and budget as the N2N row it is compared with; only the targets differ.
        name = f"N2C {'base + ' if args.n2c_init == 'base' else ''}{budget_name(args.n2c_minutes, args)}"
        path = model_dir / f"{scene.name}-{track}-n2c-{args.n2c_init}-{args.n2c_minutes:g}{unit}{pairs}{split}.pt"
        training[name] = train_model(folders, path, args.n2c_minutes, args, "clean", init=args.n2c_init)
        outputs[name] = Denoiser.load(path, device="cpu").denoise_frame(test)
    if args.orientations > 1:
        for name, path in noisy_models.items():
            denoiser = Denoiser.load(path, device="cpu", orientations=args.orientations)
            outputs[f"{name}, {args.orientations} orientations"] = denoiser.denoise_frame(test)
    for spp in (1, 16):
        if f"spp{spp}" in folders:
            outputs[f"noisy {spp} spp"] = read_exr(folders[f"spp{spp}"] / frame_name(0, 0, "a")).stack(COLOR)

    rows = {}
    for name, image in outputs.items():
        scores = all_metrics(image, reference)
        scores["spp_equivalent"] = spp_equivalent(scores["rel_mse"], curve) if "spp" not in name or "4 spp" in name else None
        rows[name] = {**scores, **training.get(name, {})}
    order = ["noisy 4 spp", "OIDN 2.5"] + ([f"N2N {budget_name(max(args.budgets), args)}"] if args.budgets else [])
    for label in ("base", "base-oidn"):
        order += [f"{label} + {budget_name(max(args.base_budgets), args)}" if args.base_budgets else label]
    order += [k for k in outputs if k.startswith("N2C")]
    crops = side_by_side([_crop(outputs[k]) for k in order if k in outputs] + [_crop(reference)])
    record = {"scene": scene.name, "track": track, "render_seconds": round(render_seconds, 1), "size": list(noisy.shape[:2])}
    if scene.name in HELD_OUT:
        record["held_out"] = True
    record.update(train_pairs=args.train_pairs, rows=rows, raw_rel_mse=curve)
    record["reference_noise_psnr_t"] = reference_noise_psnr_t(*top_frames, max(curve), args.reference_spp)
    if args.split_emission:
        record.update(split_emission=True, emission_spp=args.emission_spp)
    return record, crops


def _crop(image: np.ndarray, size: int = 128) -> np.ndarray:
    h, w = image.shape[:2]
    y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[y : y + size, x : x + size, :3]


def run_tables(results: list[dict], args, command: str) -> Tables:
    """The run's tables (quality_tables.py), with its provenance, notes and crops."""
    title = f"Quality, {' and '.join(args.tracks)} track{'s' * (len(args.tracks) > 1)}, {args.train_pairs} pair"
    title += f"{'s' * (args.train_pairs > 1)} per view" + (", emission split" if args.split_emission else "")
    notes = ["PSNR_T on the 4 spp test frame."]
    if args.split_emission:
        emission = f"the test frame's emission pass has {args.emission_spp} spp"
        notes += [f"Emission split: the trained rows learn without the light seen directly; {emission}."]
    noise = [f"{r['scene']} {r['track']} {r['reference_noise_psnr_t']:.1f} dB" for r in results if "reference_noise_psnr_t" in r]
    if noise:
        notes += ["The references' own noise alone would score (PSNR_T, estimated from the top raw pair): " + ", ".join(noise) + "."]
    held_out = sorted(HELD_OUT & {r["scene"] for r in results})
    if held_out:
        notes += [f"Held out of all tuning of the OIDN prior and of adaptation: {', '.join(held_out)} (docs/experiments.md)."]
    provenance = Provenance.now(cpu_model(), command, ("../quality.json",))
    crops = [f"../crops/{r['scene']}_{r['track']}.png" for r in results]
    return quality_tables(results, title, provenance, notes, crops)


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    results = []
    (args.out / "crops").mkdir(parents=True, exist_ok=True)
    for scene in args.scene_dirs:
        for track in args.tracks:
            print(f"== {scene.name}, {track} filter", flush=True)
            if args.render_only:
                render_data(scene, track, args)
                continue
            record, crops = evaluate_scene(scene, track, args)
            write_png(args.out / "crops" / f"{scene.name}_{track}.png", crops)
            results.append(record)
            (args.out / "quality.json").write_text(json.dumps(results, indent=1) + "\n")  # partial results survive a crash
    if args.render_only:
        return results
    command = " ".join(["python benchmarks/quality.py", *(sys.argv[1:] if argv is None else argv)])
    write_tables(args.out, args.name, run_tables(results, args, command))
    return results


if __name__ == "__main__":
    main()
