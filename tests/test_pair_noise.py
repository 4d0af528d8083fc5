"""Pairs whose noise is not independent are refused in one line: the same seed, a frame copied
with a small change, halves that share most of their samples; real renders with independent
seeds pass, with a box pixel filter and with the scene's gaussian (issue 38)."""

import shutil

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.features import COLOR
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import INDEPENDENT_AT_LEAST, noise_independence
from mcdenoise.render.job import render_pairs

from conftest import run_cli


@pytest.fixture(scope="module", params=["box", "scene"])
def one_spp_frames(request, tmp_path_factory, scene_path):
    """Six 1 spp frames of the scene's camera with independent seeds, 64x64, with the box filter or the scene's own."""
    out = tmp_path_factory.mktemp(f"spp1-{request.param}")
    render_pairs(scene_path, out, PairJob(spp=1, pairs=3, views=1, size=(64, 64), seed=21, pixel_filter=request.param))
    return [read_exr(out / frame_name(0, pair, side)).stack(COLOR) for pair in range(3) for side in "ab"]


def test_independent_renders_pass_and_shared_samples_do_not(one_spp_frames):
    f = one_spp_frames
    independent = noise_independence(np.mean(f[0:3], 0), np.mean(f[3:6], 0))
    three_of_four_shared = noise_independence(np.mean(f[0:4], 0), np.mean(f[0:3] + f[4:5], 0))
    copied = noise_independence(f[0], f[0] * 1.02)
    assert independent > 1.5 * INDEPENDENT_AT_LEAST, independent
    assert three_of_four_shared < INDEPENDENT_AT_LEAST and copied < 0.05, (three_of_four_shared, copied)


def test_train_and_apply_refuse_a_copied_pair_in_one_line(test_dir, tmp_path):
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    folder = tmp_path / "pairs"
    folder.mkdir()
    shutil.copy(test_dir / frame_name(0, 0, "a"), folder / "cam_a.exr")
    write_exr(folder / "cam_b.exr", Frame({name: values * (1.02 if name in COLOR else 1) for name, values in frame.channels.items()}))
    for args in (
        ("train", folder, "--out", tmp_path / "m.pt", "--steps", 1),
        ("train", folder, "--out", tmp_path / "c.pt", "--steps", 1, "--corrector"),
        ("apply", folder / "cam_a.exr", "--other-half", folder / "cam_b.exr", "-o", tmp_path / "o.exr"),
    ):
        result = run_cli(*args)
        assert result.returncode == 1 and "not independent" in result.stderr and "seed" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not any((tmp_path / name).exists() for name in ("m.pt", "c.pt", "o.exr"))
