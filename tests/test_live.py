"""mcdenoise live: training while a sequence of the bundled Cornell box renders (real renders), and
resuming after the process is killed."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mcdenoise.config import CameraPath, LiveConfig, PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.temporal import TemporalFilter
from mcdenoise.errors import JobError
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.files import read_json
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.live import MODEL, RECORD, denoised_name, run_live
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

from conftest import run_cli

FRAMES, SIZE = 6, (64, 64)
STILL = PairJob(views=FRAMES, pairs=1, size=SIZE, path=CameraPath("still"))
LIVE = LiveConfig(budget_per_frame=0, steps_per_frame=40, crop=32, batch=4, prior="none")  # learning from the plain base


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The still camera's 1024 spp reference (a one-frame sequence of the same camera)."""
    out = tmp_path_factory.mktemp("reference")
    render_pairs(DEMO_SCENE, out, PairJob(views=1, pairs=1, size=SIZE, reference_spp=1024, seed=9, path=CameraPath("still")))
    return read_exr(out / frame_name(0, None, "ref")).stack(COLOR)


@pytest.fixture(scope="module")
def still(tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    return out, run_live(DEMO_SCENE, out, STILL, LIVE)


def test_live_training_lowers_the_error_over_the_frames(still, reference):
    out, record = still
    assert sorted(map(int, record["frames"])) == list(range(FRAMES))
    assert all(frame["steps"] == 40 for frame in record["frames"].values())
    live = [psnr_t(read_exr(out / denoised_name(f)).stack(COLOR), reference) for f in range(FRAMES)]
    base = Denoiser.load("base", device="cpu")
    halves = [[read_exr(out / frame_name(f, 0, side)) for side in "ab"] for f in range(FRAMES)]
    alone = [psnr_t(base.denoise_merged(*pair), reference) for pair in halves]
    # The base alone does as well on every frame (the same camera, new seeds); live gains as it learns.
    assert np.mean(live[-2:]) > live[0] + 1.0, (live, alone)
    assert np.mean(live[-2:]) > np.mean(alone[-2:]) + 1.5, (live, alone)
    # The model as it stands denoises like the run's last frame.
    model = Denoiser.load(out / MODEL, device="cpu")
    np.testing.assert_allclose(model.denoise_merged(*halves[-1]), read_exr(out / denoised_name(FRAMES - 1)).stack(COLOR), atol=1e-4)


def _blended(folder) -> list[np.ndarray]:
    """The denoised frames of a live run in ``folder``, blended along the sequence as --temporal blends them."""
    blend = TemporalFilter()
    return [blend(read_exr(folder / denoised_name(f)).stack(COLOR), read_exr(folder / frame_name(f, 0, "a"))) for f in range(FRAMES)]


@pytest.mark.parametrize("temporal", [False, True], ids=["plain", "temporal"])
def test_a_killed_live_run_resumes_to_the_same_frames(still, tmp_path, temporal):
    """Killed once its second frame is out, then rerun: every frame as an uninterrupted run made it. With
    --temporal, every frame is the uninterrupted run's frames blended along the sequence: the resumed run
    takes up the blend's history from the last frame written."""
    uninterrupted, _ = still
    expected = _blended(uninterrupted) if temporal else [read_exr(uninterrupted / denoised_name(f)).stack(COLOR) for f in range(FRAMES)]
    command = [sys.executable, "-m", "mcdenoise", "--quiet", "live", str(DEMO_SCENE), "--out", str(tmp_path), "--frames", str(FRAMES)]
    command += ["--temporal"] if temporal else []
    command += [
        "--path",
        "still",
        "--size",
        "64x64",
        "--budget-per-frame",
        "0",
        "--steps-per-frame",
        "40",
        "--crop",
        "32",
        "--batch",
        "4",
        "--prior",
        "none",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not (tmp_path / denoised_name(1)).exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / denoised_name(FRAMES - 1)).exists()  # it was stopped before the end
    result = run_cli(*command[4:])
    assert result.returncode == 0, result.stderr
    for frame in range(FRAMES):
        np.testing.assert_allclose(read_exr(tmp_path / denoised_name(frame)).stack(COLOR), expected[frame], rtol=1e-4, atol=1e-5)
    assert sorted(map(int, read_json(tmp_path / RECORD)["frames"])) == list(range(FRAMES))


def test_live_starts_as_oidn_on_box_filtered_frames(reference, tmp_path):
    """--prior auto reads the first frame's noise: a box filter leaves it independent between pixels, so
    live fine-tunes the base that corrects OIDN, which starts as OIDN's output."""
    config = LiveConfig(budget_per_frame=0, steps_per_frame=1, crop=32, batch=4)
    record = run_live(DEMO_SCENE, tmp_path, PairJob(views=1, pairs=1, size=SIZE, path=CameraPath("still")), config)
    assert record["prior"] == "oidn" and "independent between pixels" in record["prior_chosen"]
    halves = [read_exr(tmp_path / frame_name(0, 0, side)) for side in "ab"]
    merged = (halves[0].stack(COLOR) + halves[1].stack(COLOR)) / 2  # live denoises the two halves merged
    oidn = oidn_denoise(merged, halves[0].stack(ALBEDO), halves[0].stack(NORMAL))
    live = read_exr(tmp_path / denoised_name(0)).stack(COLOR)
    assert abs(psnr_t(live, reference) - psnr_t(oidn, reference)) < 0.1


def test_live_refuses_what_it_cannot_do_in_one_line(still, tmp_path):
    out, _ = still
    budget = ("--budget-per-frame", 0, "--steps-per-frame", 40, "--crop", 32, "--batch", 4)
    cases = [
        (("--out", out, "--frames", FRAMES, "--path", "orbit", "--size", "64x64", *budget), "other settings"),
        (("--out", tmp_path / "a", "--frames", 2, "--size", "32x32", "--budget-per-frame", 0), "--budget-per-frame"),
        (("--out", tmp_path / "b", "--frames", 2, "--size", "32x32", "--init", tmp_path / "missing.pt"), "missing.pt"),
    ]
    for options, fragment in cases:
        result = run_cli("live", DEMO_SCENE, *options)
        assert result.returncode == 1 and fragment in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_live_folder_whose_model_is_not_a_live_runs_is_refused_in_one_line(still, tmp_path, trained_model):
    """The run's settings match, but live.pt was replaced by a model that 'train' wrote."""
    out, _ = still
    shutil.copytree(out, tmp_path / "live")
    shutil.copy(trained_model, tmp_path / "live" / MODEL)
    with pytest.raises(JobError, match="is not a live run's model"):
        run_live(DEMO_SCENE, tmp_path / "live", STILL, LIVE)
