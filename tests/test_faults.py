"""Faults lose nothing: kill -9 at any moment, two jobs on one directory, one bad frame in a batch.

Checklist (issue 4): killed render-pairs, killed train, concurrent render-pairs, batch apply.
"""

import errno
import json
import subprocess
import sys
import time

import numpy as np
import OpenEXR
import pytest
import torch

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.denoise.apply import apply_files
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.train import train
from mcdenoise.render.job import render_pairs

from conftest import TINY_NET, run_cli

VIEWS = 8


def _cli(*args):
    return [sys.executable, "-m", "mcdenoise", "--quiet", *map(str, args)]


def _wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, scene_path):
    """The same render-pairs job, never interrupted: what every resumed run must equal."""
    out = tmp_path_factory.mktemp("straight")
    render_pairs(scene_path, out, PairJob(pairs=1, views=VIEWS, size=(48, 48), spp=16), show_progress=False)
    return out


@pytest.mark.parametrize("kill_after_files", [1, 5, 11])
def test_killed_render_pairs_finishes_on_rerun(tmp_path, scene_path, uninterrupted, kill_after_files):
    out = tmp_path / "r"
    command = _cli("render-pairs", scene_path, "--out", out, "--views", VIEWS, "--pairs", 1, "--size", "48x48", "--spp", 16)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: len(list(out.glob("*.exr"))) >= kill_after_files)
    process.kill()  # SIGKILL at an arbitrary point between or inside frame writes
    process.wait()
    survivors = {p.name: p.stat().st_mtime_ns for p in out.glob("*.exr")}
    finished = set(json.loads((out / "manifest.json").read_text())["frames"]) if (out / "manifest.json").exists() else set()

    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["frames"]) == 2 * VIEWS
    assert not [p for p in out.iterdir() if "partial" in p.name or p.name.startswith(".")]
    for name in manifest["frames"]:
        np.testing.assert_array_equal(read_exr(out / name).stack("RGB"), read_exr(uninterrupted / name).stack("RGB"))
    for name in finished:  # pairs finished before the kill were not rendered again
        assert (out / name).stat().st_mtime_ns == survivors[name]


def test_killed_training_resumes_exactly_from_its_checkpoint(train_dir, tmp_path):
    path = tmp_path / "m.pt"
    command = _cli(
        "train",
        train_dir,
        "--out",
        path,
        "--steps",
        400,
        "--width",
        16,
        "--levels",
        3,
        "--crop",
        32,
        "--checkpoint-every",
        0.2,
        "--seed",
        5,
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert _wait_for(lambda: path.exists() and load_checkpoint(path).step >= 20)
    process.kill()  # SIGKILL: no cleanup runs
    process.wait()
    killed_at = load_checkpoint(path).step  # the checkpoint is never corrupt
    assert 20 <= killed_at < 400
    assert not list(tmp_path.glob("*.partial"))

    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"resuming {path} at step" in result.stdout
    assert load_checkpoint(path).step == 400

    # Resuming is exact: the same weights as a run that was never interrupted.
    straight = tmp_path / "straight.pt"
    config = TrainConfig(steps=400, crop=32, seed=5, checkpoint_seconds=1e9, score_seconds=1e9)
    train([train_dir], straight, config, TINY_NET, show_progress=False, log=lambda *a: None)
    a, b = load_checkpoint(path).weights, load_checkpoint(straight).weights
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-5)


def test_two_render_jobs_on_one_directory(tmp_path, scene_path):
    out = tmp_path / "r"
    job = ("--views", 200, "--pairs", 1, "--size", "64x64", "--spp", 64)
    first = subprocess.Popen(_cli("render-pairs", scene_path, "--out", out, *job))
    try:
        assert _wait_for(lambda: (out / ".mcdenoise.lock").exists())
        second = run_cli("render-pairs", scene_path, "--out", out, *job)
        assert second.returncode == 1
        assert "another mcdenoise job" in second.stderr and str(first.pid) in second.stderr
        assert _wait_for(lambda: (out / "manifest.json").exists())  # it has recorded work to resume
    finally:
        first.kill()
        first.wait()
    # The lock of a killed job is stale: the next run takes it over and resumes.
    result = run_cli("render-pairs", scene_path, "--out", out, "--views", 2, "--pairs", 1, "--size", "16x16")
    assert result.returncode == 1 and "other settings" in result.stderr  # settings differ, but not locked


def test_one_bad_frame_does_not_stop_a_batch(trained_model, test_dir, tmp_path):
    good = tmp_path / "shot.exr"
    write_exr(good, Frame(read_exr(test_dir / frame_name(0, 0, "a")).channels))
    bad = tmp_path / "bad.exr"
    bad.write_bytes(b"garbage")
    result = run_cli("apply", bad, good, "--model", trained_model)
    assert result.returncode == 1
    assert (tmp_path / "shot.denoised.exr").exists() and not (tmp_path / "bad.denoised.exr").exists()
    assert "bad.exr" in result.stderr and "1 denoised, 1 failed" in result.stdout


def test_an_output_that_fails_to_write_behind_is_that_frames_failure_alone(trained_model, test_dir, tmp_path, monkeypatch):
    """apply writes each output on a thread of its own while the next frame is denoised; a write
    that fails there (a full disk) fails its frame, leaves no file, and the frames around it go on."""
    frame = Frame(read_exr(test_dir / frame_name(0, 0, "a")).channels)
    sources = [tmp_path / f"shot{i}.exr" for i in range(3)]
    for source in sources:
        write_exr(source, frame)
    real_write = OpenEXR.File.write

    def fail_the_middle_one(self, path):
        if "shot1.denoised" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, path)

    monkeypatch.setattr(OpenEXR.File, "write", fail_the_middle_one)
    results = apply_files(Denoiser.load(trained_model), sources)
    assert [r.error is None for r in results] == [True, False, True], results
    assert "No space left on device" in results[1].error and results[1].output is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot0.denoised.exr", "shot0.exr", "shot1.exr", "shot2.denoised.exr", "shot2.exr"]
    alone = Denoiser.load(trained_model).denoise_frame(read_exr(sources[2]))
    np.testing.assert_array_equal(read_exr(tmp_path / "shot2.denoised.exr").stack(COLOR), alone)
