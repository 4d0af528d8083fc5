"""The per-frame corrector (issue 39): it starts as its denoiser, a half with no noise
comes back as it is, and the reference-free estimate ranks outputs as the reference does."""

import numpy as np
import torch

from mcdenoise.denoise.correct import Corrector, Half, correct_frame, held_out_error, held_out_tiles
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.metrics import rel_mse


def _halves(test_dir):
    """The test view's two 4 spp frames (independent seeds) as halves, each with OIDN's output of it alone."""
    frames = [read_exr(test_dir / frame_name(0, 0, side)) for side in "ab"]
    return [
        Half(f.stack(COLOR), oidn_denoise(f.stack(COLOR), f.stack(ALBEDO), f.stack(NORMAL)), f.stack(ALBEDO), f.stack(NORMAL))
        for f in frames
    ]


def test_a_half_with_no_noise_comes_back_as_it_is(test_dir):
    a, _ = _halves(test_dir)
    clean = Half(a.denoised, a.denoised, a.albedo, a.normal)
    np.testing.assert_allclose(Corrector(guides=3).correct(clean), a.denoised, rtol=1e-5, atol=1e-6)


def test_a_new_corrector_starts_close_to_its_denoiser_and_training_keeps_it_finite(test_dir):
    a, b = _halves(test_dir)
    corrector = Corrector(guides=3)
    start = corrector.correct(a)
    assert rel_mse(start, a.denoised) < 0.01  # 98 % the denoiser's, 2 % the kernel's estimate
    assert corrector.fit(a, b, steps=5) == 5
    assert np.isfinite(corrector.correct(a)).all()


def test_the_held_out_estimate_ranks_outputs_as_the_reference_does(test_dir):
    a, b = _halves(test_dir)
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)
    candidates = {"noisy": a.color, "oidn": a.denoised, "oidn too bright": a.denoised * 1.3}
    estimate = {name: held_out_error(image, b.color, b.denoised) for name, image in candidates.items()}
    truth = {name: rel_mse(image, reference) for name, image in candidates.items()}
    assert sorted(estimate, key=estimate.get) == sorted(truth, key=truth.get) == ["oidn", "oidn too bright", "noisy"], (estimate, truth)


def test_a_frame_corrected_with_held_out_tiles_keeps_what_the_tiles_say(test_dir):
    a, b = _halves(test_dir)
    held = held_out_tiles(64, 64, tile=16, seed=3)
    assert held.shape == (64, 64) and 0 < held.mean() < 1 and np.array_equal(held, held_out_tiles(64, 64, tile=16, seed=3))
    whole = Half((a.color + b.color) / 2, (a.denoised + b.denoised) / 2, a.albedo, a.normal)
    result = correct_frame(a, b, whole, steps=5)
    assert result.steps == 5 and np.isfinite(result.color).all()
    assert result.kept == (result.estimate < result.denoiser_estimate)
    if not result.kept:
        np.testing.assert_array_equal(result.color, whole.denoised)
    assert ("corrected" if result.kept else "OIDN kept") in result.summary("OIDN")


def test_a_frame_without_features_is_corrected_by_its_color_alone(test_dir):
    a, b = (Half(h.color, h.denoised) for h in _halves(test_dir))
    result = correct_frame(a, b, a, steps=3)
    assert result.color.shape == a.color.shape and np.isfinite(result.color).all()


def test_a_frame_corrected_in_tiles_is_the_frame_corrected_whole(test_dir):
    a, _ = _halves(test_dir)
    corrector = Corrector(guides=3)
    with torch.no_grad():  # a corrector that moves away from its denoiser, so the tiles' margins matter
        for parameter in corrector.net.head.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)) * 0.3)
    whole, tiled = corrector.correct(a, tile=1000), corrector.correct(a, tile=20)
    assert not np.allclose(whole, a.denoised, rtol=1e-3)
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-6)
