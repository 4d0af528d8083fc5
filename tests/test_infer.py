"""Tiled inference equals untiled inference."""

import numpy as np
import pytest
import torch

from mcdenoise.config import UNetConfig
from mcdenoise.features import FeatureSet
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.infer import _tiles, default_overlap, denoise_array, plan_tile_shape, receptive_radius
from mcdenoise.learn.model import UNet


def _random_model(depth=3, magnitude_input=False):
    torch.manual_seed(0)
    model = UNet(UNetConfig(in_channels=9, width=8, depth=depth, magnitude_input=magnitude_input))
    torch.nn.init.normal_(model.out.weight, std=0.1)  # the zero-initialised head would hide seams
    return model.eval()


def test_tiled_output_equals_untiled_output(train_dir):
    frame = read_exr(train_dir / frame_name(0, 0, "a")).stack(FeatureSet().channels)
    frame = np.tile(frame, (3, 4, 1))[:150, :230]  # 150x230: not a multiple of the alignment
    model = _random_model()
    whole = denoise_array(model, FeatureSet(), frame, tile=4096)
    tiled = denoise_array(model, FeatureSet(), frame, tile=default_overlap(model.config) * 2 + 16)
    assert whole.shape == (150, 230, 3)
    assert np.abs(tiled - whole).max() <= 1e-4


@pytest.mark.parametrize("magnitude_input", [False, True])
def test_receptive_radius_bounds_the_influence_of_a_pixel(magnitude_input):
    model = _random_model(depth=2, magnitude_input=magnitude_input)
    radius = receptive_radius(model.config)
    x = (torch.rand(1, 9, 128, 128) + 0.1).requires_grad_()  # positive radiance: T has no slope at 0
    model(x)[0, :, 64, 64].sum().backward()
    reach = torch.nonzero(x.grad.abs().sum(dim=(0, 1)))
    assert (reach - 64).abs().max().item() <= radius


def test_nan_and_inf_pixels_are_treated_as_zero(train_dir):
    frame = read_exr(train_dir / frame_name(0, 0, "a")).stack(FeatureSet().channels)
    model = _random_model()
    clean = denoise_array(model, FeatureSet(), frame)
    spoiled = frame.copy()
    spoiled[5, 5, 0], spoiled[6, 6, 1], spoiled[7, 7, 2] = np.nan, np.inf, -1.0
    result = denoise_array(model, FeatureSet(), spoiled)
    assert np.isfinite(result).all()
    zeroed = frame.copy()
    zeroed[5, 5, 0], zeroed[6, 6, 1], zeroed[7, 7, 2] = 0.0, 0.0, 0.0
    np.testing.assert_array_equal(result, denoise_array(model, FeatureSet(), zeroed))
    assert not np.array_equal(result, clean)


def test_tile_plan_covers_the_frame_within_the_budget_and_beats_square_tiles():
    overlap, align, budget = 112, 16, 768 * 768
    for height, width in [(1088, 1920), (2160, 3840), (768, 1024), (112, 5008), (64, 64)]:
        th, tw = plan_tile_shape(height, width, align, budget, overlap)
        assert th * tw <= budget or (th, tw) == (min(height, 240), min(width, 240))
        assert th % align == 0 or th == height
        covered = np.zeros((height, width), dtype=int)
        for (y, x, _, _), (top, left, bottom, right) in _tiles(height, width, align, 768, overlap):
            covered[y + top : y + bottom, x + left : x + right] += 1
        assert covered.min() >= 1
    windows = list(_tiles(1080, 1920, align, 768, overlap))
    computed = sum(th * tw for (_, _, th, tw), _ in windows)
    assert computed < 8 * 768 * 768  # what 768x768 squares compute on a 1080p frame
