"""A frame with color alone, where the base model would take it: the bundled color-only model
denoises it (issue 38), on real renders of the Cornell box with its own gaussian pixel filter."""

import numpy as np
import pytest
import torch

from mcdenoise.config import PairJob
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR
from mcdenoise.io.bundled import BASE_MODEL, COLOR_MODEL
from mcdenoise.io.checkpoint import load_checkpoint, save_checkpoint
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.encode import encode
from mcdenoise.learn.model import build_model
from mcdenoise.learn.weights import dropping_features
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

from conftest import run_cli

#: PSNR_T that the color-only model must gain over the noisy frame (3.7 dB when written; the full base 2.8).
MARGIN_DB = 3.0


@pytest.fixture(scope="module")
def gaussian_reference_dir(tmp_path_factory, scene_path):
    """The scene's own camera with its own (gaussian) pixel filter: a 4 spp pair and a 512 spp reference, 96x96."""
    out = tmp_path_factory.mktemp("gaussian_ref")
    job = PairJob(pairs=1, views=1, size=(96, 96), seed=7, pixel_filter="scene", reference_spp=512)
    render_pairs(scene_path, out, job, show_progress=False)
    return out


@pytest.fixture(scope="module")
def color_only(gaussian_reference_dir, tmp_path_factory):
    """The 4 spp frame with its albedo, normal and depth stripped, and the reference's color."""
    frame = read_exr(gaussian_reference_dir / frame_name(0, 0, "a"))
    path = tmp_path_factory.mktemp("color_only") / "frame.exr"
    write_exr(path, Frame({name: frame.channels[name] for name in COLOR}))
    return path, read_exr(gaussian_reference_dir / frame_name(0, None, "ref")).stack(COLOR)


def test_apply_with_no_model_denoises_a_color_only_frame_by_the_color_only_model(color_only, tmp_path):
    source, reference = color_only
    out = tmp_path / "out.exr"
    result = run_cli("apply", source, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "shared between neighbouring pixels" in result.stdout and "color-only model" in result.stdout, result.stdout
    denoised = read_exr(out)
    assert denoised.attributes["mcdenoise.model"] == COLOR_MODEL.name
    assert "color-only model" in denoised.attributes["mcdenoise.chosen"]
    noisy = read_exr(source).stack(COLOR)
    assert psnr_t(denoised.stack(COLOR), reference) > psnr_t(noisy, reference) + MARGIN_DB


def test_route_base_on_a_color_only_frame_takes_the_color_only_model(color_only, tmp_path):
    source, reference = color_only
    result = run_cli("apply", source, "--route", "base", "--precision", "fp32", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    assert "color-only model" in result.stdout, result.stdout
    expected = Denoiser.load("color", device="cpu", precision="fp32").denoise_frame(read_exr(source))
    np.testing.assert_allclose(read_exr(tmp_path / "out.exr").stack(COLOR), expected, rtol=1e-5, atol=1e-6)


def test_the_base_still_takes_a_frame_with_its_features(gaussian_reference_dir):
    frame = read_exr(gaussian_reference_dir / frame_name(0, 0, "a"))
    base = Denoiser.base(device="cpu")
    assert base.for_frame(frame) == (base, None)
    albedo_only = Frame({name: frame.channels[name] for name in COLOR + ("albedo.R", "albedo.G", "albedo.B")})
    assert base.for_frame(albedo_only) == (base, None)  # its normal under a name to map: refused with --channels
    chosen, note = base.for_frame(Frame({name: frame.channels[name] for name in COLOR}))
    assert chosen.features.aux == () and "lacks the albedo and normal" in note


def test_the_base_without_its_features_starts_as_the_base_on_flat_mid_range_features(color_only):
    """Dropped inputs fold into the first bias as if they were 0.5: inside the border (where the
    padding is 0, not 0.5) the grown model's first convolution gives the base's on albedo 0.5 and normal 0."""
    color = torch.as_tensor(read_exr(color_only[0]).stack(COLOR))
    base = load_checkpoint(BASE_MODEL)
    grown = dropping_features(base, ())
    assert grown.features.aux == () and grown.model_config.in_channels == 3
    flat = torch.cat([color, torch.full_like(color, 0.5), torch.zeros_like(color)], dim=-1)
    first = []
    for checkpoint, channels in ((base, flat), (grown, color)):
        model = build_model(checkpoint)
        model.inc[0].register_forward_hook(lambda module, inputs, output: first.append(output))
        with torch.no_grad():
            model(encode(channels, checkpoint.features, 1.0)[None])
    torch.testing.assert_close(first[1][..., 1:-1, 1:-1], first[0][..., 1:-1, 1:-1], rtol=1e-5, atol=1e-5)


def test_a_model_trained_with_no_features_applies_to_a_color_only_frame(train_dir, color_only, tmp_path):
    start, path = tmp_path / "start.pt", tmp_path / "color.pt"
    save_checkpoint(start, dropping_features(load_checkpoint(BASE_MODEL), ()))
    trained = run_cli("train", train_dir, "--out", path, "--steps", "20", "--crop", "32", "--features", "none", "--init", start)
    assert trained.returncode == 0, trained.stderr
    assert load_checkpoint(path).features.aux == ()
    source, reference = color_only
    result = run_cli("apply", source, "--model", path, "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    noisy = read_exr(source).stack(COLOR)
    assert psnr_t(read_exr(tmp_path / "out.exr").stack(COLOR), reference) > psnr_t(noisy, reference) + 1.0  # 20 steps: +1.7 dB
