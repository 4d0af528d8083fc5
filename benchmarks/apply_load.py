"""Load: `apply` over many small frames in one process, with memory that stays flat.

    python benchmarks/apply_load.py [--frames 500] [--size 64]

Denoises FRAMES distinct EXR files with one Denoiser through `apply_files`, and
records resident memory after a warm-up of 10% of the frames and at the end.
Writes benchmarks/results/apply_load.json.
"""

import argparse
import datetime
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import torch

from mcdenoise.denoise.apply import apply_files
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALL_CHANNELS, FeatureSet
from mcdenoise.io.checkpoint import save_checkpoint
from mcdenoise.io.exr import Frame, write_exr
from mcdenoise.learn.model import UNet, UNetConfig

RESULTS = Path(__file__).parent / "results"


def resident_mib() -> float:
    """Current resident set size of this process, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run(frames: int, size: int, work: Path) -> dict:
    """Write ``frames`` random frames and a model into ``work``, denoise them all, and report memory."""
    features = FeatureSet()
    torch.manual_seed(0)
    model = UNet(UNetConfig(in_channels=features.input_width))
    save_checkpoint(
        work / "model.pt", {"model_config": model.config.to_dict(), "features": list(features.aux), "model": model.state_dict()}
    )
    rng = np.random.default_rng(0)
    paths = []
    for i in range(frames):
        path = work / f"frame{i:04d}.exr"
        write_exr(path, Frame({n: rng.random((size, size), dtype=np.float32) for n in ALL_CHANNELS}))
        paths.append(path)
    denoiser = Denoiser.load(work / "model.pt", device="cpu")
    warm = max(1, frames // 10)
    failures = [r for r in apply_files(denoiser, paths[:warm], show_progress=False) if r.error]
    after_warmup = resident_mib()
    failures += [r for r in apply_files(denoiser, paths[warm:], show_progress=False) if r.error]
    at_end = resident_mib()
    return {
        "frames": frames,
        "size": size,
        "warmup_frames": warm,
        "failures": len(failures),
        "rss_after_warmup_mib": round(after_warmup, 1),
        "rss_at_end_mib": round(at_end, 1),
        "growth_percent": round(100 * (at_end - after_warmup) / after_warmup, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcdenoise-load-") as work:
        record = run(args.frames, args.size, Path(work))
    record.update(date=datetime.date.today().isoformat(), machine=f"{platform.machine()}, {os.cpu_count()} cores")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "apply_load.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
