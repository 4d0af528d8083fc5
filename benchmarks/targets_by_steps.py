"""Noisy (N2N) against clean (N2C) targets as training goes on: the quality benchmark's data of
one scene, the base fine-tuned for each step budget on each kind of target, scored on the test frame.

    python benchmarks/targets_by_steps.py --scene mitsuba_docs_glass --views 16 --steps 9000 18000
    python benchmarks/targets_by_steps.py --views 16 --pack glass16.npz   # data for a machine without the cache
    python benchmarks/targets_by_steps.py --from-pack glass16.npz --device cuda   # on a GPU: all budgets at once

Reads the training views (4 spp pairs and their clean targets) and the test frame that
``python benchmarks/quality.py`` caches under benchmarks/cache; ``--views`` keeps the first N
views. ``--pack`` stores that data (float16, about 46 MB for 16 views) for a machine without the
cache, ``--from-pack`` trains from it. Budgets are steps, not minutes (the learning-rate schedule runs over the budget), so a
GPU reaches the steps of several CPU budgets in minutes. Prints one JSON record.
"""

import argparse
import json
import math
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from cached_frames import CACHE, linked_subset, load_test_frame

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR, FeatureSet
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.files import read_json, write_json
from mcdenoise.io.pairs_dir import MANIFEST
from mcdenoise.learn.train import TrainConfig, train
from mcdenoise.metrics import psnr_t, rel_mse


def pack(folders: list[Path], path: Path) -> None:
    """Store render-pairs folders (their manifests, and the channels training and scoring read)
    in one float16 .npz."""
    channels = FeatureSet().channels
    arrays = {}
    for folder in folders:
        manifest = read_json(folder / MANIFEST)
        arrays[f"{folder.name}/{MANIFEST}"] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
        for name, record in manifest["frames"].items():
            wanted = channels[:3] if record["side"] == "ref" else channels
            arrays[f"{folder.name}/{name}"] = read_exr(folder / name).stack(wanted).astype(np.float16)
    np.savez(path, **arrays)


def unpack(path: Path, out: Path) -> None:
    """Write the folders of a :func:`pack` file under ``out`` again (float32 EXRs)."""
    channels = FeatureSet().channels
    with np.load(path) as arrays:
        for key in arrays.files:
            folder, name = key.split("/")
            (out / folder).mkdir(parents=True, exist_ok=True)
            if name == MANIFEST:
                write_json(out / folder / name, json.loads(arrays[key].tobytes().decode()))
                continue
            data = arrays[key].astype(np.float32)
            names = channels[: data.shape[-1]]
            write_exr(out / folder / name, Frame({n: np.ascontiguousarray(data[..., i]) for i, n in enumerate(names)}), compress=False)


def train_one(data: Path, out: Path, targets: str, steps: int, device: str) -> dict:
    """Fine-tune the base for ``steps`` steps on ``targets`` (noisy or clean); returns what ran."""
    config = TrainConfig(steps=steps, targets=targets, validate_seconds=math.inf, init="base")
    result = train([data], out, config, device=device, restart=True, show_progress=False, log=lambda *a: None)
    return {"targets": targets, "steps": result.step, "seconds": round(result.elapsed, 1)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scene", default="mitsuba_docs_glass")
    parser.add_argument("--track", choices=("box", "scene"), default="box")
    parser.add_argument("--views", type=int, default=32, help="training views to keep (the first N)")
    parser.add_argument("--steps", type=int, nargs="+", default=[9000, 18000])
    parser.add_argument("--device", default="cpu", help="cpu (budgets one after another) or cuda (all at once)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--out", type=Path, help="also write the record to this JSON file")
    parser.add_argument("--pack", type=Path, help="store the data in this .npz and stop")
    parser.add_argument("--from-pack", type=Path, help="train from a --pack file instead of the cache")
    args = parser.parse_args(argv)
    record = {"scene": args.scene, "track": args.track, "views": args.views, "device": args.device, "runs": []}
    with tempfile.TemporaryDirectory(prefix="mcdenoise-targets-") as tmp:
        work = Path(tmp)
        if args.from_pack:
            unpack(args.from_pack, work)
            data, test = work / "train", work / "test"
            record.update(views=len({r["view"] for r in read_json(data / MANIFEST)["frames"].values()}), packed=True)
        else:
            root = args.cache / f"{args.scene}-65536px" / args.track
            data, test = linked_subset(root / "train", work / "train", views=args.views, pairs=1), root / "test"
        if args.pack:
            pack([data, test], args.pack)
            return record
        frame, reference = load_test_frame(test)
        jobs = [(targets, steps) for targets in ("noisy", "clean") for steps in args.steps]
        workers = len(jobs) if args.device.startswith("cuda") else 1
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(train_one, data, work / f"{t}-{s}.pt", t, s, args.device) for t, s in jobs]
            for (targets, steps), future in zip(jobs, futures, strict=True):
                run = future.result()
                out = Denoiser.load(work / f"{targets}-{steps}.pt", device=args.device).denoise_frame(frame)
                run.update(psnr_t=psnr_t(out, reference), rel_mse=rel_mse(out, reference))
                record["runs"].append(run)
                print(json.dumps(run), flush=True)
    record["noisy_input_psnr_t"] = psnr_t(frame.stack(COLOR), reference)
    print(json.dumps(record, indent=1))
    if args.out:
        write_json(args.out, record)
    return record


if __name__ == "__main__":
    main()
