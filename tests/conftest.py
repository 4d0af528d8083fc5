"""Shared fixtures: tiny real renders of the bundled Cornell box, and a small trained model.

Everything here is rendered by Mitsuba for real (no mocks) at sizes that keep
the whole suite within a few CPU minutes.
"""

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest

from mcdenoise import cli
from mcdenoise.config import PairJob, TrainConfig, UNetConfig
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.learn.train import train
from mcdenoise.render.job import render_pairs

REPO = Path(__file__).resolve().parent.parent
SHARED_SCENES = REPO.parent / "shared" / "scenes"

#: A small network that trains in seconds on the CPU.
TINY_NET = UNetConfig(in_channels=9, width=16, depth=3)


@contextlib.contextmanager
def _file_descriptor_captured(fd):
    """Send what is written to file descriptor ``fd`` (by C++ code too, such as Mitsuba's log) to a
    temporary file while the block runs; yields a list that then holds the text."""
    text = []
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(fd)
        os.dup2(sink.fileno(), fd)
        try:
            yield text
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode(errors="replace"))


def run_cli(*args):
    """Run ``mcdenoise --quiet ARGS`` in this process, as ``python -m mcdenoise`` would run it.

    Returns a :class:`subprocess.CompletedProcess` with the exit code and the text written to
    stdout and stderr, by Python and by native code alike. An exception that escapes
    :func:`mcdenoise.cli.main` gives exit code 1 and its traceback on stderr, as the interpreter
    would. This skips the 2-3 s of importing torch in a fresh interpreter; :func:`run_cli_process`
    runs the real command where the process matters.
    """
    argv = ["--quiet", *map(str, args)]
    stdout, stderr = io.StringIO(), io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    with _file_descriptor_captured(1) as native_out, _file_descriptor_captured(2) as native_err:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli.main(argv)
            except SystemExit as exit:  # argparse: --help and usage errors
                code = exit.code if isinstance(exit.code, int) else 1
            except Exception:  # what the interpreter would print
                traceback.print_exc()
                code = 1
    return subprocess.CompletedProcess(["mcdenoise", *argv], code, stdout.getvalue() + native_out[0], stderr.getvalue() + native_err[0])


def run_cli_process(*args, timeout=600):
    """Run ``python -m mcdenoise --quiet ARGS`` in a new process and return the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "mcdenoise", "--quiet", *map(str, args)],
        capture_output=True,
        text=True,
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
    """A tiny model trained for 1000 steps of 32x32 crops (about 35 s on 2 cores) on ``train_dir``."""
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    config = TrainConfig(steps=1000, crop=32, learning_rate=3e-3, warmup_steps=50, checkpoint_seconds=1e9, score_seconds=1e9)
    train([train_dir], path, config, TINY_NET, show_progress=False, log=lambda *a: None)
    return path
