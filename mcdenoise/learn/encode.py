"""The network's input: a frame's channels, normalised, as one (C, H, W) tensor.

Color is scaled by the frame's exposure (to mid-grey), depth by its farthest point,
albedo and normals to [0, 1]; the network tonemaps the color itself.
"""

import math

import torch

from mcdenoise.features import AUX_CHANNELS, DEPTH, FeatureSet, invalid_color


def _percentile(values: torch.Tensor, q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation) of a 1-D tensor, on its own device and
    at any size (``torch.quantile`` refuses more than 2^24 values)."""
    position = q / 100 * (values.numel() - 1)
    low = int(math.floor(position))
    high = min(low + 1, values.numel() - 1)
    if values.is_cuda:  # one sort: a GPU's kthvalue runs a single slice in one thread block
        below, above = values.sort().values[[low, high]].double().tolist()
    else:
        below, above = (float(values.kthvalue(k + 1).values) for k in (low, high))
    return below + (above - below) * (position - low)


def exposure_scale(color) -> float:
    """The factor that brings a frame's typical brightness to mid-grey (0.18).

    ``color`` is (..., 3) linear radiance, a numpy array or a torch tensor on any device.
    Luminance is clipped at its 99th percentile first, so a few fireflies do
    not darken the whole frame.
    """
    color = torch.as_tensor(color)
    if not color.numel():
        return 0.18 / 1e-4
    luminance = torch.zeros(color.shape[:-1], dtype=torch.float32, device=color.device)
    for i, weight in enumerate((0.2126, 0.7152, 0.0722)):  # NaN, infinite and negative values count as 0
        luminance += weight * torch.nan_to_num(color[..., i].float().clamp(min=0.0), nan=0.0, posinf=0.0)
    ceiling = _percentile(luminance.flatten(), 99)
    mean = float(luminance.clamp(max=ceiling).mean(dtype=torch.float64))
    return 0.18 / max(mean, 1e-4)


def depth_normaliser(channels, features: FeatureSet) -> float:
    """The largest finite depth of a frame laid out as ``features.channels`` (1 without depth);
    ``channels`` is a numpy array or a torch tensor."""
    if "depth" not in features.aux:
        return 1.0
    offset = features.channels.index(DEPTH[0])
    depth = torch.nan_to_num(torch.as_tensor(channels)[..., offset], nan=0.0, posinf=0.0, neginf=0.0)
    return max(float(depth.max()) if depth.numel() else 0.0, 1e-6)


def encode(channels: torch.Tensor, features: FeatureSet, exposure: float, depth_scale: float | None = None) -> torch.Tensor:
    """Network input (C, H, W) from stacked ``features.channels`` (H, W, C) in linear HDR, on
    the tensor's own device.

    Color becomes exposure * color, with NaN, infinite and negative values as 0 (the network
    tonemaps it itself, and needs the radiance for its blurred estimate); albedo is clamped to
    [0, 1]; normals map from [-1, 1] to [0, 1]; depth is divided by ``depth_scale`` (default:
    this tensor's :func:`depth_normaliser`; pass the whole frame's for a tile). With a prior,
    ``channels`` has its 3 channels last (:func:`mcdenoise.learn.prior.with_prior`), scaled like the color.
    """
    channels = channels.float()
    color = channels[..., 0:3]
    parts = [torch.where(invalid_color(color), 0.0, color) * exposure]
    offset = 3
    for name in features.aux:
        width = len(AUX_CHANNELS[name])
        block = torch.nan_to_num(channels[..., offset : offset + width], nan=0.0, posinf=0.0, neginf=0.0)
        offset += width
        if name == "albedo":
            block = block.clamp(0.0, 1.0)
        elif name == "normal":
            block = (block * 0.5 + 0.5).clamp(0.0, 1.0)
        elif name == "depth":
            block = block / (depth_scale if depth_scale is not None else depth_normaliser(channels, features))
        parts.append(block)
    if features.has_prior:
        prior = channels[..., offset : offset + 3]
        parts.append(torch.where(invalid_color(prior), 0.0, prior) * exposure)
    return torch.cat(parts, dim=-1).permute(2, 0, 1).contiguous()
