"""The channel table: which EXR channels make up each feature, and the model input.

This is the one place that defines channel layout. The model's input width is
derived from a :class:`FeatureSet`, never typed twice.
"""

from dataclasses import dataclass

import numpy as np

from mcdenoise.tonemap import tonemap_np

COLOR = ("R", "G", "B")
ALBEDO = ("albedo.R", "albedo.G", "albedo.B")
NORMAL = ("normal.X", "normal.Y", "normal.Z")
DEPTH = ("depth.Z",)

#: Auxiliary features, by the name used on the command line and in checkpoints.
AUX_CHANNELS = {"albedo": ALBEDO, "normal": NORMAL, "depth": DEPTH}

#: Every channel that render-pairs writes, in file order.
ALL_CHANNELS = COLOR + ALBEDO + NORMAL + DEPTH


@dataclass(frozen=True)
class FeatureSet:
    """The auxiliary features that a model takes beside color.

    Color always comes first; the network input is color, then each named
    feature in ``aux`` order.
    """

    aux: tuple[str, ...] = ("albedo", "normal")

    def __post_init__(self) -> None:
        unknown = [name for name in self.aux if name not in AUX_CHANNELS]
        if unknown:
            raise ValueError(f"unknown features {unknown}; known: {sorted(AUX_CHANNELS)}")

    @property
    def channels(self) -> tuple[str, ...]:
        """EXR channel names that the model reads, in input order."""
        names = list(COLOR)
        for name in self.aux:
            names.extend(AUX_CHANNELS[name])
        return tuple(names)

    @property
    def input_width(self) -> int:
        """Number of network input channels."""
        return len(self.channels)

    def missing(self, available) -> list[str]:
        """Channels of this set that are not in ``available``."""
        have = set(available)
        return [c for c in self.channels if c not in have]


def invalid_color(color: np.ndarray) -> np.ndarray:
    """Mask of color values that are NaN, infinite or negative."""
    return ~np.isfinite(color) | (color < 0)


def sanitize(color: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace NaN and infinite values with 0 and clamp negative radiance to 0.

    Returns the clean array and how many values were changed.
    """
    bad = invalid_color(color)
    count = int(bad.sum())
    if count:
        color = np.where(bad, 0.0, color).astype(np.float32)
    return color, count


def exposure_scale(color: np.ndarray) -> float:
    """The factor that brings a frame's typical brightness to mid-grey (0.18).

    Luminance is clipped at its 99th percentile first, so a few fireflies do
    not darken the whole frame.
    """
    luminance = np.zeros(color.shape[:-1], dtype=np.float32)
    for i, weight in enumerate((0.2126, 0.7152, 0.0722)):  # NaN, infinite and negative values count as 0
        luminance += np.float32(weight) * np.nan_to_num(np.maximum(color[..., i], 0.0), nan=0.0, posinf=0.0)
    ceiling = float(np.percentile(luminance, 99)) if luminance.size else 0.0
    mean = float(np.minimum(luminance, ceiling).mean()) if luminance.size else 0.0
    return 0.18 / max(mean, 1e-4)


def depth_normaliser(channels: np.ndarray, features: FeatureSet) -> float:
    """The largest finite depth of a frame laid out as ``features.channels`` (1 without depth)."""
    if "depth" not in features.aux:
        return 1.0
    offset = features.channels.index(DEPTH[0])
    depth = np.nan_to_num(channels[..., offset], nan=0.0, posinf=0.0, neginf=0.0)
    return max(float(depth.max()) if depth.size else 0.0, 1e-6)


def encode(channels: np.ndarray, features: FeatureSet, exposure: float, depth_scale: float | None = None) -> np.ndarray:
    """Network input (C, H, W) from stacked ``features.channels`` (H, W, C) in linear HDR.

    Color becomes T(exposure * color); albedo is clamped to [0, 1]; normals
    map from [-1, 1] to [0, 1]; depth is divided by ``depth_scale`` (default:
    this array's :func:`depth_normaliser`; pass the whole frame's for a tile).
    """
    parts = [tonemap_np(channels[..., 0:3] * np.float32(exposure))]
    offset = 3
    for name in features.aux:
        width = len(AUX_CHANNELS[name])
        block = np.nan_to_num(channels[..., offset : offset + width], nan=0.0, posinf=0.0, neginf=0.0)
        offset += width
        if name == "albedo":
            block = np.clip(block, 0.0, 1.0)
        elif name == "normal":
            block = np.clip(block * 0.5 + 0.5, 0.0, 1.0)
        elif name == "depth":
            block = block / (depth_scale if depth_scale is not None else depth_normaliser(channels, features))
        parts.append(block)
    return np.ascontiguousarray(np.concatenate(parts, axis=-1).transpose(2, 0, 1), dtype=np.float32)
