"""Training while a sequence renders: Noise2Noise on a bounded buffer of its latest frames.

Each new frame's pair joins the buffer (the oldest frame leaves once it holds
``buffer`` frames), a bounded number of steps runs, and the frame is denoised with
the weights as they then are (:mod:`mcdenoise.live`). No data set and no clean image:
the two frames of each pair are each other's targets, as in :mod:`mcdenoise.learn.dataset`.
The optimizer's state carries over from frame to frame, and the learning rate warms up
over the first steps and then stays at its peak: a sequence has no end to decay towards.

Frames are denoised with :attr:`OnlineTrainer.average`, a moving average of the weights taken
once per frame, not with the weights being trained: a few steps on a new frame's noise move
the trained weights enough to change the output from frame to frame, a flicker of their own
that the average smooths (the sequence benchmark, docs/experiments.md).
"""

import copy
import time
from collections import deque

import numpy as np
import torch

from mcdenoise.errors import FrameError
from mcdenoise.features import FeatureSet
from mcdenoise.io.checkpoint import TrainingState
from mcdenoise.learn.dataset import ExampleSampler, noisy_frame, noisy_target_examples
from mcdenoise.learn.model import UNet
from mcdenoise.learn.optim import FINE_TUNE_LEARNING_RATE, Optimiser, Schedule

#: Steps over which the learning rate rises to its peak.
WARMUP_STEPS = 20
#: Gradient norm clip, as in training.
CLIP_NORM = 1.0
#: The share of each frame's weights in the average that denoises (after the first frames, whose
#: weights are averaged evenly until each has at least this share).
AVERAGE_WEIGHT = 0.2


class OnlineTrainer:
    """Trains ``model`` (in place) on the pairs it is given, frame by frame.

    :meth:`add` puts a frame's pair into the buffer; :meth:`train` runs up to ``steps`` steps
    and/or ``seconds`` on the buffer's frames (whichever ends first), then folds the weights into
    :attr:`average`, the model to denoise with. ``crop`` and ``batch`` are those of training;
    ``seed`` fixes the crops drawn, so a step budget gives the same weights on every run of the
    same frames.
    """

    def __init__(
        self,
        model: UNet,
        features: FeatureSet,
        buffer: int = 8,
        crop: int = 64,
        batch: int = 8,
        peak_learning_rate: float = FINE_TUNE_LEARNING_RATE,
        seed: int = 0,
        precision: str = "auto",
    ):
        if buffer < 1:
            raise FrameError(f"the buffer must hold at least one frame, not {buffer}")
        self.model, self.features = model.train(), features
        self.crop, self.batch = crop, batch
        self.device = next(model.parameters()).device
        self.frames: deque = deque(maxlen=buffer)
        self.generator = torch.Generator().manual_seed(seed)
        # No budget to decay over: the rate warms up, then stays at its peak.
        self.optimiser = Optimiser(model, Schedule(peak_learning_rate, WARMUP_STEPS), precision, CLIP_NORM)
        #: Steps taken in all, over every frame, and the calls of :meth:`train` folded into the average.
        self.step, self.averaged = 0, 0
        #: The moving average of the weights, one update per :meth:`train`: the model to denoise with.
        #: Laid out channels-last as a loaded model is (:func:`~mcdenoise.learn.model.inference_model`),
        #: so the saved model gives the very frames it denoised, in bf16 too (its kernels round by layout).
        self.average = copy.deepcopy(model).eval().requires_grad_(False).to(memory_format=torch.channels_last)
        self._sampler: ExampleSampler | None = None

    def add(self, first: np.ndarray, second: np.ndarray) -> None:
        """Put a frame's pair, two (H, W, C) arrays laid out as ``features.channels``, into the buffer."""
        if first.shape != second.shape:
            raise FrameError(f"the two frames of a pair differ in shape: {first.shape[:2]} and {second.shape[:2]}")
        if self.frames and first.shape[:2] != tuple(self.frames[0][0].color.shape[1:]):
            raise FrameError(f"a frame of {first.shape[1]}x{first.shape[0]} does not match the sequence's earlier frames")
        self.frames.append([noisy_frame(frame, self.features) for frame in (first, second)])
        self._sampler = None

    def train(self, steps: int = 0, seconds: float = 0.0) -> int:
        """Run up to ``steps`` steps and/or ``seconds`` on the buffer (0: no limit of that kind;
        one of them must be above 0); returns the steps taken."""
        if steps <= 0 and seconds <= 0:
            raise FrameError("give online training a budget per frame: steps and/or seconds above 0")
        if not self.frames:
            return 0
        if self._sampler is None:
            examples = [example for pair in self.frames for example in noisy_target_examples(pair)]
            self._sampler = ExampleSampler(examples, self.crop, self.model.alignment, self.generator, self.device)
        self.model.train()
        taken, started = 0, time.monotonic()
        while (steps <= 0 or taken < steps) and (seconds <= 0 or time.monotonic() - started < seconds):
            self.optimiser.step(self.model, self._sampler.sample(self.batch), self.step)
            taken += 1
            self.step += 1
        self.model.eval()
        self._fold_into_average()
        return taken

    @torch.no_grad()
    def _fold_into_average(self) -> None:
        self.averaged += 1
        share = max(AVERAGE_WEIGHT, 1 / self.averaged)
        for mean, now in zip(self.average.state_dict().values(), self.model.state_dict().values(), strict=True):
            if mean.is_floating_point():
                mean.lerp_(now, share)
            else:
                mean.copy_(now)

    def state(self) -> TrainingState:
        """What resumes online training: the optimizer, the crop sampler's generator and the trained
        weights (the model file holds :attr:`average`)."""
        weights = {name: value.detach().cpu().clone() for name, value in self.model.state_dict().items()}
        return TrainingState(self.optimiser.state_dict(), self.generator.get_state(), weights)

    def restore(self, state: TrainingState, step: int, averaged: int) -> None:
        """Go on from :meth:`state` after ``step`` steps and ``averaged`` calls of :meth:`train`; the
        model given to the trainer held the average."""
        if state.weights is not None:
            self.model.load_state_dict(state.weights)
        self.optimiser.load_state_dict(state.optimizer)
        self.generator.set_state(state.generator)
        self.step, self.averaged = step, averaged
