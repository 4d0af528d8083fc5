"""A frame in two halves (real renders): denoised as a pair, merged and corrected from its halves by
``apply --other-half``, and adapted to with Noise2Noise on itself (experimental, library only)."""

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.errors import FrameError
from mcdenoise.features import COLOR
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

from conftest import run_cli


@pytest.fixture(scope="module")
def halves(tmp_path_factory, scene_path):
    """The scene's own camera as two independent 2 spp halves and a 1024 spp reference, 64x64."""
    out = tmp_path_factory.mktemp("halves")
    render_pairs(scene_path, out, PairJob(spp=2, pairs=1, views=1, size=(64, 64), seed=11, reference_spp=1024))
    return out / frame_name(0, 0, "a"), out / frame_name(0, 0, "b"), read_exr(out / frame_name(0, None, "ref")).stack(COLOR)


def test_the_mean_of_two_denoised_halves_beats_one_denoised_half(halves):
    first, second, reference = halves
    denoiser = Denoiser.load("base", device="cpu")
    one = psnr_t(denoiser.denoise_frame(read_exr(first)), reference)
    both = psnr_t(denoiser.denoise_halves(read_exr(first), read_exr(second)), reference)
    assert both > one + 0.2, (one, both)  # 29.21 -> 29.68 dB when written (AMD EPYC)


def test_apply_with_the_other_half_merges_denoises_and_corrects_saying_what_it_kept(halves, tmp_path):
    first, second, reference = halves
    out = tmp_path / "corrected.exr"
    result = run_cli("apply", first, "--other-half", second, "--route", "oidn", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "held-out error" in result.stdout and " steps, " in result.stdout, result.stdout
    frame = read_exr(out)
    assert set(frame.channels) == set(read_exr(first).channels)  # the source's other channels are kept
    note = frame.attributes["mcdenoise.corrected"]
    oidn = Denoiser.base("oidn", device="cpu")
    a, b = read_exr(first), read_exr(second)
    merged, halves_mean = oidn.denoise_merged(a, b), oidn.denoise_halves(a, b)
    color = frame.stack(COLOR)
    if note.startswith("OIDN kept"):
        np.testing.assert_allclose(color, merged, rtol=1e-6, atol=1e-7)
    else:
        assert note.startswith("corrected")
    # Denoised once with the samples of both, it is ahead of the halves denoised apart.
    assert psnr_t(color, reference) > psnr_t(halves_mean, reference) + 0.2, (psnr_t(color, reference), psnr_t(halves_mean, reference))
    assert psnr_t(color, reference) > psnr_t(merged, reference) - 0.3


def test_with_a_model_the_other_half_corrects_that_models_output(halves, trained_model, tmp_path):
    first, second, _ = halves
    out = tmp_path / "model.exr"
    result = run_cli("apply", first, "--other-half", second, "--model", trained_model, "-o", out)
    assert result.returncode == 0 and "tiny.pt" in result.stdout, result.stdout
    note = read_exr(out).attributes["mcdenoise.corrected"]
    assert note.startswith(("corrected", "tiny.pt kept")), note
    if not note.startswith("corrected"):
        merged = Denoiser.load(trained_model, device="cpu").denoise_merged(read_exr(first), read_exr(second))
        np.testing.assert_allclose(read_exr(out).stack(COLOR), merged, rtol=1e-5, atol=1e-6)


def test_a_correction_is_kept_only_when_the_held_out_tiles_say_it_is_ahead(halves):
    first, second, _ = halves
    correction = Denoiser.base("oidn", device="cpu").corrected(read_exr(first), read_exr(second), steps=5)
    assert correction.steps == 5 and np.isfinite(correction.color).all() and correction.seconds > 0
    assert correction.kept == (correction.estimate < correction.denoiser_estimate)


def test_adapting_leaves_the_loaded_model_as_it_was(halves):
    first, second, _ = halves
    denoiser = Denoiser.load("base", device="cpu")
    before = denoiser.denoise_frame(read_exr(first))
    denoiser.adapted_to(read_exr(first), read_exr(second), steps=3)
    np.testing.assert_array_equal(denoiser.denoise_frame(read_exr(first)), before)


def test_frames_that_are_not_two_halves_get_a_clear_error(halves, train_dir, tmp_path):
    first, second, _ = halves
    denoiser = Denoiser.load("base", device="cpu")
    with pytest.raises(FrameError, match="independent seeds"):
        denoiser.adapted_to(read_exr(first), read_exr(first), steps=2)
    with pytest.raises(FrameError, match="different views"):
        denoiser.denoise_halves(read_exr(first), read_exr(train_dir / frame_name(3, 0, "a")))
    with pytest.raises(FrameError, match="different views"):
        Denoiser.base("oidn", device="cpu").corrected(read_exr(first), read_exr(train_dir / frame_name(3, 0, "a")))
    small = tmp_path / "small.exr"
    frame = read_exr(second)
    write_exr(small, Frame({name: values[:32, :48] for name, values in frame.channels.items()}, frame.attributes))
    result = run_cli("apply", first, "--other-half", small, "-o", tmp_path / "o.exr")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not two halves of one frame" in result.stderr and "small.exr" in result.stderr
    assert not (tmp_path / "o.exr").exists()


def test_the_other_half_is_never_overwritten_and_the_same_seed_is_refused(halves, tmp_path):
    first, second, _ = halves
    before = second.read_bytes()
    result = run_cli("apply", first, "--other-half", second, "-o", second)
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert second.read_bytes() == before
    result = run_cli("apply", first, "--other-half", first, "-o", tmp_path / "o.exr")
    assert result.returncode == 1 and "independent seeds" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.exr").exists()


def test_adapt_is_retired_from_the_command_line(halves, tmp_path):
    first, second, _ = halves
    result = run_cli("apply", first, "--other-half", second, "--adapt", 10, "-o", tmp_path / "o.exr")
    assert result.returncode == 2 and "--adapt" in result.stderr and not (tmp_path / "o.exr").exists()


def test_merged_halves_are_denoised_as_one_frame_with_the_samples_of_both(halves):
    first, second = (read_exr(path) for path in halves[:2])
    denoiser = Denoiser.load("base", device="cpu", precision="fp32")
    merged = Frame({name: (first.channels[name] + second.channels[name]) / 2 for name in first.channels})
    np.testing.assert_allclose(denoiser.denoise_merged(first, second), denoiser.denoise_frame(merged), rtol=1e-6, atol=1e-7)
    with pytest.raises(FrameError, match="independent seeds"):
        denoiser.denoise_merged(first, first)


def test_nan_and_infinite_pixels_are_corrected_as_zero_and_the_output_stays_finite(halves):
    first, second, _ = halves
    broken = read_exr(first)
    broken.channels["R"][5, 6], broken.channels["G"][10, 20], broken.channels["B"][30, 40] = np.nan, np.inf, -3.0
    correction = Denoiser.base("oidn", device="cpu").corrected(broken, read_exr(second), steps=3)
    assert np.isfinite(correction.color).all() and (correction.color >= 0).all()
