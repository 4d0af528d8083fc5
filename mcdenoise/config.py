"""What a job is asked to do: the option dataclasses and their choices, written once.

Torch-free, so the command line reads its defaults and choices from here without
loading a network. Each ``check()`` raises :class:`ConfigError` naming the fields
at fault; the command line names the matching flags.
"""

import math
from dataclasses import asdict, dataclass
from typing import Literal, get_args

from mcdenoise.errors import ConfigError
from mcdenoise.options import image_size, option

Precision = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda"]
Targets = Literal["noisy", "clean"]
PixelFilter = Literal["box", "scene"]
#: A model's prior: a supervised denoiser whose output the network takes as an input and corrects (none: no prior).
Prior = Literal["none", "oidn"]
#: The prior of the model that ``live`` trains; auto picks it by the first frame's noise, as ``apply`` routes frames.
LivePrior = Literal["auto", "none", "oidn"]
#: Where ``apply`` sends a frame when no model is given: auto (by the frame's noise), Intel OIDN, or the plain base model.
Route = Literal["auto", "oidn", "base"]
#: The camera moves of a sequence that need no file (mcdenoise.render.camera_path); else a keyframes file.
CameraMove = Literal["still", "orbit", "dolly"]


def choices(kind) -> tuple[str, ...]:
    """The values of a ``Literal`` choice: ``choices(Precision)`` -> ``("auto", "fp32", "bf16", "fp16")``."""
    return get_args(kind)


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the U-Net. Stored in every checkpoint, so weights describe themselves."""

    in_channels: int = 9
    out_channels: int = 3
    width: int = 32
    depth: int = 4
    #: Side of the box blur of the input color that the log output is a correction to (0: none).
    blur_size: int = 5
    #: Also feed the network the log of each pixel's radiance and of the blurred input. The tonemapped
    #: color saturates (T(30) and T(3000) differ by 1e-3), so without these the network cannot tell
    #: how far a bright neighbour spreads through the blur, nor undo it.
    magnitude_input: bool = False
    #: The last 3 input channels are a prior denoiser's radiance, and the log output is a correction
    #: to its log instead of to the blur's: the network starts as the prior and learns what it misses.
    prior_base: bool = False
    #: Bound of the log correction to the base, as ``limit * tanh(correction / limit)`` (0: unbounded):
    #: with ``log(4)`` no pixel can leave the range of a quarter to four times its base, so a model
    #: that has learnt something wrong cannot blow a pixel up far past its prior.
    correction_limit: float = 0.0

    @property
    def alignment(self) -> int:
        """Input height and width must be multiples of this (one per pooling level)."""
        return 2**self.depth

    @property
    def network_inputs(self) -> int:
        """Channels that the first convolution takes: the encoded input, plus 6 magnitude channels."""
        return self.in_channels + (6 if self.magnitude_input else 0)

    def to_dict(self) -> dict:
        """Plain dict for checkpoints."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "UNetConfig":
        """The config stored by :meth:`to_dict`."""
        return cls(**values)


@dataclass(frozen=True)
class CameraPath:
    """How the camera moves over a sequence (``render-sequence``; :mod:`mcdenoise.render.camera_path`).
    Frame 0 is the scene's own camera."""

    #: still, orbit, dolly (:data:`CameraMove`), or the path of a keyframes JSON file.
    move: str = option(
        "orbit", "the camera move: still, orbit, dolly, or a keyframes JSON file (see render-sequence --help)", flag="--path"
    )
    #: orbit: degrees turned around the target over the whole sequence.
    degrees: float = option(30.0, "orbit: degrees turned over the whole sequence")
    #: dolly: fraction of the distance to the target moved towards it over the whole sequence.
    dolly: float = option(0.3, "dolly: fraction of the distance to the point looked at moved towards it over the whole sequence")

    @property
    def keyframes_file(self) -> str | None:
        """The keyframes file's path, or None for a move that needs none."""
        return None if self.move in choices(CameraMove) else self.move

    def check(self) -> None:
        """Raise :class:`ConfigError` for a move that cannot make a sequence."""
        _check(
            (bool(self.move), f"{{path}} must be {', '.join(choices(CameraMove))} or a keyframes JSON file", "path"),
            (math.isfinite(self.degrees), f"{{degrees}} must be a number, not {self.degrees}", "degrees"),
            (-1 < self.dolly < 1, f"{{dolly}} must be between -1 and 1 (a fraction of the distance), not {self.dolly}", "dolly"),
        )


