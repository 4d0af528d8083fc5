"""Tiled inference: any frame size in bounded memory, with no seams.

The frame is padded once to the network's alignment, then cut into tiles
whose origins sit on that alignment (so pooling grids agree with the
untiled run) and that overlap by at least the network's receptive radius
(so every kept pixel sees exactly the context it would see untiled).
"""

import numpy as np
import torch
from torch.nn import functional as F

from mcdenoise.features import FeatureSet, encode, exposure_scale, sanitize
from mcdenoise.model import UNet, UNetConfig, to_radiance

DEFAULT_TILE = 768


def receptive_radius(config: UNetConfig) -> int:
    """How far (in pixels) an output pixel of the U-Net can see, each way."""
    radius = 2  # the two 3x3 convolutions at full resolution
    for level in range(1, config.depth + 1):
        radius += 2**level * 2 + 2 ** (level - 1)  # pooling, then two convolutions at this scale
    for level in range(config.depth):
        radius += 2**level * 2  # two convolutions per decoder level
    return max(radius, config.base_blur // 2)


def default_overlap(config: UNetConfig) -> int:
    """The receptive radius rounded up to the network's alignment."""
    a = config.alignment
    return -(-receptive_radius(config) // a) * a


def _tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    step = tile - 2 * overlap
    starts = [0]
    while starts[-1] + tile < size:
        starts.append(min(starts[-1] + step, size - tile))
    return starts


def run_network(model: UNet, encoded: torch.Tensor, tile: int = DEFAULT_TILE, overlap: int | None = None) -> torch.Tensor:
    """Network log-output (3, H, W) for encoded input (C, H, W), tile by tile.

    ``tile`` is rounded down to the model's alignment. ``overlap`` is at least
    the receptive radius (a smaller request is raised to it), which makes tiled
    and untiled output agree; tiles grow to hold twice the overlap.
    """
    align = model.alignment
    overlap = max(default_overlap(model.config), -(-(overlap or 0) // align) * align)
    tile = max(align, tile // align * align, 2 * overlap + align)
    device = next(model.parameters()).device
    _, height, width = encoded.shape
    pad_h, pad_w = (-height) % align, (-width) % align
    padded = F.pad(encoded[None], (0, pad_w, 0, pad_h), mode="replicate")[0] if pad_h or pad_w else encoded
    ph, pw = padded.shape[1:]
    out = torch.empty((3, ph, pw), dtype=torch.float32)
    ys, xs = _tile_starts(ph, tile, overlap), _tile_starts(pw, tile, overlap)
    with torch.inference_mode():
        for y in ys:
            for x in xs:
                th, tw = min(tile, ph), min(tile, pw)
                window = padded[:, y : y + th, x : x + tw].to(device)
                result = model(window[None])[0].float().cpu()
                top = 0 if y == 0 else overlap
                left = 0 if x == 0 else overlap
                bottom = th if y + th >= ph else th - overlap
                right = tw if x + tw >= pw else tw - overlap
                out[:, y + top : y + bottom, x + left : x + right] = result[:, top:bottom, left:right]
    return out[:, :height, :width]


def denoise_array(
    model: UNet,
    features: FeatureSet,
    channels: np.ndarray,
    tile: int = DEFAULT_TILE,
    overlap: int | None = None,
) -> tuple[np.ndarray, int]:
    """Denoise (H, W, C) linear channels laid out as ``features.channels``.

    Returns the (H, W, 3) float32 radiance and how many color values were
    NaN, infinite or negative (they are treated as 0).
    """
    color, bad = sanitize(channels[..., :3])
    channels = np.concatenate([color, channels[..., 3:]], axis=-1) if channels.shape[-1] > 3 else color
    exposure = exposure_scale(color)
    encoded = torch.from_numpy(encode(channels, features, exposure))
    log_radiance = run_network(model, encoded, tile, overlap)
    radiance = to_radiance(log_radiance, torch.tensor(exposure))
    return radiance.permute(1, 2, 0).numpy().astype(np.float32), bad
