"""The one optimiser set-up of every kind of training: Adam, the learning-rate schedule and the step.

``train`` (a budget of steps or minutes on render-pairs folders), ``adapt`` (a frame's own two
halves) and ``online`` (``live``, frame by frame) all step through an :class:`Optimiser`, so they
share one loss, one optimiser, one schedule and one mixed-precision set-up. The schedule is a pure
function of the step and of the share of the budget spent (:class:`Schedule`).
"""

import math
from contextlib import nullcontext
from dataclasses import dataclass

import torch

from mcdenoise.config import Precision, TrainConfig
from mcdenoise.learn.device import autocast_dtype
from mcdenoise.learn.loss import relative_l2

#: Peak learning rates for ``TrainConfig.learning_rate = 0`` (auto). Fine-tuning the bundled
#: base gains 0.3-0.5 dB PSNR_T in 2 minutes at 2e-3 over 1e-3 on all five benchmark
#: scenes, and 4e-3 is worse (docs/experiments.md, "Fine-tuning learning rate").
SCRATCH_LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 2e-3
#: Adam's moment decays: a shorter memory of the squared gradient than the default 0.999.
ADAM_BETAS = (0.9, 0.99)


@dataclass(frozen=True)
class Schedule:
    """Linear warm-up to ``peak`` over ``warmup_steps``, then cosine decay to ``final_fraction`` of
    it at the end of the budget (a budget-less run, such as ``live``, stays at the peak)."""

    peak: float
    warmup_steps: int = 200
    final_fraction: float = 0.05

    @classmethod
    def of(cls, config: TrainConfig, peak: float) -> "Schedule":
        """The schedule of a training run of ``config`` that peaks at ``peak``."""
        return cls(peak, config.warmup_steps, config.final_lr_fraction)

    def at(self, step: int, progress: float) -> float:
        """The learning rate of step ``step`` (from 0) with ``progress`` of the budget spent (0 to 1)."""
        warm = min(1.0, (step + 1) / max(self.warmup_steps, 1))
        cosine = 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
        return self.peak * warm * (self.final_fraction + (1 - self.final_fraction) * cosine)


def peak_learning_rate(config: TrainConfig, fine_tuning: bool, resumed_peak: float = 0.0) -> float:
    """``config.learning_rate``; when it is 0 (auto), the peak of the run being resumed, if any,
    else the default for fine-tuning or for random weights."""
    return config.learning_rate or resumed_peak or (FINE_TUNE_LEARNING_RATE if fine_tuning else SCRATCH_LEARNING_RATE)


def budget_progress(config: TrainConfig, step: int, elapsed: float) -> float:
    """Fraction of the training budget spent, by steps or by time, whichever is further."""
    by_steps = step / config.steps if config.steps else 0.0
    by_time = elapsed / (config.minutes * 60) if config.minutes else 0.0
    return max(by_steps, by_time)


def training_step(model: torch.nn.Module, optimizer, scaler, batch, amp_dtype, clip_norm: float) -> torch.Tensor:
    """One optimiser step of the relative L2 loss on ``batch`` (inputs, targets from
    :meth:`~mcdenoise.learn.dataset.ExampleSampler.sample`); returns the loss, still on the device."""
    inputs, targets = batch
    context = torch.autocast(inputs.device.type, dtype=amp_dtype) if amp_dtype else nullcontext()
    with context:
        log_radiance = model(inputs)
    loss = relative_l2(torch.exp(log_radiance.float()), targets)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss


class Optimiser:
    """Adam on ``model``'s parameters with ``schedule``, under autocast at ``precision`` (fp16 with
    a gradient scaler), with gradients clipped to ``clip_norm``."""

    def __init__(self, model: torch.nn.Module, schedule: Schedule, precision: Precision = "auto", clip_norm: float = 1.0):
        device = next(model.parameters()).device
        self.schedule, self.clip_norm = schedule, clip_norm
        self.adam = torch.optim.Adam(model.parameters(), lr=schedule.peak, betas=ADAM_BETAS)
        #: The autocast type of the forward pass (None: fp32).
        self.amp_dtype = autocast_dtype(precision, device, training=True)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)

    def step(self, module: torch.nn.Module, batch, step: int, progress: float = 0.0) -> torch.Tensor:
        """Train ``module`` (the model, or its distributed wrapper) one step on ``batch`` at the
        schedule's rate for ``step`` and ``progress``; returns the loss, still on the device."""
        for group in self.adam.param_groups:
            group["lr"] = self.schedule.at(step, progress)
        return training_step(module, self.adam, self.scaler, batch, self.amp_dtype, self.clip_norm)

    def state_dict(self) -> dict:
        """Adam's state, for a checkpoint."""
        return self.adam.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Go on from :meth:`state_dict`."""
        self.adam.load_state_dict(state)
