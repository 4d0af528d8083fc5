"""Throughput of the scale engines: render-pairs on Ray workers, and training on torchrun ranks.

    python benchmarks/scale.py            # about 5 minutes on 2 cores

Measures, in one run on one machine:
- render: pairs a second of the bundled Cornell box at 65,536 pixels, 4 spp, box filter (one pair
  per view, with albedo, normal and depth, written uncompressed), rendered here (render-pairs
  without --ray, Mitsuba on every core) and on a local Ray cluster of 1 and of 2 CPUs (one task
  per CPU, one thread each); each after a warm-up job, so the cluster's start and the workers'
  opening of the scene are not counted;
- train: crops a second (128x128, a global batch of 8) of `mcdenoise train` on pairs of the same
  scene, in 1 process with 2 threads, and under `torchrun --nproc-per-node=2` with 1 thread per
  rank (DistributedDataParallel, gloo), each a fresh process that fine-tunes the bundled base for
  a fixed number of steps.

Writes benchmarks/results/scale.json, its tables tables/scale.json (benchmarks/table.py) and scale.md;
README's scale block is the first table (`python benchmarks/report.py`). Needs `pip install '.[ray]'`.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from table import Provenance, Table, Tables, write_tables

from mcdenoise.config import PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.learn.device import cpu_model
from mcdenoise.render.job import render_pairs

HERE = Path(__file__).parent
RESULTS = HERE / "results"
#: The timed render job: one pair per view, so pairs a second are views a second.
RENDER_JOB = PairJob(views=24, pairs=1, pixels=65536)
#: The warm-up job before each timed one: the same settings, fewer views, another folder.
WARM_UP_VIEWS = [0, 1, 2, 3]
TRAIN_STEPS, TRAIN_BATCH, TRAIN_CROP = 60, 8, 128
#: The training data: 8 views of 2 pairs.
TRAIN_DATA = PairJob(views=8, pairs=2, pixels=65536, seed=11)


def measure_render(work: Path) -> list[dict]:
    """Pairs a second of RENDER_JOB here and on local Ray clusters of 1 and 2 CPUs."""
    import ray

    from mcdenoise.render.farm import RayFarm

    rows = []
    for cpus in (None, 1, 2):
        name = "here" if cpus is None else f"ray-{cpus}"
        farm = RayFarm(cpus=cpus) if cpus else None
        render_pairs(DEMO_SCENE, work / f"warm-{name}", RENDER_JOB, views=WARM_UP_VIEWS, farm=farm)
        start = time.perf_counter()
        render_pairs(DEMO_SCENE, work / f"render-{name}", RENDER_JOB, farm=farm)
        seconds = time.perf_counter() - start
        if farm:
            ray.shutdown()
        rows.append(
            {
                "where": "this process, every core" if cpus is None else f"Ray, {cpus} worker{'s' if cpus > 1 else ''}",
                "workers": cpus or 0,
                "pairs": RENDER_JOB.views,
                "seconds": round(seconds, 2),
                "pairs_per_second": RENDER_JOB.views / seconds,
            }
        )
        print(f"render {rows[-1]['where']}: {rows[-1]['pairs_per_second']:.2f} pairs/s", flush=True)
    return rows


def measure_training(work: Path) -> list[dict]:
    """Crops a second of `mcdenoise train` in 1 process (2 threads) and under torchrun with 2 ranks (1 thread each)."""
    data = work / "train-data"
    render_pairs(DEMO_SCENE, data, TRAIN_DATA)
    rows = []
    for ranks in (1, 2):
        out = work / f"model-{ranks}.pt"
        launcher = (
            [sys.executable, "-m", "mcdenoise"]
            if ranks == 1
            else [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={ranks}", "-m", "mcdenoise"]
        )
        threads = max((os.cpu_count() or 1) // ranks, 1)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        command = [
            *launcher,
            "--quiet",
            "train",
            str(data),
            "--out",
            str(out),
            "--steps",
            str(TRAIN_STEPS),
            "--batch",
            str(TRAIN_BATCH),
            "--crop",
            str(TRAIN_CROP),
            "--device",
            "cpu",
        ]
        subprocess.run(command, check=True, env=env, capture_output=True, text=True)
        checkpoint = load_checkpoint(out)
        rows.append(
            {
                "ranks": ranks,
                "threads_per_rank": threads,
                "steps": checkpoint.step,
                "seconds": round(checkpoint.elapsed, 2),
                "crops_per_second": checkpoint.step * TRAIN_BATCH / checkpoint.elapsed,
            }
        )
        print(f"train {ranks} rank(s): {rows[-1]['crops_per_second']:.1f} crops/s", flush=True)
    return rows


def _processes(count: int, threads: int) -> str:
    """``1 process of 2 threads``, ``2 processes of 1 thread``."""
    return f"{count} process{'es' if count > 1 else ''} of {threads} thread{'s' if threads > 1 else ''}"


def tables(record: dict, provenance: Provenance) -> Tables:
    """The run's tables: both rates side by side (the README's), then each measure's own figures."""
    rates = [(f"render-pairs: {r['where']}", r["pairs_per_second"], None) for r in record["render"]]
    rates += [(f"train: {_processes(r['ranks'], r['threads_per_rank'])}", None, r["crops_per_second"]) for r in record["train"]]
    title = "render-pairs of the Cornell box (65,536 px, 4 spp, box filter) and mcdenoise train (128x128 crops, global batch 8)"
    summary = Table(title, ("", "pairs/s", "crops/s"), tuple(rates), ("", "{:.2f}", "{:.1f}"))
    render = tuple((r["where"], r["workers"], r["pairs"], r["seconds"], r["pairs_per_second"]) for r in record["render"])
    columns = ("render-pairs", "Ray workers", "pairs", "s", "pairs/s")
    train = tuple((r["ranks"], r["threads_per_rank"], r["steps"], r["seconds"], r["crops_per_second"]) for r in record["train"])
    found = (
        summary,
        Table("render-pairs here and on a local Ray cluster", columns, render),
        Table("mcdenoise train", ("ranks", "threads per rank", "steps", "s", "crops/s"), train),
    )
    return Tables("Scale: render-pairs on Ray workers, training on torchrun ranks", provenance, found, (f"torch {record['torch']}.",))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of scale.json, its tables and scale.md (default %(default)s)")
    args = parser.parse_args(argv)
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": cpu_model(),
        "command": "python benchmarks/scale.py" + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv)),
        "torch": torch.__version__,
    }
    with tempfile.TemporaryDirectory(prefix="mcdenoise-scale-") as work:
        record["render"] = measure_render(Path(work))
        record["train"] = measure_training(Path(work))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(record, indent=1) + "\n")
    write_tables(args.out, "scale", tables(record, Provenance.of(record, "../scale.json")))
    return record


if __name__ == "__main__":
    main()
