"""The denoising network: a U-Net in the spirit of the Noise2Noise paper's.

It takes the encoded frame (:mod:`mcdenoise.learn.encode`), tonemaps the color
with T, and outputs log-radiance as a correction to the log of the box-blurred
input, so training starts from a smoothed frame rather than from nothing. With a
prior (:mod:`mcdenoise.learn.prior`) the correction is to the log of the prior's
output instead, so the network starts as the prior.
Radiance is ``exp(output) / exposure``, which
keeps radiance positive and, unlike a linear output, keeps the relative-L2
gradient alive when an estimate is far too bright (see ``loss.py``).
"""

import math
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from mcdenoise.config import UNetConfig
from mcdenoise.errors import ModelError
from mcdenoise.io.checkpoint import Checkpoint
from mcdenoise.tonemap import tonemap

#: Log-output is clamped here so exp() never overflows, even in a broken model.
_LOG_LIMIT = 30.0
#: Mid-grey, the brightness a frame has after exposure normalisation.
MID_GREY = 0.18
#: Keeps the log of a black blurred input finite.
BLUR_EPSILON = 1e-3
#: Keeps the log of a black prior finite; small, so that a model that starts as the prior
#: gives its black pixels back as black (T(1e-6) is 0.002).
PRIOR_EPSILON = 1e-6
#: Brings log-radiance (about -7 to 8 after exposure normalisation) near the other inputs' range.
_MAGNITUDE_SCALE = 0.25


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
        nn.init.constant_(self.out.bias, 0.0 if config.blur_size or config.prior_base else math.log(MID_GREY))

    @property
    def alignment(self) -> int:
        """Input sides must be multiples of this."""
        return self.config.alignment

    @property
    def returns_prior(self) -> bool:
        """Whether the network's output is its prior's, whatever the input: a model that corrects a
        prior, with its output layer all zeros (:func:`correcting_prior`, before any training), so
        that running it would only compute a correction of zero."""
        return self.config.prior_base and not self.out.weight.any() and not self.out.bias.any()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (N, C, H, W) encoded input to (N, 3, H, W) log-radiance (H, W multiples of ``alignment``)."""
        radiance = x[:, :3].float()
        if self.config.prior_base:
            prior = x[:, -3:].float()
            base = torch.log(prior + PRIOR_EPSILON)
            parts = [tonemap(radiance).to(x.dtype), x[:, 3:-3], tonemap(prior).to(x.dtype)]
        else:
            base = self._log_blurred(radiance)
            parts = [tonemap(radiance).to(x.dtype), x[:, 3:]]
        if self.config.magnitude_input:
            log_radiance = torch.log(radiance + BLUR_EPSILON)
            parts.append((_MAGNITUDE_SCALE * torch.cat([log_radiance, base], dim=1)).to(x.dtype))
        x = torch.cat(parts, dim=1)
        skips = []
        h = self.inc(x)
        for block in self.down:
            skips.append(h)
            h = block(F.max_pool2d(h, 2))
        for block in self.up:
            # One expression, so the upsampled tensor is freed once concatenated, not held through the block.
            h = block(torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), skips.pop()], dim=1))
        correction = self.out(h).float()
        if self.config.correction_limit:
            limit = self.config.correction_limit
            correction = limit * torch.tanh(correction / limit)
        return (correction + base).clamp(-_LOG_LIMIT, _LOG_LIMIT)

    def _log_blurred(self, radiance: torch.Tensor) -> torch.Tensor:
        """Log of the box-blurred, exposure-normalised input radiance, (N, 3, H, W); zeros without a blur."""
        size = self.config.blur_size
        if not size:
            return torch.zeros_like(radiance)
        # Three channels pool faster in the plain layout than as a slice of the channels_last input.
        blurred = F.avg_pool2d(radiance.contiguous(), size, stride=1, padding=size // 2, count_include_pad=False)
        return torch.log(blurred + BLUR_EPSILON)


def to_radiance(log_output: torch.Tensor, exposure: torch.Tensor) -> torch.Tensor:
    """Linear HDR radiance from the network's log output and the input's exposure scale."""
    return torch.exp(log_output) / exposure


def build_model(checkpoint: Checkpoint, path="model") -> UNet:
    """The network that a checkpoint describes, with its weights loaded, in eval mode;
    raises :class:`ModelError` naming ``path`` when the weights do not fit."""
    model = UNet(checkpoint.model_config)
    try:
        model.load_state_dict(checkpoint.weights)
    except RuntimeError as error:
        raise ModelError(f"{path}: the model file is inconsistent ({str(error).splitlines()[0][:200]})") from None
    return model.eval()


def inference_model(checkpoint: Checkpoint, path: str | Path = "model", device: str | torch.device = "cpu") -> UNet:
    """:func:`build_model` on ``device``, in channels-last layout (faster convolutions)."""
    return build_model(checkpoint, path).to(device, memory_format=torch.channels_last)


def correcting_prior(checkpoint: Checkpoint, prior: str, correction_limit: float = 0.0) -> Checkpoint:
    """A plain model (no prior) made into one that corrects ``prior``, as training's start.

    The network gains 3 inputs for the prior's output, with zero weights, and its log output
    becomes a correction to the prior's log, bounded by ``correction_limit`` (0: unbounded;
    ``UNetConfig.correction_limit``); the output layer is zeroed, so the new model gives
    the prior's output exactly until it is trained. The rest of the network keeps its weights.
    """
    config = checkpoint.model_config
    if config.prior_base:
        raise ModelError("the model corrects a prior already")
    new_config = replace(config, in_channels=config.in_channels + 3, prior_base=True, correction_limit=correction_limit)
    weights = dict(checkpoint.weights)
    first = weights["inc.0.weight"]  # (width, network inputs, 3, 3): the prior's inputs go after the encoded frame's
    zeros = first.new_zeros((first.shape[0], 3, *first.shape[2:]))
    weights["inc.0.weight"] = torch.cat([first[:, : config.in_channels], zeros, first[:, config.in_channels :]], dim=1)
    weights["out.weight"] = torch.zeros_like(weights["out.weight"])
    weights["out.bias"] = torch.zeros_like(weights["out.bias"])
    return replace(
        checkpoint,
        model_config=new_config,
        features=replace(checkpoint.features, prior=prior),
        weights=weights,
        training=None,
        provenance={
            **checkpoint.provenance,
            "prior": f"{prior} prior added by correcting_prior: zero weights on its inputs, output layer zeroed",
        },
    )
