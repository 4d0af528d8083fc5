"""--route auto, apply's default: OIDN for frames whose noise is independent between pixels (a box
filter), the plain base model for frames whose pixel filter spreads it, on real renders."""

import sys

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.noise_correlation import CORRELATED_RATIO, SAMPLED_PIXELS, guide_of, neighbour_difference_ratio
from mcdenoise.denoise.oidn_only import OidnDenoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.render.job import render_pairs

from conftest import run_cli


@pytest.fixture(scope="module")
def gaussian_dir(tmp_path_factory, scene_path):
    """The scene's own camera with its own (gaussian) pixel filter: one 4 spp pair, 64x64."""
    out = tmp_path_factory.mktemp("gaussian")
    render_pairs(scene_path, out, PairJob(pairs=1, views=1, size=(64, 64), seed=7, pixel_filter="scene"))
    return out


def _ratios(folder):
    frames = [read_exr(folder / frame_name(0, 0, side)) for side in "ab"]
    return [neighbour_difference_ratio(frame.stack(COLOR), guide_of(frame)) for frame in frames]


def test_the_noise_of_a_box_filter_reads_independent_and_a_gaussian_filters_correlated(test_dir, gaussian_dir):
    box, gaussian = _ratios(test_dir), _ratios(gaussian_dir)
    assert max(box) < CORRELATED_RATIO <= min(gaussian), (box, gaussian)  # 1.05, 1.07 and 1.40, 1.42 when written


def test_white_noise_reads_independent_and_blurred_noise_correlated():
    rng = np.random.default_rng(3)
    white = rng.exponential(0.5, size=(96, 96, 3)).astype(np.float32)
    blurred = (white + np.roll(white, 1, axis=0) + np.roll(white, 1, axis=1) + np.roll(white, (1, 1), axis=(0, 1))) / 4
    assert abs(neighbour_difference_ratio(white) - 1.0) < 0.05
    assert neighbour_difference_ratio(blurred) > CORRELATED_RATIO


def test_a_large_frame_read_along_some_lines_reads_as_the_whole():
    """Past SAMPLED_PIXELS the statistic reads every k-th row and column (k = 8 here), and tells
    the two kinds of noise apart as well as from every line."""
    rng = np.random.default_rng(4)
    white = rng.exponential(0.5, size=(720, 720, 3)).astype(np.float32)
    blurred = (white + np.roll(white, 1, axis=0) + np.roll(white, 1, axis=1) + np.roll(white, (1, 1), axis=(0, 1))) / 4
    assert 720 * 720 > 7 * SAMPLED_PIXELS
    sampled = [neighbour_difference_ratio(white), neighbour_difference_ratio(blurred)]
    whole = [neighbour_difference_ratio(white[:256, :256]), neighbour_difference_ratio(blurred[:256, :256])]
    assert abs(sampled[0] - 1.0) < 0.02 and sampled[1] > CORRELATED_RATIO, sampled
    assert np.allclose(sampled, whole, atol=0.03), (sampled, whole)


def test_apply_gives_a_box_filtered_frame_oidns_output(test_dir, tmp_path):
    source = test_dir / frame_name(0, 0, "a")
    result = run_cli("apply", source, "--precision", "fp32", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    assert "Intel OIDN" in result.stdout
    noisy, out = read_exr(source), read_exr(tmp_path / "out.exr")
    np.testing.assert_allclose(
        out.stack(COLOR), oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL)), rtol=1e-4, atol=2e-6
    )
    assert "independent" in out.attributes["mcdenoise.chosen"]


def test_a_color_only_frame_gets_oidn_on_its_color_alone_and_its_halves_are_corrected(test_dir, tmp_path):
    frames = [read_exr(test_dir / frame_name(0, 0, side)) for side in "ab"]
    for side, frame in zip("ab", frames, strict=True):
        write_exr(tmp_path / f"{side}.exr", Frame({c: frame.channels[c] for c in COLOR}))
    result = run_cli("apply", tmp_path / "a.exr", "-o", tmp_path / "out.exr")
    assert result.returncode == 0 and "without the albedo and normal" in result.stdout, result.stderr
    np.testing.assert_array_equal(read_exr(tmp_path / "out.exr").stack(COLOR), oidn_denoise(frames[0].stack(COLOR)))
    color_only = [read_exr(tmp_path / f"{side}.exr") for side in "ab"]
    correction = OidnDenoiser().corrected(*color_only, steps=3)
    assert correction.steps == 3 and np.isfinite(correction.color).all() and correction.color.shape == (64, 64, 3)


def test_apply_gives_a_gaussian_filtered_frame_the_base_models_output(gaussian_dir, tmp_path):
    source = gaussian_dir / frame_name(0, 0, "a")
    result = run_cli("apply", source, "--precision", "fp32", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    assert "base model" in result.stdout
    expected = Denoiser.load("base", device="cpu", precision="fp32").denoise_frame(read_exr(source))
    np.testing.assert_allclose(read_exr(tmp_path / "out.exr").stack(COLOR), expected, rtol=1e-5, atol=1e-6)


def test_without_pyoidn_auto_takes_the_base_model_and_says_what_oidn_would_need(test_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyoidn", None)  # what an import of a package that is not installed does
    source = test_dir / frame_name(0, 0, "a")
    result = run_cli("apply", source, "--precision", "fp32", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    assert "pip install pyoidn" in result.stdout and "Traceback" not in result.stderr
    expected = Denoiser.load("base", device="cpu", precision="fp32").denoise_frame(read_exr(source))
    np.testing.assert_allclose(read_exr(tmp_path / "out.exr").stack(COLOR), expected, rtol=1e-5, atol=1e-6)
