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
#: Brings log-radiance (about -7 to 8 after exposure normalisation) near the other inputs' range.
_MAGNITUDE_SCALE = 0.25


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the U-Net. Stored in every checkpoint, so weights describe themselves."""

    in_channels: int = 9
    out_channels: int = 3
    width: int = 32
    depth: int = 4
    #: Side of the box blur of the input color that the log output is a correction to (0: none).
    base_blur: int = 5
    #: Also feed the network the log of each pixel's radiance and of the blurred base. The tonemapped
    #: color saturates (T(30) and T(3000) differ by 1e-3), so without these the network cannot tell
    #: how far a bright neighbour spreads through the base, nor undo it. Checkpoints written before
    #: this field existed lack it and load as False.
    magnitude_input: bool = False

    @property
    def alignment(self) -> int:
        """Input height and width must be multiples of this (one per pooling level)."""
        return 2**self.depth

    def to_dict(self) -> dict:
        """Plain dict for checkpoints."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "UNetConfig":
        """The config stored in a checkpoint (fields added since it was written take their defaults)."""
        return cls(**{"magnitude_input": False, **values})

    @property
    def network_inputs(self) -> int:
        """Channels that the first convolution takes: the encoded input, plus 6 magnitude channels."""
        return self.in_channels + (6 if self.magnitude_input else 0)


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
        self.inc = _Block(config.network_inputs, w)
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
        radiance = inverse_tonemap(x[:, :3].float())
        base = self._log_base(radiance)
        if self.config.magnitude_input:
            log_radiance = torch.log(radiance + BASE_EPSILON)
            x = torch.cat([x, (_MAGNITUDE_SCALE * torch.cat([log_radiance, base], dim=1)).to(x.dtype)], dim=1)
        skips = []
        h = self.inc(x)
        for block in self.down:
            skips.append(h)
            h = block(F.max_pool2d(h, 2))
        for block in self.up:
            # One expression, so the upsampled tensor is freed once concatenated, not held through the block.
            h = block(torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), skips.pop()], dim=1))
        return (self.out(h).float() + base).clamp(-_LOG_LIMIT, _LOG_LIMIT)

    def _log_base(self, radiance: torch.Tensor) -> torch.Tensor:
        """Log of the box-blurred, exposure-normalised input radiance, (N, 3, H, W); zeros without a base."""
        size = self.config.base_blur
        if not size:
            return torch.zeros_like(radiance)
        # Three channels pool faster in the plain layout than as a slice of the channels_last input.
        blurred = F.avg_pool2d(radiance.contiguous(), size, stride=1, padding=size // 2, count_include_pad=False)
        return torch.log(blurred + BASE_EPSILON)


def to_radiance(log_output: torch.Tensor, exposure: torch.Tensor) -> torch.Tensor:
    """Linear HDR radiance from the network's log output and the input's exposure scale."""
    return torch.exp(log_output) / exposure
