"""Train the bundled base model, with Noise2Noise only, on procedurally generated scenes (a tool, not a benchmark).

    python tools/train_base.py                 # the bundled base: about 46 minutes on 2 CPU cores
    python tools/train_base.py --width 16 --no-magnitude-input --minutes 20 --out mcdenoise/data/fast_model.pt
    python tools/train_base.py --minutes 2 --scenes 8 --out /tmp/base.pt   # a smoke run
    python tools/train_base.py --render-only --ray auto   # the scenes rendered on a Ray cluster
    torchrun --nproc-per-node=8 tools/train_base.py --skip-render   # then trained by 8 processes (GPUs)
    python tools/train_base.py --prior oidn --init mcdenoise/data/base_model.pt --minutes 20 \
        --out mcdenoise/data/base_oidn_model.pt   # the base that corrects OIDN, grown from the plain one
    nice -n 10 python tools/train_base.py --features none --init base --scenes 200 --minutes 20 \
        --out mcdenoise/data/color_model.pt   # the colour-only model, grown from the base without its features

1. Writes ``--scenes`` random scenes (``mcdenoise.render.scenes``, seeds 0 ... N-1) as scene.xml files.
2. Renders each as ``--views`` jittered views, one pair each, at 2, 4 or 8 spp (by seed), with the
   scene's own random pixel filter (box, gaussian or tent), about ``--pixels`` pixels a frame.
3. Trains the network (noisy targets only; no clean image is ever rendered) for ``--minutes``; with
   ``--prior oidn`` it takes OIDN's output as an input and learns to correct it (a plain ``--init``
   model is made to start as OIDN, see ``mcdenoise.learn.model.correcting_prior``).
4. Writes the weights, without training state, to ``--out`` (default: the package's data file),
   with how they were made recorded inside and in a JSON file beside them.

Nothing here reads ../shared/scenes: the benchmark's scenes and test frames are never trained on.
Rendered data and the training checkpoint are cached under --cache, so an interrupted run resumes.
"""

import argparse
import datetime
import json
import math
import multiprocessing
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import torch

from mcdenoise.config import PairJob, Prior, TrainConfig, UNetConfig, choices
from mcdenoise.errors import JobError
from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import BASE_MODEL, resolve_model
from mcdenoise.io.checkpoint import load_checkpoint, save_checkpoint
from mcdenoise.io.pairs_dir import MANIFEST
from mcdenoise.learn.dataset import load_examples
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.distributed import launched_processes
from mcdenoise.learn.train import train
from mcdenoise.learn.weights import dropping_features
from mcdenoise.progress import Progress
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes import generated_scene_dir, write_generated_scenes
from mcdenoise.render.variants import choose_variant

HERE = Path(__file__).parent
#: Where the generated scenes, their pairs and the checkpoint are cached: beside the benchmarks' caches (git ignores it).
CACHE = HERE.parent / "benchmarks" / "cache" / "base"
SPP_CHOICES = (2, 4, 8)


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _render_scene(scene_file: Path, folder: Path, job: PairJob) -> Path:
    render_pairs(scene_file, folder, job, show_progress=False)
    return folder


