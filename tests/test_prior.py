"""The OIDN prior (post-correction): the network starts as OIDN, trains on top of it, and says what
to install when pyoidn is missing."""

import math
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from mcdenoise.config import TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.checkpoint import load_checkpoint, save_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn import oidn
from mcdenoise.learn.model import correcting_prior, inference_model
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t

from conftest import run_cli


def _frame(test_dir):
    noisy = read_exr(test_dir / frame_name(0, 0, "a"))
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)
    return noisy, reference


def test_a_plain_model_made_to_correct_oidn_gives_oidns_output(test_dir, tmp_path):
    noisy, _ = _frame(test_dir)
    oidn = oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL))
    path = tmp_path / "corrects_oidn.pt"
    save_checkpoint(path, correcting_prior(load_checkpoint(BASE_MODEL), "oidn"))
    denoiser = Denoiser.load(path, precision="fp32")
    assert denoiser.features == FeatureSet(prior="oidn")
    assert denoiser.model.returns_prior  # so it runs OIDN alone
    np.testing.assert_array_equal(denoiser.denoise_frame(noisy), oidn)
    with torch.no_grad():
        denoiser.model.out.bias.fill_(1e-12)  # a correction of (almost) zero, computed: the whole network runs
    assert not denoiser.model.returns_prior
    np.testing.assert_allclose(denoiser.denoise_frame(noisy), oidn, rtol=1e-4, atol=2e-6)


def test_a_bounded_correction_keeps_every_pixel_within_its_bound_of_the_prior(test_dir):
    noisy, _ = _frame(test_dir)
    oidn = oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL))
    limit = math.log(4)
    checkpoint = correcting_prior(load_checkpoint(BASE_MODEL), "oidn", correction_limit=limit)
    # A wildly wrong output layer, as a broken fine-tune might leave it: corrections of +-100 in log.
    generator = torch.Generator().manual_seed(0)
    weights = dict(checkpoint.weights)
    weights["out.weight"] = 50 * torch.randn(weights["out.weight"].shape, generator=generator)
    weights["out.bias"] = 100 * torch.randn(weights["out.bias"].shape, generator=generator)
    checkpoint = replace(checkpoint, weights=weights)
    denoised = Denoiser(inference_model(checkpoint), checkpoint.features, precision="fp32").denoise_frame(noisy)
    lit = oidn > 1e-3  # below, the prior's epsilon in the log dominates the ratio
    ratio = denoised[lit] / oidn[lit]
    assert ratio.min() >= 0.25 * (1 - 1e-3) and ratio.max() <= 4 * (1 + 1e-3), (ratio.min(), ratio.max())
    assert ratio.max() > 3.5 and ratio.min() < 0.3  # the bound is reached, not some other limit


def test_training_a_plain_model_with_the_prior_starts_at_oidn_and_does_not_fall_below_it(train_dir, test_dir, tmp_path):
    noisy, reference = _frame(test_dir)
    oidn_psnr = psnr_t(oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL)), reference)
    config = TrainConfig(steps=60, crop=32, init=str(BASE_MODEL), checkpoint_seconds=1e9, score_seconds=1e9)
    train([train_dir], tmp_path / "m.pt", config, features=FeatureSet(prior="oidn"))
    checkpoint = load_checkpoint(tmp_path / "m.pt")
    assert checkpoint.features.prior == "oidn" and checkpoint.model_config.prior_base
    trained_psnr = psnr_t(Denoiser.load(tmp_path / "m.pt").denoise_frame(noisy), reference)
    # 60 steps on 16 views of the same scene: a correction that may help a little, never a collapse.
    assert trained_psnr > oidn_psnr - 0.5, (trained_psnr, oidn_psnr)


@pytest.mark.parametrize("command", ["train", "apply"])
def test_a_missing_pyoidn_is_one_line_saying_what_to_install(command, train_dir, test_dir, tmp_path, monkeypatch):
    model = tmp_path / "corrects_oidn.pt"
    save_checkpoint(model, correcting_prior(load_checkpoint(BASE_MODEL), "oidn"))
    monkeypatch.setitem(sys.modules, "pyoidn", None)  # what an import of a package that is not installed does
    if command == "train":
        result = run_cli("train", train_dir, "--out", tmp_path / "m.pt", "--steps", 2, "--prior", "oidn")
    else:
        result = run_cli("apply", test_dir / frame_name(0, 0, "a"), "--model", model, "-o", tmp_path / "out.exr")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "pip install pyoidn" in lines[0] and "--prior" in lines[0] and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrects_oidn.pt"]


def test_apply_takes_a_model_or_a_route_not_both(test_dir, tmp_path):
    result = run_cli("apply", test_dir / frame_name(0, 0, "a"), "--model", "base", "--route", "oidn", "-o", tmp_path / "o.exr")
    assert result.returncode == 1 and "--model or --route" in result.stderr and not (tmp_path / "o.exr").exists()


def test_apply_routed_to_oidn_gives_oidns_output(test_dir, tmp_path):
    source = test_dir / frame_name(0, 0, "a")
    result = run_cli("apply", source, "--route", "oidn", "--precision", "fp32", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    noisy = read_exr(source)
    oidn = oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL))
    np.testing.assert_allclose(read_exr(tmp_path / "out.exr").stack(COLOR), oidn, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("large", [False, True], ids=["packed-copies", "in-place-and-capped"])
def test_oidn_on_a_frames_stacked_channels_gives_what_packed_copies_give_and_never_changes_its_input(test_dir, monkeypatch, large):
    """Views of a stack of channels go to OIDN as packed copies or, on a frame counted as large,
    where they lie (strides) with its scratch memory capped; both give what contiguous copies
    give. Invalid values are replaced in a copy, not in the caller's arrays."""
    if large:
        monkeypatch.setattr(oidn, "UNCAPPED_PIXELS", 0)
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    stack = frame.stack(COLOR + ALBEDO + NORMAL + ("depth.Z",))
    color, albedo, normal = stack[..., 0:3], stack[..., 3:6], stack[..., 6:9]
    assert not color.flags.c_contiguous
    copies = oidn_denoise(*(np.ascontiguousarray(block) for block in (color, albedo, normal)))
    np.testing.assert_array_equal(oidn_denoise(color, albedo, normal), copies)
    spoiled = stack.copy()
    spoiled[5, 5, 0], spoiled[6, 6, 4] = np.nan, 7.0
    before = spoiled.copy()
    output = oidn_denoise(spoiled[..., 0:3], spoiled[..., 3:6], spoiled[..., 6:9])
    np.testing.assert_array_equal(spoiled, before)
    assert np.isfinite(output).all() and (output >= 0).all()