@dataclass(frozen=True)
class PairJob:
    """What ``render-pairs`` renders. The defaults are the recommended training set: 32 views of
    4 pairs each at 4 spp and about 65536 pixels. Fields that change the images must match on resume."""

    spp: int = option(4, "samples per pixel of each noisy frame")
    seed: int = option(1, "base seed; every frame's seed is derived from it")
    #: Camera views; 1 is the scene's own camera, more are small random moves of it.
    views: int = option(32, "camera views: 1 is the scene's own camera, more are small moves of it")
    #: Size of the camera moves, as a fraction of the distance to the scene.
    jitter: float = option(0.05, "size of the camera moves, as a fraction of the distance to the scene")
    #: Pairs per view; each frame's target averages its view's other frames.
    pairs: int = option(
        4,
        "pairs per view; each frame's training target is the mean of its view's other frames, less noisy and still "
        "unbiased: worth rendering, as a pair costs far less than training (docs/experiments.md)",
    )
    #: (width, height); wins over ``pixels``.
    size: tuple[int, int] | None = option(None, "image size WIDTHxHEIGHT (wins over --pixels)", parse=image_size)
    #: About this many pixels at the scene's aspect ratio (0: the scene's own size).
    pixels: int = option(65536, "about this many pixels, at the scene's aspect ratio (0: the scene's own size)")
    pixel_filter: PixelFilter = option("box", "pixel filter: box, or the scene's own", flag="--filter", choices=get_args(PixelFilter))
    #: Also render a high-spp reference per view, for evaluation only (0: none).
    reference_spp: int = option(0, "also render a high-spp reference per view (per frame of a sequence), for evaluation only (0: none)")
    variant: str = option("auto", "auto (the fastest that works here), scalar_rgb, llvm_ad_rgb or cuda_ad_rgb")
    #: Write the emission seen in each frame's own samples beside its color (mcdenoise.render.emission).
    emission_split: bool = option(
        False,
        "also write the emission seen directly in each frame's own samples (emission.R,G,B); train then learns without "
        "it, so lights seen by the camera no longer bleed into their neighbours",
        flag="--split-emission",
    )
    #: Also write each pair's first-hit emission from a pass of this many spp (0: none; implies the split).
    emission_spp: int = option(
        0,
        "also write each pair's emission seen directly from a pass of this many spp (emission_mean.R,G,B; implies "
        "--split-emission), added back to frames denoised by a model trained on split frames; its samples are "
        "stratified, so 64 is plenty, and it costs camera rays only (0: none)",
    )
    #: A sequence: the views are its frames, in order along this camera move, each with its screen-space
    #: motion to the frame before (None: the views are random small moves of the scene's camera).
    path: CameraPath | None = None

    @property
    def writes_emission_split(self) -> bool:
        """Whether frames carry the emission seen in their samples (:attr:`emission_split`, or an emission pass)."""
        return self.emission_split or self.emission_spp > 0

    def check(self) -> None:
        """Raise :class:`ConfigError` for options that cannot make a render."""
        _check(
            (self.spp >= 1, f"{{spp}} must be at least 1, not {self.spp}", "spp"),
            (self.views >= 1, f"{{views}} must be at least 1, not {self.views}", "views"),
            (self.pairs >= 1, f"{{pairs}} must be at least 1, not {self.pairs}", "pairs"),
            (self.jitter >= 0, f"{{jitter}} must not be negative, not {self.jitter}", "jitter"),
            (self.reference_spp >= 0, f"{{reference_spp}} must not be negative, not {self.reference_spp}", "reference_spp"),
            (
                self.pixel_filter in choices(PixelFilter),
                f"{{pixel_filter}} must be box or scene, not {self.pixel_filter!r}",
                "pixel_filter",
            ),
            (self.seed >= 0, f"{{seed}} must not be negative, not {self.seed}", "seed"),
            (self.emission_spp >= 0, f"{{emission_spp}} must not be negative, not {self.emission_spp}", "emission_spp"),
            (self.size is None or min(self.size) >= 1, f"{{size}} {'x'.join(map(str, self.size or ()))} must be at least 1x1", "size"),
            (self.pixels == 0 or self.pixels >= 64, f"{{pixels}} must be 0 (the scene's size) or at least 64, not {self.pixels}", "pixels"),
        )
        if self.path is not None:
            self.path.check()


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Stored in the checkpoint beside the model config."""

    steps: int = option(0, "training step budget (0: none)")
    minutes: float = option(0.0, "training time budget (0: none)")
    batch: int = option(8, "crops per step")
    crop: int = option(64, "crop side in pixels")
    #: Peak learning rate; 0 (auto): 2e-3 when training starts from a model, 1e-3 from random
    #: weights (mcdenoise.learn.optim.FINE_TUNE_LEARNING_RATE, SCRATCH_LEARNING_RATE).
    learning_rate: float = option(0.0, "peak learning rate (0: 2e-3 when fine-tuning a model, 1e-3 from random weights)", flag="--lr")
    warmup_steps: int = 200
    final_lr_fraction: float = 0.05
    clip_norm: float = 1.0
    seed: int = option(0, "seed of the initial weights and crop sampling")
    precision: Precision = option(
        "auto", "auto: bf16 on CUDA GPUs that have it (else fp16), bf16 on CPUs with native bf16, else fp32", choices=get_args(Precision)
    )
    #: noisy (Noise2Noise) | clean (Noise2Clean, for comparison; needs references).
    targets: Targets = option(
        "noisy",
        "noisy: Noise2Noise; clean: each frame's target is its view's reference (needs --reference-spp renders)",
        choices=get_args(Targets),
    )
    checkpoint_seconds: float = option(30.0, "how often to save --out while training, in seconds", flag="--checkpoint-every")
    #: Starting weights: "auto" (the base model when its features match, else random),
    #: "base", "fast", "scratch" (random), or the path of a model file to fine-tune.
    init: str = option(
        "auto",
        "starting weights: auto fine-tunes the bundled base model when --features match it and no other --width/--depth "
        "is asked for, else starts from random weights; base; fast; scratch; or a model file",
    )
    #: How often to score the views that have references (math.inf: never, not even at the end).
    score_seconds: float = 30.0

    def check(self) -> None:
        """Raise :class:`ConfigError` for a budget or setting that cannot train."""
        _check(
            (self.steps >= 0 and self.minutes >= 0, "{steps} and {minutes} must not be negative", "steps", "minutes"),
            (self.steps > 0 or self.minutes > 0, "give a training budget: {minutes} and/or {steps} above 0", "minutes", "steps"),
            (self.learning_rate >= 0, "{learning_rate} must not be negative (0 picks it automatically)", "learning_rate"),
            (self.batch >= 1, f"{{batch}} must be at least 1, not {self.batch}", "batch"),
            (self.crop >= 8, f"{{crop}} must be at least 8, not {self.crop}", "crop"),
            (self.targets in choices(Targets), f"unknown {{targets}} {self.targets!r}; choose noisy or clean", "targets"),
            (
                self.precision in choices(Precision),
                f"unknown {{precision}} {self.precision!r}; choose {', '.join(choices(Precision))}",
                "precision",
            ),
            (self.checkpoint_seconds >= 0, "{checkpoint_seconds} must not be negative", "checkpoint_seconds"),
        )


@dataclass(frozen=True)
class LiveConfig:
    """How ``mcdenoise live`` learns while a sequence renders (:mod:`mcdenoise.live`)."""

    #: The weights to start from: base (the bundled base of the prior), fast, or a model file.
    init: str = option(
        "base", "the weights to start from: base (the bundled base model), fast, or a model file (live.pt of an earlier shot)"
    )
    #: The denoiser whose output the network corrects: none, oidn, or auto (by the first frame's noise, as apply routes).
    prior: LivePrior = option(
        "auto",
        "auto: the base that corrects Intel OIDN's output (starting as OIDN) where the first frame's noise is independent "
        "between pixels, as a box filter leaves it, and the plain base where a pixel filter spreads it, as apply --route "
        "auto chooses; oidn or none: always that one (oidn needs 'pip install pyoidn')",
        choices=get_args(LivePrior),
    )
    #: Training after each frame: up to this many seconds and/or steps (whichever ends first; 0: no limit of that kind).
    budget_per_frame: float = option(2.0, "seconds of training after each frame (0: no time limit)")
    steps_per_frame: int = option(0, "steps of training after each frame (0: no step limit); with both, whichever ends first")
    #: The latest frames whose pairs are trained on.
    buffer: int = option(8, "the latest frames whose pairs are trained on")
    crop: int = option(64, "crop side in pixels")
    batch: int = option(8, "crops per step")
    seed: int = 0
    #: Blend each denoised frame with the output before it, warped by the motion (as apply --sequence does).
    temporal: bool = option(
        False,
        "blend each denoised frame with the output before it, warped by the frame's motion, where albedo, normal and "
        "depth say it is the same surface (as apply --sequence does) and, where the camera moved, where the history "
        "agrees with the frame within the noise of its two halves: less flicker",
    )

    def check(self) -> None:
        """Raise :class:`ConfigError` for a budget or setting that cannot train."""
        _check(
            (
                self.budget_per_frame >= 0 and self.steps_per_frame >= 0,
                "{budget_per_frame} and {steps_per_frame} must not be negative",
                "budget_per_frame",
                "steps_per_frame",
            ),
            (
                self.budget_per_frame > 0 or self.steps_per_frame > 0,
                "give a training budget per frame: {budget_per_frame} and/or {steps_per_frame} above 0",
                "budget_per_frame",
                "steps_per_frame",
            ),
            (self.buffer >= 1, f"{{buffer}} must be at least 1 frame, not {self.buffer}", "buffer"),
            (self.batch >= 1, f"{{batch}} must be at least 1, not {self.batch}", "batch"),
            (self.crop >= 8, f"{{crop}} must be at least 8, not {self.crop}", "crop"),
            (self.prior in choices(LivePrior), f"unknown {{prior}} {self.prior!r}; choose {', '.join(choices(LivePrior))}", "prior"),
            (self.init != "scratch", "{init} scratch cannot denoise the first frames; start from base, fast or a model file", "init"),
        )


def _check(*rules) -> None:
    """Raise :class:`ConfigError` for the first rule ``(holds, template, *fields)`` that does not hold."""
    for holds, template, *fields in rules:
        if not holds:
            raise ConfigError(template, *fields)
