"""The channels a model reads, from what a caller hands the hook: arrays or tensors with keyword
features, or the two halves of one frame."""

import numpy as np

from mcdenoise.errors import FrameError, PixelError
from mcdenoise.features import ALBEDO, AUX_CHANNELS, NORMAL, FeatureSet, invalid_color
from mcdenoise.io.exr import Frame
from mcdenoise.metrics import shared_noise

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
    reason = shared_noise(first, second)
    if reason:
        raise FrameError(f"{a} and {b}: {reason}")
    for names_of_aux, label in ((ALBEDO, "albedo"), (NORMAL, "normals")):
        if not all(name in features.channels for name in names_of_aux):
            continue
        index = features.channels.index(names_of_aux[0])
        x, y = (np.nan_to_num(f[..., index : index + 3]) for f in (first, second))
        difference = float(np.abs(x - y).mean()) / max(float(np.abs(x).mean() + np.abs(y).mean()) / 2, 1e-6)
        if difference > _SAME_VIEW_TOLERANCE:
            raise FrameError(f"{a} and {b} are not two halves of one frame: their {label} differ by {difference:.0%} (different views?)")


def stack_channels(features: FeatureSet, array, albedo, normal, depth, concatenate):
    """(H, W, C) channels in ``features``' order, from color (or color and features already
    stacked) plus keyword features; ``concatenate`` is numpy's or torch's. Raises :class:`FrameError`
    naming a missing or misshapen feature."""
    if array.ndim != 3:
        raise FrameError(f"expected an (H, W, C) image, got shape {tuple(array.shape)}")
    given = {"albedo": albedo, "normal": normal, "depth": depth}
    if array.shape[-1] == len(features.channels) and all(v is None for v in given.values()):
        return array
    if array.shape[-1] != 3:
        raise FrameError(f"expected 3 or {len(features.channels)} channels ({', '.join(features.channels)}), got {array.shape[-1]}")
    blocks = [array]
    for name in features.aux:
        block = given[name]
        if block is None:
            raise FrameError(f"the model needs the {name} feature; pass {name}= an (H, W, {len(AUX_CHANNELS[name])}) array")
        expected = tuple(array.shape[:2]) + (len(AUX_CHANNELS[name]),)
        if tuple(block.shape) != expected:
            raise FrameError(f"{name} has shape {tuple(block.shape)}, but the color is {tuple(array.shape)}; expected {expected}")
        blocks.append(block)
    return concatenate(blocks, -1)


def check_channels(channels, name: str, strict: bool) -> None:
    """Raise :class:`FrameError` for an empty frame and, when ``strict``, :class:`PixelError` for
    NaN, infinite or negative color."""
    if channels.shape[0] < 1 or channels.shape[1] < 1:
        raise FrameError(f"{name}: the image is empty ({channels.shape[1]}x{channels.shape[0]})")
    if strict:
        bad = int(invalid_color(channels[..., :3]).sum())
        if bad:
            raise PixelError(f"{name}: {bad} color values are NaN, infinite or negative (strict mode)")


def read_halves(features: FeatureSet, first: Frame, second: Frame, names) -> tuple[np.ndarray, np.ndarray]:
    """The channels of two frames laid out as ``features.channels``, raising :class:`FrameError`
    unless they can be two halves of one frame (rendered with independent seeds, each with half
    the samples)."""
    halves = tuple(features.read(frame, name) for frame, name in zip((first, second), names, strict=True))
    check_halves(*halves, features, names)
    return halves


def merge_halves(first: Frame, second: Frame) -> Frame:
    """One frame with the samples of both halves: every channel they share, averaged."""
    return Frame({name: (first.channels[name] + second.channels[name]) / 2 for name in first.channels if name in second.channels})