def render_training_data(args) -> list[Path]:
    """Generate the scenes and render their pairs (cached), ``--jobs`` scenes at a time or on a Ray cluster
    (``--ray``); returns the render-pairs folders."""
    scene_files = write_generated_scenes(args.cache / "scenes", args.scenes)
    variant = choose_variant(args.variant)  # probed once here, not once per worker
    work = [
        (
            scene_file,
            generated_scene_dir(args.cache / "pairs", seed),
            PairJob(
                pairs=1,
                spp=SPP_CHOICES[seed % len(SPP_CHOICES)],
                seed=seed + 1,
                views=args.views,
                pixels=args.pixels,
                pixel_filter="scene",
                variant=variant,
            ),
        )
        for seed, scene_file in enumerate(scene_files)
    ]
    with Progress(len(work), "render generated scenes") as progress:
        if args.ray is not None:
            # Scenes are rendered at once, as many as the cluster has workers, each one's views on the farm.
            from mcdenoise.render.farm import RayFarm

            farm = RayFarm(args.ray or None)
            with ThreadPoolExecutor(farm.workers) as threads:
                for _ in threads.map(lambda item: render_pairs(*item, farm=farm), work):
                    progress.advance()
        elif args.jobs == 1:
            for item in work:
                _render_scene(*item)
                progress.advance()
        else:
            # Separate processes (spawned: Mitsuba and Dr.Jit do not survive a fork).
            with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                for _ in pool.map(_render_scene, *zip(*work, strict=True)):
                    progress.advance()
    return [folder for _, folder, _ in work]


def _grown_start(init: str, features: FeatureSet, path: Path) -> str:
    """``init``, or where it reads more auxiliary features than ``features``, the path of a copy
    written without their inputs (:func:`~mcdenoise.learn.weights.dropping_features`)."""
    if init == "scratch":
        return init
    start = load_checkpoint(resolve_model(init))
    if start.features.aux == features.aux:
        return init
    save_checkpoint(path, dropping_features(start, features.aux))
    print(f"starting from {init} without its {', '.join(a for a in start.features.aux if a not in features.aux)} inputs")
    return str(path)


