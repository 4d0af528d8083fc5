"""Shared fixtures: tiny real renders of the bundled Cornell box, and a small trained model.

Everything here is rendered by Mitsuba for real (no mocks) at sizes that keep
the whole suite within a few CPU minutes.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from mcdenoise.config import PairJob, TrainConfig, UNetConfig
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.learn.train import train
from mcdenoise.render.job import render_pairs

REPO = Path(__file__).resolve().parent.parent
SHARED_SCENES = REPO.parent / "shared" / "scenes"

#: A small network that trains in seconds on the CPU.
TINY_NET = UNetConfig(in_channels=9, width=16, depth=3)


def run_cli(*args, cwd=None, timeout=600):
    """Run ``python -m mcdenoise ARGS`` and return the completed process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "mcdenoise", "--quiet", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def scene_path() -> Path:
    """The bundled Cornell box scene file."""
    return DEMO_SCENE


@pytest.fixture(scope="session")
def train_dir(tmp_path_factory, scene_path) -> Path:
    """16 jittered views of the Cornell box as 4 spp pairs, 64x64."""
    out = tmp_path_factory.mktemp("train")
    render_pairs(scene_path, out, PairJob(pairs=1, views=16, size=(64, 64)), show_progress=False)
    return out


@pytest.fixture(scope="session")
def test_dir(tmp_path_factory, scene_path) -> Path:
    """The scene's own camera: one 4 spp pair and a 512 spp reference, 64x64."""
    out = tmp_path_factory.mktemp("test")
    render_pairs(scene_path, out, PairJob(pairs=1, views=1, size=(64, 64), seed=7, reference_spp=512), show_progress=False)
    return out


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, train_dir) -> Path:
    """A tiny model trained for 1000 steps (about 30 s) on ``train_dir``."""
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    config = TrainConfig(steps=1000, crop=64, learning_rate=3e-3, warmup_steps=50, checkpoint_seconds=1e9, score_seconds=1e9)
    train([train_dir], path, config, TINY_NET, show_progress=False, log=lambda *a: None)
    return path
