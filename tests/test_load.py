"""Load: apply over many frames in one process keeps memory flat (growth under 10% after warm-up).

100 frames by default; 500 with MCDENOISE_LONG_TESTS=1.
"""

import os
from pathlib import Path

import numpy as np
import torch

from mcdenoise.config import UNetConfig
from mcdenoise.denoise.apply import apply_files
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALL_CHANNELS, FeatureSet
from mcdenoise.io.checkpoint import Checkpoint, save_checkpoint
from mcdenoise.io.exr import Frame, write_exr
from mcdenoise.learn.model import UNet

FRAMES = 500 if os.environ.get("MCDENOISE_LONG_TESTS") else 100
SIZE = 32


def resident_mib() -> float:
    """Current resident set size of this process, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def test_apply_over_many_frames_keeps_memory_flat(tmp_path):
    features = FeatureSet()
    torch.manual_seed(0)
    model = UNet(UNetConfig(in_channels=features.input_width))
    save_checkpoint(tmp_path / "model.pt", Checkpoint(model.config, features, model.state_dict()))
    rng = np.random.default_rng(0)
    paths = []
    for i in range(FRAMES):
        paths.append(tmp_path / f"frame{i:04d}.exr")
        write_exr(paths[-1], Frame({n: rng.random((SIZE, SIZE), dtype=np.float32) for n in ALL_CHANNELS}))
    denoiser = Denoiser.load(tmp_path / "model.pt", device="cpu")
    warm = max(1, FRAMES // 10)
    results = apply_files(denoiser, paths[:warm])
    after_warmup = resident_mib()
    results += apply_files(denoiser, paths[warm:])
    at_end = resident_mib()
    assert not [r.error for r in results if r.error]
    growth = 100 * (at_end - after_warmup) / after_warmup
    assert growth < 10.0, (after_warmup, at_end)