def usable_folders(folders: list[Path], features: FeatureSet) -> list[Path]:
    """The scenes' folders whose pairs training accepts; a scene with a degenerate view (one the
    camera sees nothing of: two black frames make no pair) is left out, with a warning."""
    usable = []
    for folder in folders:
        try:
            load_examples([folder], features)
        except JobError as error:
            print(f"warning: left out {folder.name}: {error}")
        else:
            usable.append(folder)
    return usable


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}), {platform.machine()} CPU"
    return f"{platform.machine()} CPU, {torch.get_num_threads()} threads"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=400, help="number of generated scenes")
    parser.add_argument("--views", type=int, default=2, help="jittered views per scene, one pair each")
    parser.add_argument("--pixels", type=int, default=16384, help="pixels per frame")
    parser.add_argument("--minutes", type=float, default=40.0, help="training wall-clock budget")
    parser.add_argument("--width", type=int, default=UNetConfig.width, help="network width")
    parser.add_argument(
        "--magnitude-input",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also feed the network log radiance (UNetConfig.magnitude_input; the bundled base has it, the fast model not)",
    )
    parser.add_argument(
        "--init",
        default="scratch",
        help="starting weights: scratch (default), or a model to train on (base, fast or a file; a warm restart "
        "of the schedule, recorded in the provenance with the starting model's own)",
    )
    parser.add_argument(
        "--features",
        default="albedo,normal",
        help="auxiliary features, comma-separated: albedo, normal, depth, or none for color alone (default albedo,normal); "
        "a model --init that reads more starts without the inputs of the others",
    )
    parser.add_argument("--prior", default="none", choices=choices(Prior), help="the prior that the network corrects (default none)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    parser.add_argument("--batch", type=int, default=TrainConfig.batch, help="crops per step")
    parser.add_argument("--crop", type=int, default=TrainConfig.crop, help="crop size in pixels")
    parser.add_argument("--device", default="auto", help="auto (CUDA when there is one), cpu or cuda")
    parser.add_argument("--variant", default="auto", help="Mitsuba variant for the renders (default: the fastest that works)")
    parser.add_argument("--jobs", type=int, default=1, help="scenes rendered at once, each in its own process")
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="render the scenes on a Ray cluster (render-pairs --ray): the one at ADDRESS, or a new local one; "
        "the generated scenes are written under --cache, which every node must see at the same path",
    )
    parser.add_argument("--render-only", action="store_true", help="render (or complete) the training data, then stop")
    parser.add_argument(
        "--skip-render",
        action="store_true",
        help="train on the pairs that an earlier --render-only run left in --cache, without checking them "
        "(so that several trainings can share them at once)",
    )
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--out", type=Path, default=BASE_MODEL)
    args = parser.parse_args(argv)

    if launched_processes() > 1 and not args.skip_render:
        parser.error("under torchrun, render the scenes first (--render-only, with --ray for a farm), then train with --skip-render")
    started = time.monotonic()
    if args.skip_render:
        candidates = [generated_scene_dir(args.cache / "pairs", seed) for seed in range(args.scenes)]
        folders = [folder for folder in candidates if (folder / MANIFEST).is_file()]
        if len(folders) < len(candidates):
            print(f"warning: only {len(folders)} of the {len(candidates)} scenes were rendered; training on those")
    else:
        folders = render_training_data(args)
    render_seconds = time.monotonic() - started
    if args.render_only:
        print(f"rendered {len(folders)} scenes' pairs into {args.cache / 'pairs'} in {render_seconds:.0f} s")
        return {"render_seconds": round(render_seconds, 1)}
    magnitude = "-mag" if args.magnitude_input else ""
    start = "" if args.init == "scratch" else f"-from-{Path(args.init).stem}"
    shape = "" if (args.batch, args.crop) == (TrainConfig.batch, TrainConfig.crop) else f"-b{args.batch}-c{args.crop}"
    prior = "" if args.prior == "none" else f"-{args.prior}"
    features = FeatureSet(tuple(name for name in args.features.split(",") if name and name != "none"), prior=args.prior)
    aux = "" if features.aux == FeatureSet().aux else f"-{'-'.join(features.aux) or 'color'}"
    run_name = f"{args.scenes}x{args.views}-{args.pixels}px-w{args.width}{magnitude}{aux}{prior}{shape}-{args.minutes:g}min{start}"
    checkpoint = args.cache / f"train-{run_name}.pt"
    init = _grown_start(args.init, features, args.cache / f"start-{run_name}.pt")
    config = TrainConfig(
        minutes=args.minutes,
        learning_rate=args.lr,
        batch=args.batch,
        crop=args.crop,
        checkpoint_seconds=60,
        score_seconds=math.inf,
        init=init,
    )
    starting_provenance = load_checkpoint(resolve_model(args.init)).provenance if start else None
    device = resolve_device(args.device)
    model_config = UNetConfig(width=args.width, magnitude_input=args.magnitude_input)
    folders = usable_folders(folders, replace(features, prior="none"))  # the prior's input is computed, not read
    result = train(folders, checkpoint, config, model_config, features, device=str(device.type), show_progress=True, log=print)
    if result.rank != 0:  # under torchrun, rank 0 writes the model
        return {}

    trained = load_checkpoint(checkpoint)
    provenance = {
        "command": "python tools/train_base.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "git_commit": _git_commit(),
        "date": datetime.date.today().isoformat(),
        "machine": _machine(device),
        "data": f"{len(folders)} generated scenes (mcdenoise.render.scenes, of seeds 0-{args.scenes - 1}), {args.views} views each, "
        f"one pair per view at {'/'.join(map(str, SPP_CHOICES))} spp, {args.pixels} px, each scene's own pixel filter",
        "targets": "noisy (Noise2Noise); no clean image was rendered",
        "features": features.describe(),
        "prior": args.prior if args.prior == "none" else f"{args.prior} (pyoidn {_version('pyoidn')}), RT filter, hdr, quality high",
        "steps": result.step,
        "training_seconds": round(result.elapsed, 1),
        "render_seconds": round(render_seconds, 1),
    }
    if start:
        provenance["started_from"] = starting_provenance or args.init
    save_checkpoint(args.out, replace(trained.without_training_state(), provenance=provenance))
    args.out.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")
    print(json.dumps(provenance, indent=1))
    return provenance


if __name__ == "__main__":
    main()
