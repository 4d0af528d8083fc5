"""Transfer functions between linear HDR radiance and network space.

Kept apart from the loss and from display code, as in OIDN's training tools.
"""

import numpy as np
import torch

GAMMA = 2.2


def tonemap(v: torch.Tensor) -> torch.Tensor:
    """The Noise2Noise tonemap T(v) = (v / (1 + v))^(1/2.2), with v clamped at 0."""
    v = v.clamp(min=0.0)
    return (v / (1.0 + v)).pow(1.0 / GAMMA)


def tonemap_np(v: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`tonemap`; keeps the input's float dtype."""
    v = np.maximum(np.asarray(v), 0.0)
    return (v / (1.0 + v)) ** (1.0 / GAMMA)
