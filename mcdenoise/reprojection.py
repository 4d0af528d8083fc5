"""Reading the previous frame of a sequence where each pixel's content was: backward warping by motion.

A frame's ``motion.X`` and ``motion.Y`` channels (:data:`mcdenoise.features.MOTION`) say
where each pixel's first hit was in the frame before, in pixels; :func:`warp_previous`
samples the previous frame there, so the result lines up with the current frame:
bilinearly, or with the sharper Catmull-Rom spline, which temporal reuse needs because its
history is resampled again every frame and bilinear sampling blurs it a little each time.
"""

from typing import Literal

import numpy as np


def _catmull_rom_weights(t: np.ndarray) -> tuple[np.ndarray, ...]:
    """The weights of the samples at -1, 0, 1 and 2 for a position ``t`` in [0, 1) past sample 0."""
    return (
        t * (-0.5 + t * (1 - 0.5 * t)),
        1 + t * t * (-2.5 + 1.5 * t),
        t * (0.5 + t * (2 - 1.5 * t)),
        t * t * (-0.5 + 0.5 * t),
    )


def warp_previous(
    previous: np.ndarray, motion_x: np.ndarray, motion_y: np.ndarray, kernel: Literal["bilinear", "catmull-rom"] = "bilinear"
) -> tuple[np.ndarray, np.ndarray]:
    """``previous`` (H, W, C) resampled into the current frame by its motion (each (H, W), in pixels),
    and a (H, W) bool mask of the pixels whose content was inside the previous frame. Pixels outside
    it (or with NaN motion) get 0. ``catmull-rom`` is kept within the range of the four samples
    around each point, as bilinear sampling is."""
    height, width = motion_x.shape
    x = np.arange(width)[None, :] + motion_x  # continuous coordinates of pixel centres: i + 0.5 - 0.5
    y = np.arange(height)[:, None] + motion_y
    valid = np.isfinite(x) & np.isfinite(y) & (x > -0.5) & (x < width - 0.5) & (y > -0.5) & (y < height - 0.5)
    x = np.clip(np.nan_to_num(x), 0, width - 1)
    y = np.clip(np.nan_to_num(y), 0, height - 1)
    x0, y0 = np.minimum(np.floor(x).astype(np.int64), width - 2), np.minimum(np.floor(y).astype(np.int64), height - 2)
    x0, y0 = np.maximum(x0, 0), np.maximum(y0, 0)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    if kernel == "catmull-rom":
        columns = [np.clip(x0 + k, 0, width - 1) for k in (-1, 0, 1, 2)]
        rows = [np.clip(y0 + k, 0, height - 1) for k in (-1, 0, 1, 2)]
        column_weights = _catmull_rom_weights(fx)
        warped = np.zeros(motion_x.shape + previous.shape[2:], np.float64)
        for row, row_weight in zip(rows, _catmull_rom_weights(fy), strict=True):
            line = sum(previous[row, column] * weight for column, weight in zip(columns, column_weights, strict=True))
            warped += line * row_weight
        # No overshoot: the spline rings at a sharp edge (a light against a dark ceiling), and a
        # history resampled every frame would carry the ring on. Keep it within its four nearest samples.
        nearest = [previous[row, column] for row in rows[1:3] for column in columns[1:3]]
        warped = np.clip(warped, np.minimum.reduce(nearest), np.maximum.reduce(nearest)).astype(previous.dtype)
        warped[~valid] = 0
        return warped, valid
    top = previous[y0, x0] * (1 - fx) + previous[y0, np.minimum(x0 + 1, width - 1)] * fx
    bottom = (
        previous[np.minimum(y0 + 1, height - 1), x0] * (1 - fx)
        + previous[np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)] * fx
    )
    warped = (top * (1 - fy) + bottom * fy).astype(previous.dtype)
    warped[~valid] = 0
    return warped, valid
