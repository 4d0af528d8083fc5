"""Does a frame's noise spread across neighbouring pixels? Read from the frame alone.

A box pixel filter gives every pixel its own samples, so the noise of
neighbours is independent; a gaussian or tent filter shares samples between
them, so their noise is correlated. Intel OIDN is trained on independent noise
and gains almost nothing on correlated noise (benchmarks/results/quality-scene-track.md),
where mcdenoise's plain base model does well; on independent noise OIDN is
ahead of the plain base. ``apply --route auto`` chooses by this test.

The statistic: on the tonemapped luminance, the median absolute difference of
pixels two apart over that of pixels next to each other, along rows and
columns. For independent noise both differences have the same spread (ratio
1); correlated noise makes neighbours alike, so the ratio rises (a gaussian
filter of radius 2 gives about 1.3). Smooth signal raises it too, so a frame
converged far past its noise reads as correlated; that case costs little,
since both denoisers then have little to remove.
"""

import numpy as np

from mcdenoise.features import ALBEDO, NORMAL, invalid_color
from mcdenoise.io.exr import Frame
from mcdenoise.tonemap import tonemap_np

#: Ratios at or above this read as correlated noise: about midway between the tuning scenes' two
#: ranges in benchmarks/results/noise_correlation/ (box filter 0.99 to 1.03, their own gaussian
#: filter 1.25 to 1.32, at 2 to 16 spp and 65536 pixels, guided by albedo and normal).
CORRELATED_RATIO = 1.14
#: Pixel pairs whose guide features (albedo, normal) differ by more than this are an edge, not noise.
EDGE_TOLERANCE = 0.02
#: About how many pixels the statistic reads (its threshold was set on frames of this size): a larger
#: frame is read along every k-th row and every k-th column.
SAMPLED_PIXELS = 2**16


def _pairs(image: np.ndarray, axis: int, lag: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``lag`` apart along ``axis``, as two arrays of ``length`` positions each."""
    first = np.take(image, np.arange(length), axis=axis)
    return first, np.take(image, np.arange(lag, lag + length), axis=axis)


def neighbour_difference_ratio(color: np.ndarray, guide: np.ndarray | None = None) -> float:
    """The median |x[i+2] - x[i]| over the median |x[i+1] - x[i]| of ``color``'s (H, W, 3)
    tonemapped luminance, rows and columns together, over the pixel triples where ``guide``
    (H, W, C feature channels such as albedo and normal) stays within :data:`EDGE_TOLERANCE`, so
    that edges of objects and textures count little. 1.0 for frames smaller than 3x3 or flat
    ones. NaN, infinite and negative color values count as 0. A frame of more than
    :data:`SAMPLED_PIXELS` pixels is read along every k-th row and column, about that many pixels.
    """
    color = np.asarray(color, dtype=np.float32)
    if color.shape[0] < 3 or color.shape[1] < 3:
        return 1.0
    stride = max(1, -(-color.shape[0] * color.shape[1] // SAMPLED_PIXELS))
    near, far = [], []
    for axis in (0, 1):
        lines = (slice(None), slice(None, None, stride)) if axis == 0 else (slice(None, None, stride), slice(None))
        sampled = color[lines]
        luminance = tonemap_np(np.where(invalid_color(sampled), 0.0, sampled)).mean(axis=-1)
        length = luminance.shape[axis] - 2
        start, step = _pairs(luminance, axis, 1, length)
        _, leap = _pairs(luminance, axis, 2, length)
        keep = np.ones(start.shape, dtype=bool)
        if guide is not None:
            sampled_guide = np.nan_to_num(np.asarray(guide[lines], dtype=np.float32))
            guide_start, guide_step = _pairs(sampled_guide, axis, 1, length)
            _, guide_leap = _pairs(sampled_guide, axis, 2, length)
            keep = (np.abs(guide_step - guide_start).max(-1) <= EDGE_TOLERANCE) & (
                np.abs(guide_leap - guide_start).max(-1) <= EDGE_TOLERANCE
            )
        near.append(np.abs(step - start)[keep])
        far.append(np.abs(leap - start)[keep])
    near, far = np.concatenate(near), np.concatenate(far)
    near_median = float(np.median(near)) if near.size else 0.0
    if near_median <= 0.0:
        return 1.0
    return float(np.median(far)) / near_median


def guide_of(frame: Frame) -> np.ndarray | None:
    """The frame's albedo and normal side by side, the guide that tells edges from noise; None
    without them."""
    names = [name for name in ALBEDO + NORMAL if name in frame.channels]
    return frame.stack(tuple(names)) if names else None
