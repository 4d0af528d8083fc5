"""Temporal reuse (apply --sequence) on real sequences of the bundled Cornell box: less flicker on a
still camera, no worse a frame, and one-line errors for frames it cannot blend."""

import numpy as np
import pytest

from mcdenoise.config import CameraPath, PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.denoise.apply import denoised_path
from mcdenoise.denoise.temporal import TemporalFilter, noise_variance
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.metrics import psnr_t, still_flicker
from mcdenoise.render.job import render_pairs

from conftest import run_cli

FRAMES = 10


@pytest.fixture(scope="module")
def still(tmp_path_factory):
    """A still camera's 10 frames at 64x64, 4 spp, and the view's 1024 spp reference."""
    out = tmp_path_factory.mktemp("still")
    render_pairs(DEMO_SCENE, out, PairJob(views=FRAMES, pairs=1, size=(64, 64), path=CameraPath("still")))
    reference = tmp_path_factory.mktemp("still_reference")
    render_pairs(DEMO_SCENE, reference, PairJob(views=1, pairs=1, size=(64, 64), reference_spp=1024, seed=7, path=CameraPath("still")))
    return [out / frame_name(f, 0, "a") for f in range(FRAMES)], read_exr(reference / frame_name(0, None, "ref")).stack(COLOR)


def _outputs(frames, folder, *options):
    result = run_cli("apply", *frames, "--model", "base", *options)
    assert result.returncode == 0, result.stderr
    outputs = [folder / denoised_path(f).name for f in frames]
    for frame, output in zip(frames, outputs, strict=True):
        denoised_path(frame).rename(output)
    return [read_exr(o).stack(COLOR) for o in outputs]


def test_temporal_reuse_lowers_a_still_sequences_flicker_and_no_frame_gets_worse(still, tmp_path):
    frames, reference = still
    (tmp_path / "plain").mkdir()
    (tmp_path / "blended").mkdir()
    plain = _outputs(frames, tmp_path / "plain")
    blended = _outputs(frames, tmp_path / "blended", "--sequence")
    np.testing.assert_array_equal(plain[0], blended[0])  # the first frame has no history
    later = slice(4, None)  # once a few frames have been blended
    assert still_flicker(blended[later]) < 0.6 * still_flicker(plain[later]), (still_flicker(blended[later]), still_flicker(plain[later]))
    gains = [psnr_t(b, reference) - psnr_t(p, reference) for p, b in zip(plain[later], blended[later], strict=True)]
    assert min(gains) > -0.2 and np.mean(gains) > 0.3, gains  # each frame within noise of its own, most better
    assert (
        "blended with the previous output"
        in read_exr(tmp_path / "blended" / denoised_path(frames[-1]).name).attributes["mcdenoise.temporal"]
    )


def test_temporal_reuse_blends_what_orientations_denoise(still, tmp_path):
    """The blend is a post-process of the denoised colors: with --orientations, frame 0 is the
    orientations' output as it is, and the later frames are blends of theirs."""
    frames, _ = still
    first = frames[:3]
    for name, options in (("plain", ()), ("blended", ("--sequence",))):
        (tmp_path / name).mkdir()
        outputs = _outputs(first, tmp_path / name, "--orientations", "4", *options)
        if name == "plain":
            plain = outputs
    np.testing.assert_array_equal(plain[0], outputs[0])
    assert all(np.abs(b - p).max() > 0 for p, b in zip(plain[1:], outputs[1:], strict=True))
    assert all(np.isfinite(b).all() for b in outputs)


def test_frames_it_cannot_blend_get_one_line(still, tmp_path, test_dir):
    frames, _ = still
    plain = test_dir / frame_name(0, 0, "a")  # a render-pairs frame: no motion
    result = run_cli("apply", frames[0], plain, "--sequence", "--model", "base")
    assert result.returncode == 1 and "motion.X" in result.stderr and "render-sequence" in result.stderr, result.stderr
    small = tmp_path / "small"
    render_pairs(DEMO_SCENE, small, PairJob(views=1, pairs=1, size=(32, 32), path=CameraPath("still")))
    result = run_cli("apply", frames[0], small / frame_name(0, 0, "a"), frames[1], "--sequence", "--model", "base")
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode == 1 and len(errors) == 1 and "32x32" in errors[0] and "64x64" in errors[0], result.stderr
    assert denoised_path(frames[1]).exists()  # the frame after it starts afresh


def _denoised_orbit(tmp_path, move: CameraPath):
    """Two frames of a 64x64 move of the box, 4 spp: each first half, OIDN's output on its merged halves, and their noise."""
    render_pairs(DEMO_SCENE, tmp_path, PairJob(views=2, pairs=1, size=(64, 64), path=move))
    halves = [[read_exr(tmp_path / frame_name(t, 0, side)) for side in "ab"] for t in range(2)]
    merged = [(a.stack(COLOR) + b.stack(COLOR)) / 2 for a, b in halves]
    denoised = [oidn_denoise(m, a.stack(ALBEDO), a.stack(NORMAL)) for m, (a, _) in zip(merged, halves, strict=True)]
    noises = [noise_variance(a.stack(COLOR), b.stack(COLOR)) for a, b in halves]
    return [a for a, _ in halves], denoised, noises


def test_the_frames_noise_keeps_a_moving_cameras_history_off_a_change_that_features_cannot_see(tmp_path):
    """A patch of the history made 3x brighter, as a glossy reflection that moved with the view would
    be, with albedo, normal and depth unchanged: given the frame's noise, the patch takes this frame's
    denoised color; without it, the blend lets the stale color through. Elsewhere the history is kept."""
    frames, denoised, noises = _denoised_orbit(tmp_path, CameraPath("orbit", degrees=2.0))
    stale = denoised[0].copy()
    patch = (slice(20, 40), slice(20, 40))
    stale[patch] *= 3
    outputs = {}
    for given in (True, False):
        blend = TemporalFilter()
        blend.prime(stale, frames[0])
        outputs[given] = blend(denoised[1], frames[1], noise=noises[1] if given else None)
    inner = (slice(24, 36), slice(24, 36))  # the patch, away from its edges
    relative = {given: np.median(np.abs(out[inner] - denoised[1][inner]) / (denoised[1][inner] + 1e-3)) for given, out in outputs.items()}
    assert relative[True] < 0.02 and relative[False] > 0.1, relative
    away = np.ones((64, 64), bool)
    away[16:44, 16:44] = False
    changed = np.abs(outputs[True] - denoised[1]).max(-1)[away] > 1e-6
    assert changed.mean() > 0.8, changed.mean()  # the rest of the frame still blends with its history


def test_a_still_camera_is_not_tested_against_the_frames_noise(tmp_path):
    frames, denoised, noises = _denoised_orbit(tmp_path, CameraPath("still"))
    outputs = []
    for noise in (noises[1], None):
        blend = TemporalFilter()
        blend(denoised[0], frames[0])
        outputs.append(blend(denoised[1], frames[1], noise=noise))
    np.testing.assert_array_equal(outputs[0], outputs[1])
