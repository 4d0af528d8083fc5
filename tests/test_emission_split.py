"""The emission split end to end: render-pairs --split-emission / --emission-spp, training on split
frames, and denoising with the emission added back. Real renders of the bundled Cornell box."""

import json

import numpy as np
import pytest
import torch

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.errors import ExrError, JobError, McDenoiseError
from mcdenoise.features import COLOR, EMISSION_MEAN, SEEN_EMISSION, FeatureSet
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.dataset import emission_split_of, load_examples
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

from conftest import TINY_NET, run_cli

SIZE = (48, 48)


@pytest.fixture(scope="module")
def split_train_dir(tmp_path_factory, scene_path):
    """8 views of 2 pairs each, rendered with the split, and the same job without it."""
    root = tmp_path_factory.mktemp("split")
    for name, split in (("split", True), ("plain", False)):
        render_pairs(scene_path, root / name, PairJob(views=8, pairs=2, size=SIZE, emission_split=split), show_progress=False)
    return root


@pytest.fixture(scope="module")
def split_test_dir(tmp_path_factory, scene_path):
    out = tmp_path_factory.mktemp("split-test")
    render_pairs(scene_path, out, PairJob(views=1, pairs=1, size=SIZE, seed=9, emission_spp=256, reference_spp=256), show_progress=False)
    return out


@pytest.fixture(scope="module")
def split_model(tmp_path_factory, split_train_dir, split_test_dir):
    path = tmp_path_factory.mktemp("split-model") / "split.pt"
    config = TrainConfig(steps=60, crop=32, learning_rate=3e-3, warmup_steps=10, checkpoint_seconds=1e9, score_seconds=1e9)
    train(
        [split_train_dir / "split"],
        path,
        config,
        TINY_NET,
        validation_directories=[split_test_dir],
        show_progress=False,
        log=lambda *a: None,
    )
    return path


def test_split_frames_are_the_plain_frames_with_their_seen_emission_beside(split_train_dir):
    for side in "ab":
        split = read_exr(split_train_dir / "split" / frame_name(2, 1, side))
        plain = read_exr(split_train_dir / "plain" / frame_name(2, 1, side))
        np.testing.assert_allclose(split.stack(COLOR), plain.stack(COLOR), rtol=1e-5, atol=1e-6)
        seen = split.stack(SEEN_EMISSION)
        assert seen.max() > 1.0 and (split.stack(COLOR) - seen).min() >= -1e-3
        assert not any(c in split.channels for c in EMISSION_MEAN), "no emission pass without --emission-spp"
    settings = json.loads((split_train_dir / "split" / "manifest.json").read_text())["settings"]
    assert settings["emission_split"] is True and settings["emission_spp"] == 0


def test_the_emission_pass_is_shared_by_a_pair_and_recorded(split_test_dir):
    a, b = (read_exr(split_test_dir / frame_name(0, 0, side)) for side in "ab")
    assert np.array_equal(a.stack(EMISSION_MEAN), b.stack(EMISSION_MEAN))
    assert not np.array_equal(a.stack(SEEN_EMISSION), b.stack(SEEN_EMISSION)), "each frame's own samples"
    record = json.loads((split_test_dir / "manifest.json").read_text())["frames"][frame_name(0, 0, "a")]
    assert record["emission_seed"] not in (record["seed"], record["feature_seed"])
    reference = read_exr(split_test_dir / frame_name(0, None, "ref"))
    assert all(c in reference.channels for c in SEEN_EMISSION) and not any(c in reference.channels for c in EMISSION_MEAN)


def test_resuming_with_other_emission_options_is_refused(scene_path, split_train_dir):
    with pytest.raises(JobError, match="emission"):
        render_pairs(scene_path, split_train_dir / "split", PairJob(views=8, pairs=2, size=SIZE), show_progress=False)
    with pytest.raises(JobError, match="emission"):
        render_pairs(scene_path, split_train_dir / "plain", PairJob(views=8, pairs=2, size=SIZE, emission_split=True), show_progress=False)


def test_training_examples_leave_the_seen_emission_out(split_train_dir):
    assert emission_split_of([split_train_dir / "split"]) and not emission_split_of([split_train_dir / "plain"])
    with pytest.raises(JobError, match="split-emission"):
        emission_split_of([split_train_dir / "split", split_train_dir / "plain"])
    split, _ = load_examples([split_train_dir / "split"], FeatureSet(emission_split=True))
    plain, _ = load_examples([split_train_dir / "plain"], FeatureSet())
    # The light's pixels: bright in the plain inputs and targets, dim once split.
    for (frame, target), (plain_frame, plain_target) in zip(split[:4], plain[:4], strict=True):
        light = plain_frame.color.mean(0) > 5.0
        assert light.any()
        assert frame.color.mean(0)[light].median() < 1.0 and target.mean(0)[light].median() < 1.0
        assert plain_target.mean(0)[light].median() > 5.0
        # One sample on the light adds about 4 to a 4 spp pixel, so dim pixels saw none and are unchanged.
        dim = plain_frame.color.mean(0) < 1.0
        torch.testing.assert_close(frame.color[:, dim], plain_frame.color[:, dim], rtol=1e-5, atol=1e-6)


