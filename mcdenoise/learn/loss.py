"""The Noise2Noise loss for Monte Carlo frames.

Relative L2 with the denominator's gradient stopped:
``(f - y)^2 / (sg(f) + 0.01)^2``. Its minimiser is still the mean of the
targets, so noisy targets teach the clean image.

The degenerate basin: as f grows the loss tends to 1 and d/df vanishes like
1/f. mcdenoise's network outputs g = log f, and d/dg = f * d/df stays near 2
for any large f, so a too-bright estimate is always pushed back down.
"""

import torch

EPSILON = 0.01


def relative_l2(estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of (f - y)^2 / (sg(f) + 0.01)^2 over all elements."""
    denominator = (estimate.detach() + EPSILON) ** 2
    return ((estimate - target) ** 2 / denominator).mean()
