"""Self-ensembling: denoise a frame in several flips and 90-degree rotations and average the results.

Training crops come in all 8 orientations (dataset.ExampleSampler), so each orientation of a frame
is denoised by an equally good model whose errors are partly independent of the others'; their
mean has less of the network's own error, at the cost of one inference per orientation. Feature
values are kept as they are (normals stay in world space), as in training.
"""

import numpy as np
import torch

#: (quarter turns, left-right flip) of each orientation, in the order that a count takes them:
#: 2 adds a half turn, 4 adds the flips of those two, 8 adds the quarter turns.
ORIENTATIONS = ((0, False), (2, False), (0, True), (2, True), (1, False), (3, False), (1, True), (3, True))
COUNTS = (1, 2, 4, 8)


def _turn(image, turns: int):
    if isinstance(image, torch.Tensor):
        return torch.rot90(image, turns, dims=(0, 1))
    return np.rot90(image, turns, axes=(0, 1))


def _flip(image):
    return image.flip(1) if isinstance(image, torch.Tensor) else image[:, ::-1]


def oriented(image, turns: int, flip: bool):
    """An (H, W, ...) array or tensor flipped left-right (if ``flip``), then turned ``turns`` quarter turns."""
    image = _turn(_flip(image) if flip else image, turns)
    return image.contiguous() if isinstance(image, torch.Tensor) else np.ascontiguousarray(image)


def restored(image, turns: int, flip: bool):
    """The inverse of :func:`oriented`."""
    image = _turn(image, -turns)
    image = _flip(image) if flip else image
    return image.contiguous() if isinstance(image, torch.Tensor) else np.ascontiguousarray(image)


def denoise_in_orientations(denoise, channels, count: int):
    """The mean of ``denoise`` (a function of (H, W, C) channels to (H, W, 3) radiance) over the
    first ``count`` :data:`ORIENTATIONS` of ``channels``; ``count`` 1 is a plain call."""
    if count not in COUNTS:
        raise ValueError(f"orientations must be one of {', '.join(map(str, COUNTS))}, not {count}")
    total = None
    for turns, flip in ORIENTATIONS[:count]:
        result = restored(denoise(oriented(channels, turns, flip)), turns, flip)
        total = result if total is None else total + result
    return total / count if count > 1 else total
