"""The denoising network: a U-Net in the spirit of the Noise2Noise paper's.

Its output is log-radiance, as a correction to the log of the box-blurred
input, so training starts from a smoothed frame rather than from nothing.
Radiance is ``exp(output) / exposure``, which
keeps radiance positive and, unlike a linear output, keeps the relative-L2
gradient alive when an estimate is far too bright (see ``loss.py``).
"""

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from mcdenoise.tonemap import inverse_tonemap

#: Log-output is clamped here so exp() never overflows, even in a broken model.
_LOG_LIMIT = 30.0
#: Mid-grey, the brightness a frame has after exposure normalisation.
MID_GREY = 0.18
#: Keeps the log of a black blurred base finite.
BASE_EPSILON = 1e-3


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the U-Net. Stored in every checkpoint, so weights describe themselves."""

    in_channels: int = 9
    out_channels: int = 3
    width: int = 32
    depth: int = 4
    #: Side of the box blur of the input color that the log output is a correction to (0: none).
    base_blur: int = 5

    @property
    def alignment(self) -> int:
        """Input height and width must be multiples of this (one per pooling level)."""
        return 2**self.depth

    def to_dict(self) -> dict:
        """Plain dict for checkpoints."""
        return asdict(self)


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, padding=1)


class _Block(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(_conv(cin, cout), nn.LeakyReLU(0.1, inplace=True), _conv(cout, cout), nn.LeakyReLU(0.1, inplace=True))


class UNet(nn.Module):
    """Encoder-decoder with skip connections; returns log-radiance of the normalised frame."""

    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.inc = _Block(config.in_channels, w)
        self.down = nn.ModuleList(_Block(w, w) for _ in range(config.depth))
        self.up = nn.ModuleList(_Block(2 * w, w) for _ in range(config.depth))
        self.out = nn.Conv2d(w, config.out_channels, kernel_size=1)
        # Start as the blurred input (or, without a base, a flat mid-grey image): a sane,
        # finite estimate for any input, close to the target from the first step.
        nn.init.zeros_(self.out.weight)
        nn.init.constant_(self.out.bias, 0.0 if config.base_blur else math.log(MID_GREY))

    @property
    def alignment(self) -> int:
        """Input sides must be multiples of this."""
        return self.config.alignment

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (N, C, H, W) encoded input to (N, 3, H, W) log-radiance (H, W multiples of ``alignment``)."""
        skips = []
        h = self.inc(x)
        for block in self.down:
            skips.append(h)
            h = block(F.max_pool2d(h, 2))
        for block in self.up:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = block(torch.cat([h, skips.pop()], dim=1))
        return (self.out(h).float() + self._base(x)).clamp(-_LOG_LIMIT, _LOG_LIMIT)

    def _base(self, x: torch.Tensor) -> torch.Tensor:
        """Log of the box-blurred, exposure-normalised input color (0 without a base)."""
        size = self.config.base_blur
        if not size:
            return torch.zeros((), device=x.device)
        radiance = inverse_tonemap(x[:, :3].float())
        blurred = F.avg_pool2d(radiance, size, stride=1, padding=size // 2, count_include_pad=False)
        return torch.log(blurred + BASE_EPSILON)


def to_radiance(log_output: torch.Tensor, exposure: torch.Tensor) -> torch.Tensor:
    """Linear HDR radiance from the network's log output and the input's exposure scale."""
    return torch.exp(log_output) / exposure
