"""Training while a sequence renders: Noise2Noise on a bounded buffer of its latest frames.

Each new frame's pair joins the buffer (the oldest frame leaves once it holds
``buffer`` frames), a bounded number of steps runs, and the frame is denoised with
the weights as they then are (:mod:`mcdenoise.live`). No data set and no clean image:
the two frames of each pair are each other's targets, as in :mod:`mcdenoise.learn.dataset`.
The optimizer's state carries over from frame to frame, and the learning rate warms up
over the first steps and then stays at its peak: a sequence has no end to decay towards.
"""

import time
from collections import deque

import numpy as np
import torch

from mcdenoise.errors import FrameError
from mcdenoise.features import FeatureSet
from mcdenoise.io.checkpoint import TrainingState
from mcdenoise.learn.dataset import ExampleSampler, noisy_frame, noisy_target_examples
from mcdenoise.learn.device import autocast_dtype
from mcdenoise.learn.model import UNet
from mcdenoise.learn.train import FINE_TUNE_LEARNING_RATE, training_step

#: Steps over which the learning rate rises to its peak.
WARMUP_STEPS = 20
#: Gradient norm clip, as in training.
CLIP_NORM = 1.0


class OnlineTrainer:
    """Trains ``model`` (in place) on the pairs it is given, frame by frame.

    :meth:`add` puts a frame's pair into the buffer; :meth:`train` runs up to ``steps`` steps
    and/or ``seconds`` on the buffer's frames (whichever ends first). ``crop`` and ``batch`` are
    those of training; ``seed`` fixes the crops drawn, so a step budget gives the same weights
    on every run of the same frames.
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
        self.crop, self.batch, self.peak = crop, batch, peak_learning_rate
        self.device = next(model.parameters()).device
        self.frames: deque = deque(maxlen=buffer)
        self.generator = torch.Generator().manual_seed(seed)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=peak_learning_rate, betas=(0.9, 0.99))
        self.amp_dtype = autocast_dtype(precision, self.device, training=True)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        #: Steps taken in all, over every frame.
        self.step = 0
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
            for group in self.optimizer.param_groups:
                group["lr"] = self.peak * min(1.0, (self.step + 1) / WARMUP_STEPS)
            training_step(self.model, self.optimizer, self.scaler, self._sampler.sample(self.batch), self.amp_dtype, CLIP_NORM)
            taken += 1
            self.step += 1
        self.model.eval()
        return taken

    def state(self) -> TrainingState:
        """What resumes online training: the optimizer and the crop sampler's generator."""
        return TrainingState(self.optimizer.state_dict(), self.generator.get_state())

    def restore(self, state: TrainingState, step: int) -> None:
        """Go on from :meth:`state` after ``step`` steps."""
        self.optimizer.load_state_dict(state.optimizer)
        self.generator.set_state(state.generator)
        self.step = step
