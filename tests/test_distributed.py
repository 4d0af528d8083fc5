"""``torchrun -m mcdenoise train``: two CPU processes (gloo) train one model, resume, and refuse a batch they cannot share.

Real runs of the command on real renders, on step budgets only (a time budget would make the
tests depend on the machine's speed).
"""

import os
import subprocess
import sys

import numpy as np
import torch

from mcdenoise.features import FeatureSet
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.dataset import ExampleSampler, load_examples
from mcdenoise.learn.distributed import crop_seed
from mcdenoise.learn.infer import denoise_array
from mcdenoise.learn.model import UNet, build_model
from mcdenoise.metrics import psnr_t

from conftest import TINY_NET, run_cli

#: The tiny network from random weights, on 32-pixel crops.
OPTIONS = ("--init", "scratch", "--width", TINY_NET.width, "--levels", TINY_NET.depth, "--crop", 32)


def torchrun(*args, processes=2):
    """``torchrun --standalone --nproc-per-node=PROCESSES -m mcdenoise --quiet ARGS``, one thread a process."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}", "-m", "mcdenoise"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*command, "--quiet", *map(str, args)], capture_output=True, text=True, timeout=300, env=env)


def error_against_reference(model: UNet, features: FeatureSet, directory) -> float:
    """PSNR_T (dB) of ``model``'s output for the two noisy frames of ``directory``'s view against its reference, averaged."""
    reference = read_exr(directory / frame_name(0, None, "ref")).stack("RGB")
    frames = [read_exr(directory / frame_name(0, 0, half)).stack(features.channels) for half in "ab"]
    return float(np.mean([psnr_t(denoise_array(model, features, frame), reference) for frame in frames]))


def test_two_processes_lower_the_error_and_write_a_model_that_applies(train_dir, test_dir, tmp_path):
    model_path = tmp_path / "ddp.pt"
    run = torchrun("train", train_dir, "--out", model_path, "--steps", 300, "--batch", 4, "--lr", 3e-3, *OPTIONS)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(f"{model_path}: 300 steps in") == 1  # rank 0 alone reports
    checkpoint = load_checkpoint(model_path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # --seed 0 gave the run these initial weights
        untrained = UNet(checkpoint.model_config)
    # Not the loss's own value: against 4 spp targets it is lowest for too bright an estimate, and
    # against the reference a few dark pixels rule it (the blurred input that random weights start
    # as scored 0.121 before and 0.098-0.143 after, by orientation). The tonemapped error is steady.
    before = error_against_reference(untrained, checkpoint.features, test_dir)
    after = error_against_reference(build_model(checkpoint, model_path), checkpoint.features, test_dir)
    assert after > before + 3.0, (before, after)  # 22.9 -> 27.8 dB on a 2-core AMD EPYC

    frame = train_dir / frame_name(0, 0, "a")
    applied = run_cli("apply", frame, "--model", model_path, "-o", tmp_path / "denoised.exr")
    assert applied.returncode == 0, applied.stderr
    denoised = read_exr(tmp_path / "denoised.exr").stack("RGB")
    assert denoised.shape == read_exr(frame).stack("RGB").shape and np.isfinite(denoised).all()


def test_a_run_resumes_every_process_where_it_stopped(train_dir, tmp_path):
    model_path = tmp_path / "ddp.pt"
    first = torchrun("train", train_dir, "--out", model_path, "--steps", 20, "--batch", 4, *OPTIONS)
    assert first.returncode == 0, first.stderr
    stopped = load_checkpoint(model_path)
    assert stopped.step == 20 and not [key for key in stopped.weights if key.startswith("module.")]
    (rank_1,) = stopped.training.rank_generators  # rank 0's is the file's own generator
    assert not torch.equal(rank_1, stopped.training.generator)

    second = torchrun("train", train_dir, "--out", model_path, "--steps", 40, "--batch", 4, *OPTIONS)
    assert second.returncode == 0, second.stderr
    assert "resuming" in second.stdout and "at step 20" in second.stdout
    resumed = load_checkpoint(model_path)
    assert resumed.step == 40 and not [key for key in resumed.weights if key.startswith("module.")]
    # Each process drew its 2 crops a step on from the stream it had saved: replaying 20 draws
    # from the saved states gives the states saved at step 40.
    examples, _ = load_examples([train_dir], FeatureSet(("albedo", "normal")))
    for saved, now in zip(
        [stopped.training.generator, rank_1], [resumed.training.generator, *resumed.training.rank_generators], strict=True
    ):
        replay = ExampleSampler(examples, 32, 8, torch.Generator().set_state(saved))
        for _ in range(20):
            replay.sample(2)
        assert torch.equal(replay.generator.get_state(), now)

    # One process goes on from it, with crops drawn from seeds of (seed, rank, step).
    alone = run_cli("train", train_dir, "--out", model_path, "--steps", 42, "--batch", 4, *OPTIONS)
    assert alone.returncode == 0, alone.stderr
    lines = alone.stdout.splitlines()
    assert any("trained by 2 processes, not 1; crops are drawn from new seeds" in line for line in lines), alone.stdout
    assert load_checkpoint(model_path).step == 42


def test_a_batch_that_the_processes_cannot_share_fails_with_one_line(train_dir, tmp_path):
    run = torchrun("train", train_dir, "--out", tmp_path / "m.pt", "--steps", 5, "--batch", 5, *OPTIONS)
    assert run.returncode != 0
    errors = {line for line in run.stderr.splitlines() if line.startswith("mcdenoise:")}
    # Each process says it (torchrun may stop the second before it does), in one line.
    assert errors == {"mcdenoise: error: --batch 5 cannot be shared evenly by 2 processes; give a multiple of 2"}, run.stderr
    # torchrun's launcher adds its own report of the failed processes; nothing of mcdenoise's is a traceback.
    assert "ConfigError" not in run.stderr and "mcdenoise/" not in run.stderr, run.stderr
    assert not (tmp_path / "m.pt").exists()


def test_rank_0_draws_the_crops_of_one_process_and_the_others_their_own():
    assert crop_seed(7, 0) == 7  # a run of one process is unchanged
    seeds = {crop_seed(7, rank) for rank in range(4)} | {crop_seed(7, rank, 100) for rank in range(4)}
    assert len(seeds) == 8 and crop_seed(7, 1) == crop_seed(7, 1) and crop_seed(-1, 1) >= 0
