"""Training really denoises (no degenerate basin), checkpoints reload exactly, and runs resume."""

import numpy as np
import pytest
import torch

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.errors import ConfigError, JobError
from mcdenoise.features import FeatureSet
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.dataset import load_examples
from mcdenoise.learn.infer import denoise_array
from mcdenoise.learn.loss import relative_l2
from mcdenoise.learn.model import inference_model
from mcdenoise.learn.optim import FINE_TUNE_LEARNING_RATE, SCRATCH_LEARNING_RATE, Schedule, peak_learning_rate
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

from conftest import TINY_NET, run_cli

QUIET = {"show_progress": False, "log": lambda *a: None}


def load_model(path):
    checkpoint = load_checkpoint(path)
    return inference_model(checkpoint, path), checkpoint.features


def _scores(model_path, test_dir):
    model, features = load_model(model_path)
    noisy = read_exr(test_dir / frame_name(0, 0, "a"))
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack("RGB")
    denoised = denoise_array(model, features, noisy.stack(features.channels))
    return psnr_t(noisy.stack("RGB"), reference), psnr_t(denoised, reference), denoised, reference


def test_training_lowers_the_error_against_a_reference(trained_model, test_dir):
    noisy_psnr, denoised_psnr, denoised, reference = _scores(trained_model, test_dir)
    assert denoised_psnr > noisy_psnr + 3.0, (noisy_psnr, denoised_psnr)
    # The degenerate basin gives a blown-out image: brightness far above the reference.
    assert 0.7 < denoised.mean() / reference.mean() < 1.3


def test_relative_l2_gradient_survives_a_blown_out_estimate():
    # With log-radiance output, d loss / d log f stays near 2 however bright f gets.
    target = torch.full((10,), 0.08)
    for log_f in (2.0, 10.0, 20.0):
        g = torch.full((10,), log_f, requires_grad=True)
        relative_l2(torch.exp(g), target).backward()
        assert g.grad.mean().item() * 10 > 1.5


def test_checkpoint_reload_gives_identical_outputs(trained_model, test_dir, tmp_path):
    model, features = load_model(trained_model)
    frame = read_exr(test_dir / frame_name(0, 0, "a")).stack(features.channels)
    first = denoise_array(model, features, frame)
    checkpoint = load_checkpoint(trained_model)
    assert checkpoint.model_config.width == TINY_NET.width and checkpoint.features == FeatureSet(("albedo", "normal"))
    again = denoise_array(*load_model(trained_model), frame)
    np.testing.assert_array_equal(first, again)


def test_pairs_are_loaded_in_both_directions_and_references_found(train_dir, test_dir):
    examples, views = load_examples([train_dir, test_dir], FeatureSet())
    assert len(examples) == 2 * 17 and len(views) == 1
    (a, b_color), (b, a_color) = examples[:2]
    assert a.encoded.shape == (9, 64, 64)
    assert torch.equal(b_color, b.color) and torch.equal(a_color, a.color)  # A -> B and B -> A


def test_with_more_pairs_each_target_is_the_mean_of_the_views_other_frames(scene_path, tmp_path):
    render_pairs(scene_path, tmp_path, PairJob(views=1, pairs=3, size=(32, 32), seed=3, reference_spp=256), show_progress=False)
    examples, _ = load_examples([tmp_path], FeatureSet())
    assert len(examples) == 6
    colors = [frame.color for frame, _ in examples]
    for i, (_, target) in enumerate(examples):
        others = torch.stack([color for j, color in enumerate(colors) if j != i]).mean(0)
        torch.testing.assert_close(target, others)  # never its own input
    reference = torch.from_numpy(read_exr(tmp_path / frame_name(0, None, "ref")).stack("RGB").transpose(2, 0, 1).copy())
    single = np.mean([((color - reference) ** 2).mean().item() for color in colors])
    averaged = np.mean([((target - reference) ** 2).mean().item() for _, target in examples])
    assert averaged < 0.5 * single, (averaged, single)  # five frames' mean: about a fifth of one frame's error


def test_clean_targets_pair_noisy_frames_with_their_reference(test_dir, train_dir):
    examples, _ = load_examples([test_dir], FeatureSet(), targets="clean")
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack("RGB").transpose(2, 0, 1)
    assert len(examples) == 2 and all(np.array_equal(target.numpy(), reference) for _, target in examples)
    with pytest.raises(JobError, match="reference-spp"):
        load_examples([train_dir], FeatureSet(), targets="clean")


def test_budget_is_required_and_lr_warms_up_then_decays():
    with pytest.raises(ConfigError, match="budget: minutes and/or steps"):
        TrainConfig().check()
    with pytest.raises(ConfigError, match="learning_rate must not be negative") as error:
        TrainConfig(steps=1, learning_rate=-1.0).check()
    assert error.value.fields == ("learning_rate",)
    config = TrainConfig(steps=1000, warmup_steps=100)
    schedule = Schedule.of(config, 1e-3)
    assert schedule.at(0, 0.0) < schedule.at(99, 0.1)
    assert schedule.at(999, 1.0) == pytest.approx(1e-3 * config.final_lr_fraction)
    assert Schedule(1e-3, warmup_steps=20).at(500, 0.0) == 1e-3  # no budget (live): the peak after warm-up


def test_the_automatic_peak_learning_rate_is_higher_for_fine_tuning():
    auto, given = TrainConfig(steps=1), TrainConfig(steps=1, learning_rate=5e-4)
    assert peak_learning_rate(auto, fine_tuning=True) == FINE_TUNE_LEARNING_RATE > SCRATCH_LEARNING_RATE
    assert peak_learning_rate(auto, fine_tuning=False) == SCRATCH_LEARNING_RATE
    assert peak_learning_rate(given, fine_tuning=True) == peak_learning_rate(given, fine_tuning=False) == 5e-4


def test_train_help_names_the_network_defaults():
    from mcdenoise.cli import build_parser
    from mcdenoise.config import UNetConfig

    train_parser = build_parser()._subparsers._group_actions[0].choices["train"]
    text = train_parser.format_help()
    assert f"(default {UNetConfig.width};" in text and f"(default {UNetConfig.depth};" in text


def test_rerunning_a_finished_run_says_so_instead_of_a_nan_loss(train_dir, tmp_path):
    out = tmp_path / "done.pt"
    args = ("train", train_dir, "--out", out, "--steps", 2, "--crop", 32, "--batch", 2)
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 0 and "already trained, 2 steps" in again.stdout and "nan" not in again.stdout, again.stdout


def test_training_from_random_weights_says_so(train_dir, tmp_path):
    result = run_cli("train", train_dir, "--out", tmp_path / "none.pt", "--features", "none", "--steps", 1, "--crop", 32, "--batch", 2)
    assert result.returncode == 0 and "training from random weights" in result.stdout and "color alone" in result.stdout, result.stdout
