"""The channel table: which EXR channels make up each feature, and the model input.

This is the one place that defines channel layout. The model's input width is
derived from a :class:`FeatureSet`, never typed twice.

A prior (``--prior oidn``) adds 3 input channels after these: a supervised
denoiser's output for the frame, computed from the channels read
(:mod:`mcdenoise.learn.prior`), never read from a file.

The emission split is part of the table too. A model trained with it
(``render-pairs --split-emission``) learns without the light seen directly:
:meth:`FeatureSet.read` takes that light out of a frame's color on the way in,
and :meth:`FeatureSet.emission_to_add` says what goes back on the way out.
"""

from dataclasses import dataclass

import numpy as np

from mcdenoise.config import Prior, choices
from mcdenoise.errors import ConfigError

COLOR = ("R", "G", "B")
ALBEDO = ("albedo.R", "albedo.G", "albedo.B")
NORMAL = ("normal.X", "normal.Y", "normal.Z")
DEPTH = ("depth.Z",)

#: Auxiliary features, by the name used on the command line and in checkpoints.
AUX_CHANNELS = {"albedo": ALBEDO, "normal": NORMAL, "depth": DEPTH}

#: Every channel that render-pairs writes, in file order.
ALL_CHANNELS = COLOR + ALBEDO + NORMAL + DEPTH

#: Screen-space motion of a sequence's frame to the frame before, in pixels (x right, y down):
#: pixel (i, j)'s first hit was at (i + 0.5 + motion.X, j + 0.5 + motion.Y) there (render-sequence).
MOTION = ("motion.X", "motion.Y")

#: Emission at each camera ray's first hit, in the color's own samples (the emission split).
SEEN_EMISSION = ("emission.R", "emission.G", "emission.B")
#: The same, from a pass of its own with many samples (``render-pairs --emission-spp``).
EMISSION_MEAN = ("emission_mean.R", "emission_mean.G", "emission_mean.B")
_SPLIT_HINT = (
    " of the emission split that the model was trained with (render with 'mcdenoise render-pairs --split-emission', "
    "and --emission-spp N for the converged emission_mean.R,G,B to add back)"
)


@dataclass(frozen=True)
class FeatureSet:
    """The auxiliary features that a model takes beside color.

    Color always comes first; the network input is color, then each named
    feature in ``aux`` order.
    """

    aux: tuple[str, ...] = ("albedo", "normal")
    #: Learn without the light seen directly: frames carry :data:`SEEN_EMISSION`, which is
    #: taken out of the color on the way in and added back (converged, where there is a pass) on the way out.
    emission_split: bool = False
    #: The denoiser whose output the network corrects (see :data:`mcdenoise.config.Prior`).
    prior: Prior = "none"

    def __post_init__(self) -> None:
        unknown = [name for name in self.aux if name not in AUX_CHANNELS]
        if unknown:
            raise ConfigError(f"unknown {{features}} {', '.join(unknown)}; choose from {', '.join(AUX_CHANNELS)}", "features")
        if self.prior not in choices(Prior):
            raise ConfigError(f"unknown {{prior}} {self.prior}; choose from {', '.join(choices(Prior))}", "prior")

    @property
    def channels(self) -> tuple[str, ...]:
        """EXR channel names that the model reads, in input order."""
        names = list(COLOR)
        for name in self.aux:
            names.extend(AUX_CHANNELS[name])
        return tuple(names)

    @property
    def has_prior(self) -> bool:
        """Whether the network takes a prior denoiser's output as 3 more input channels."""
        return self.prior != "none"

    @property
    def input_width(self) -> int:
        """Number of network input channels: :attr:`channels`, then the prior's 3 if there is one."""
        return len(self.channels) + (3 if self.has_prior else 0)

    def describe(self) -> str:
        """The set in words, for messages: ``albedo, normal, prior oidn`` (``none`` for color alone)."""
        words = list(self.aux) + ([f"prior {self.prior}"] if self.has_prior else [])
        return ", ".join(words) or "none"

    def missing(self, available) -> list[str]:
        """Channels of this set that are not in ``available``."""
        have = set(available)
        return [c for c in self.channels if c not in have]

    def read(self, frame, name, hint: str = "") -> np.ndarray:
        """(H, W, C) channels of ``frame`` (an :class:`mcdenoise.io.exr.Frame`) in :attr:`channels` order.

        With :attr:`emission_split` the color is the frame's color minus the emission seen in its own
        samples. Raises :class:`mcdenoise.errors.ExrError` naming ``name`` and every missing channel
        (``hint`` is appended to the message).
        """
        channels = frame.require(self.channels, name, " that the model needs" + hint)
        if self.emission_split:
            seen = frame.require(SEEN_EMISSION, name, _SPLIT_HINT)
            channels[..., :3] = without_emission(channels[..., :3], np.nan_to_num(seen))
        return channels

    def emission_to_add(self, frame) -> np.ndarray | None:
        """(H, W, 3) emission to add to the denoised color of ``frame``; None without the split.

        The converged :data:`EMISSION_MEAN` where the frame has it, else the frame's own seen
        emission (as noisy as the input's, but in the right place).
        """
        if not self.emission_split:
            return None
        names = EMISSION_MEAN if all(c in frame.channels for c in EMISSION_MEAN) else SEEN_EMISSION
        return np.maximum(np.nan_to_num(frame.stack(names), nan=0.0, posinf=0.0), 0.0)

    def to_dict(self) -> dict:
        """The set as saved in a checkpoint."""
        return {"aux": list(self.aux), "emission_split": self.emission_split, "prior": self.prior}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSet":
        """The set saved by :meth:`to_dict` (a set saved without a prior has none)."""
        return cls(tuple(data["aux"]), bool(data["emission_split"]), str(data.get("prior", "none")))


def invalid_color(color):
    """Mask of color values that are NaN, infinite or negative (numpy array or torch tensor)."""
    if hasattr(color, "isfinite"):  # a torch tensor
        return ~color.isfinite() | (color < 0)
    return ~np.isfinite(color) | (color < 0)


def without_emission(color: np.ndarray, seen_emission: np.ndarray) -> np.ndarray:
    """Color minus the emission seen in its own samples: the light that arrived by a bounce.

    NaN, infinite and negative color values are kept as they are, for the caller's checks."""
    return np.where(invalid_color(color), color, np.maximum(color - seen_emission, 0.0)).astype(color.dtype)


def sanitize(color: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace NaN and infinite values with 0 and clamp negative radiance to 0.

    Returns the clean array and how many values were changed.
    """
    bad = invalid_color(color)
    count = int(bad.sum())
    if count:
        color = np.where(bad, 0.0, color).astype(np.float32)
    return color, count
