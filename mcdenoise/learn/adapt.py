"""Adapting a model to the frame itself: Noise2Noise on the frame's own two halves.

A frame rendered as two halves with independent seeds (each with half the
samples) is a Noise2Noise pair of its own: each half is an unbiased, independent
target for the other. Fine-tuning on that pair for a bounded time teaches the
model this very frame's content and noise, with no scene, no training set and
no clean image.
"""

import copy
import time

import numpy as np
import torch

from mcdenoise.config import TrainConfig
from mcdenoise.features import FeatureSet
from mcdenoise.learn.dataset import ExampleSampler, noisy_frame, noisy_target_examples
from mcdenoise.learn.model import UNet
from mcdenoise.learn.optim import FINE_TUNE_LEARNING_RATE, Optimiser, Schedule, budget_progress


def adapt(
    model: UNet,
    features: FeatureSet,
    halves: tuple[np.ndarray, np.ndarray],
    steps: int = 0,
    seconds: float = 0.0,
    precision: str = "auto",
) -> UNet:
    """A copy of ``model`` fine-tuned with Noise2Noise on the two ``halves`` of one frame.

    ``halves`` are (H, W, C) arrays laid out as ``features.channels`` (see
    :meth:`FeatureSet.read`), that can be two halves of one frame
    (:func:`mcdenoise.denoise.inputs.check_halves`). The budget is ``steps`` and/or ``seconds``
    (whichever ends first; one must be above 0), with a short warm-up and a cosine decay as in
    training, with training's crops and batch and its fine-tuning learning rate. The copy is on the
    model's device, in eval mode; ``model`` is unchanged.
    """
    config = TrainConfig(steps=steps, minutes=seconds / 60, learning_rate=FINE_TUNE_LEARNING_RATE, warmup_steps=20)
    config.check()
    tuned = copy.deepcopy(model).train()
    frames = [noisy_frame(half, features) for half in halves]
    generator = torch.Generator().manual_seed(config.seed)
    sampler = ExampleSampler(noisy_target_examples(frames), config.crop, tuned.alignment, generator, next(model.parameters()).device)
    optimiser = Optimiser(tuned, Schedule.of(config, config.learning_rate), precision, config.clip_norm)
    step, started = 0, time.monotonic()
    while budget_progress(config, step, time.monotonic() - started) < 1.0:
        optimiser.step(tuned, sampler.sample(config.batch), step, budget_progress(config, step, time.monotonic() - started))
        step += 1
    return tuned.eval()
