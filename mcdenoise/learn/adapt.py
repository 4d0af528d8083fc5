"""Adapting a model to the frame itself: Noise2Noise on the frame's own two halves.

A frame rendered as two halves with independent seeds (each with half the
samples) is a Noise2Noise pair of its own: each half is an unbiased, independent
target for the other. Fine-tuning on that pair for a bounded time teaches the
model this very frame's content and noise, with no scene, no training set and
no clean image. The halves are checked first: same size, the same view (their
albedo and normals agree) and different noise.
"""

import copy
import time

import numpy as np
import torch

from mcdenoise.config import TrainConfig
from mcdenoise.errors import FrameError
from mcdenoise.features import ALBEDO, NORMAL, FeatureSet
from mcdenoise.learn.dataset import ExampleSampler, noisy_frame, noisy_target_examples
from mcdenoise.learn.device import autocast_dtype
from mcdenoise.learn.model import UNet
from mcdenoise.learn.train import FINE_TUNE_LEARNING_RATE, budget_progress, learning_rate, training_step

#: Halves of one view have (nearly) the same albedo and normals; more than this mean absolute
#: difference, relative to the channels' mean magnitude, means two different views.
_SAME_VIEW_TOLERANCE = 0.1


def check_halves(first: np.ndarray, second: np.ndarray, features: FeatureSet, names=("first", "second")) -> None:
    """Raise :class:`FrameError` unless two (H, W, C) frames laid out as ``features.channels``
    can be the two halves of one frame: the same size, the same view and independent noise."""
    a, b = names
    if first.shape != second.shape:
        raise FrameError(f"{a} and {b} are not two halves of one frame: shapes {first.shape[:2]} and {second.shape[:2]} differ")
    if np.array_equal(first[..., :3], second[..., :3], equal_nan=True):
        raise FrameError(f"{a} and {b} have the same color: two halves need independent seeds")
    for names_of_aux, label in ((ALBEDO, "albedo"), (NORMAL, "normals")):
        if not all(name in features.channels for name in names_of_aux):
            continue
        index = features.channels.index(names_of_aux[0])
        x, y = (np.nan_to_num(f[..., index : index + 3]) for f in (first, second))
        difference = float(np.abs(x - y).mean()) / max(float(np.abs(x).mean() + np.abs(y).mean()) / 2, 1e-6)
        if difference > _SAME_VIEW_TOLERANCE:
            raise FrameError(f"{a} and {b} are not two halves of one frame: their {label} differ by {difference:.0%} (different views?)")


def adapt(
    model: UNet,
    features: FeatureSet,
    halves: tuple[np.ndarray, np.ndarray],
    steps: int = 0,
    seconds: float = 0.0,
    crop: int = 64,
    batch: int = 8,
    peak_learning_rate: float = FINE_TUNE_LEARNING_RATE,
    seed: int = 0,
    precision: str = "auto",
    names=("first", "second"),
) -> UNet:
    """A copy of ``model`` fine-tuned with Noise2Noise on the two ``halves`` of one frame.

    ``halves`` are (H, W, C) arrays laid out as ``features.channels`` (see
    :meth:`FeatureSet.read`), checked with :func:`check_halves` (errors call them ``names``). The budget is ``steps`` and/or
    ``seconds`` (whichever ends first; one must be above 0), with a short warm-up and a cosine
    decay as in training. The copy is on the model's device, in eval mode; ``model`` is unchanged.
    """
    config = TrainConfig(
        steps=steps, minutes=seconds / 60, crop=crop, batch=batch, learning_rate=peak_learning_rate, warmup_steps=20, seed=seed
    )
    config.check()
    check_halves(*halves, features, names)
    device = next(model.parameters()).device
    tuned = copy.deepcopy(model).train()
    frames = [noisy_frame(half, features) for half in halves]
    generator = torch.Generator().manual_seed(seed)
    sampler = ExampleSampler(noisy_target_examples(frames), crop, tuned.alignment, generator, device)
    optimizer = torch.optim.Adam(tuned.parameters(), lr=peak_learning_rate, betas=(0.9, 0.99))
    amp_dtype = autocast_dtype(precision, device, training=True)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    step, started = 0, time.monotonic()
    while budget_progress(config, step, time.monotonic() - started) < 1.0:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step, budget_progress(config, step, time.monotonic() - started), peak_learning_rate)
        training_step(tuned, optimizer, scaler, sampler.sample(batch), amp_dtype, config.clip_norm)
        step += 1
    return tuned.eval()