def test_clean_targets_of_split_data_leave_the_references_seen_emission_out(split_test_dir):
    split, _ = load_examples([split_test_dir], FeatureSet(emission_split=True), targets="clean")
    whole, _ = load_examples([split_test_dir], FeatureSet(), targets="clean")
    reference = read_exr(split_test_dir / frame_name(0, None, "ref"))
    expected = np.maximum(reference.stack(COLOR) - reference.stack(SEEN_EMISSION), 0).transpose(2, 0, 1)
    np.testing.assert_allclose(split[0][1].numpy(), expected, rtol=1e-6, atol=1e-7)
    light = whole[0][1].mean(0) > 5.0
    assert light.any() and split[0][1].mean(0)[light].max() < 1.0


def test_a_model_trained_on_split_frames_adds_the_converged_emission_back(split_model, split_test_dir):
    assert load_checkpoint(split_model).features.emission_split is True
    denoiser = Denoiser.load(split_model, device="cpu")
    frame = read_exr(split_test_dir / frame_name(0, 0, "a"))
    denoised = denoiser.denoise_frame(frame)
    mean = frame.stack(EMISSION_MEAN)
    inner = mean.mean(-1) > 0.999 * mean.mean(-1).max()
    assert inner.sum() >= 4
    # Inside the light the color is its emission: exact, whatever the network makes of the rest.
    np.testing.assert_allclose(denoised[inner], mean[inner], rtol=0.05)
    assert np.isfinite(denoised).all() and denoised.min() >= 0


def test_a_split_model_adds_back_the_seen_emission_where_a_frame_has_no_emission_pass(split_model, split_train_dir):
    frame = read_exr(split_train_dir / "split" / frame_name(0, 0, "a"))
    assert not any(c in frame.channels for c in EMISSION_MEAN)
    denoised = Denoiser.load(split_model, device="cpu").denoise_frame(frame)
    seen = frame.stack(SEEN_EMISSION)
    light = seen.mean(-1) > 5.0
    assert light.any() and np.all(denoised[light] >= seen[light])  # the light as its own samples saw it, plus the rest


def test_training_scores_a_split_view_as_the_denoiser_denoises_it(split_model, split_test_dir):
    scores = load_checkpoint(split_model).validation_psnr
    frame = read_exr(split_test_dir / frame_name(0, 0, "a"))
    reference = read_exr(split_test_dir / frame_name(0, None, "ref")).stack(COLOR)
    denoised = Denoiser.load(split_model, device="cpu").denoise_frame(frame)
    assert scores[f"{split_test_dir.name}/view0"] == pytest.approx(psnr_t(denoised, reference), abs=0.01)


def test_a_split_model_refuses_frames_without_the_split_channels(split_model, split_train_dir, tmp_path):
    denoiser = Denoiser.load(split_model, device="cpu")
    plain = read_exr(split_train_dir / "plain" / frame_name(0, 0, "a"))
    with pytest.raises(ExrError, match="emission.R, emission.G, emission.B .*--split-emission.*--emission-spp"):
        denoiser.denoise_frame(plain)
    with pytest.raises(McDenoiseError, match="emission split"):
        denoiser(plain.stack(COLOR), albedo=np.zeros(SIZE + (3,)), normal=np.zeros(SIZE + (3,)))
    # The CLI says so in one line.
    source = tmp_path / "plain.exr"
    write_exr(source, plain)
    result = run_cli("apply", source, "--model", split_model)
    assert result.returncode != 0 and "emission_mean.R" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "plain.denoised.exr").exists()


def test_resuming_a_split_model_on_whole_frames_is_refused(split_model, split_train_dir, tmp_path):
    copy = tmp_path / "resume.pt"
    copy.write_bytes(split_model.read_bytes())
    config = TrainConfig(steps=80, crop=32, checkpoint_seconds=1e9, score_seconds=1e9)
    with pytest.raises(JobError, match="emission split"):
        train([split_train_dir / "plain"], copy, config, TINY_NET, show_progress=False, log=lambda *a: None)


def test_render_pairs_cli_takes_the_emission_options(scene_path, tmp_path):
    result = run_cli(
        "render-pairs", scene_path, "--out", tmp_path / "r", "--views", "1", "--pairs", "1", "--size", "16x16", "--emission-spp", "8"
    )
    assert result.returncode == 0, result.stderr
    frame = read_exr(tmp_path / "r" / frame_name(0, 0, "a"))
    assert all(c in frame.channels for c in SEEN_EMISSION + EMISSION_MEAN)
    bad = run_cli("render-pairs", scene_path, "--out", tmp_path / "bad", "--size", "16x16", "--emission-spp", "-1")
    assert bad.returncode != 0 and "--emission-spp" in bad.stderr and "Traceback" not in bad.stderr
