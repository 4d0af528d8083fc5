"""Self-ensembling (apply --orientations): the flips and rotations, and their mean, on a real model."""

import numpy as np
import pytest
import torch

from mcdenoise.denoise.ensemble import COUNTS, ORIENTATIONS, denoise_in_orientations, oriented, restored
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.errors import McDenoiseError
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name

from conftest import run_cli


def test_the_eight_orientations_are_distinct_and_undone_exactly():
    image = np.arange(5 * 7 * 2, dtype=np.float32).reshape(5, 7, 2)
    seen = set()
    for turns, flip in ORIENTATIONS:
        turned = oriented(image, turns, flip)
        assert turned.shape[:2] == ((5, 7) if turns % 2 == 0 else (7, 5))
        seen.add(turned.tobytes() + bytes(turned.shape))
        np.testing.assert_array_equal(restored(turned, turns, flip), image)
        as_tensor = oriented(torch.from_numpy(image), turns, flip)
        np.testing.assert_array_equal(as_tensor.numpy(), turned)
        np.testing.assert_array_equal(restored(as_tensor, turns, flip).numpy(), image)
    assert len(seen) == 8


def test_an_equivariant_denoiser_is_unchanged_by_the_ensemble():
    channels = np.random.default_rng(1).random((6, 9, 5)).astype(np.float32)
    for count in COUNTS:
        np.testing.assert_allclose(denoise_in_orientations(lambda c: c[..., :3] * 2, channels, count), channels[..., :3] * 2, rtol=1e-6)
    with pytest.raises(ValueError, match="1, 2, 4, 8"):
        denoise_in_orientations(lambda c: c, channels, 3)


def test_a_real_model_averages_its_oriented_outputs(trained_model, test_dir):
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    single = Denoiser.load(trained_model, device="cpu")
    channels = frame.require(single.features.channels, "test")
    each = [restored(single(oriented(channels, turns, flip)), turns, flip) for turns, flip in ORIENTATIONS]
    assert max(np.abs(e - each[0]).max() for e in each[1:]) > 1e-3, "the network is not exactly equivariant"
    for count in (2, 8):
        ensemble = Denoiser.load(trained_model, device="cpu", orientations=count)
        np.testing.assert_allclose(ensemble.denoise_frame(frame), np.mean(each[:count], axis=0), rtol=1e-5, atol=1e-6)
        as_tensor = ensemble(torch.from_numpy(channels))
        np.testing.assert_allclose(as_tensor.numpy(), np.mean(each[:count], axis=0), rtol=1e-5, atol=1e-6)


def test_bad_orientation_counts_are_refused_in_one_line(trained_model, test_dir, tmp_path):
    with pytest.raises(McDenoiseError, match="orientations"):
        Denoiser.load(trained_model, device="cpu", orientations=3)
    result = run_cli("apply", test_dir / frame_name(0, 0, "a"), "--model", trained_model, "--orientations", "3", "-o", tmp_path / "x.exr")
    assert result.returncode != 0 and "--orientations" in result.stderr and "Traceback" not in result.stderr
