"""Tiled inference: any frame size in bounded memory, with no seams.

The frame is padded once to the network's alignment, then cut into tiles
whose origins sit on that alignment (so pooling grids agree with the
untiled run) and that overlap by at least the network's receptive radius
(so every kept pixel sees exactly the context it would see untiled).
"""

from contextlib import nullcontext

import numpy as np
import torch

from mcdenoise.config import UNetConfig
from mcdenoise.features import FeatureSet
from mcdenoise.learn.device import autocast_dtype
from mcdenoise.learn.encode import depth_normaliser, encode, exposure_scale
from mcdenoise.learn.model import UNet, to_radiance
from mcdenoise.learn.prior import prior_of, with_prior

#: Default tile side on the CPU and on a GPU (see :func:`tile_for`).
DEFAULT_TILE = 768
GPU_TILE = 2048


def receptive_radius(config: UNetConfig) -> int:
    """How far (in pixels) an output pixel of the U-Net can see, each way."""
    radius = 2  # the two 3x3 convolutions at full resolution
    for level in range(1, config.depth + 1):
        radius += 2**level * 2 + 2 ** (level - 1)  # pooling, then two convolutions at this scale
    for level in range(config.depth):
        radius += 2**level * 2  # two convolutions per decoder level
    if config.magnitude_input:  # the blurred input is an input too
        return radius + config.blur_size // 2
    return max(radius, config.blur_size // 2)


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


def _side_for(count: int, size: int, align: int, overlap: int) -> int:
    """The aligned tile side that covers ``size`` in ``count`` tiles whose neighbours share 2 * overlap."""
    if count == 1:
        return size
    side = -(-(size + 2 * overlap * (count - 1)) // count)
    return min(size, -(-side // align) * align)


def plan_tile_shape(height: int, width: int, align: int, max_pixels: int, overlap: int) -> tuple[int, int]:
    """The tile (height, width) that covers a padded ``height`` x ``width`` frame with the least
    computed area, among tiles of at most ``max_pixels`` pixels.

    Every tile but the frame's edges recomputes ``overlap`` pixels on each side, so few, large
    tiles shaped to the frame waste least: a 1080p frame in at most 768² pixels takes six
    656x800 tiles (1.52x the frame's area to compute) where 768² squares take eight (2.28x).
    """
    smallest = 2 * overlap + align
    best = None
    for rows in range(1, max(1, -(-height // align)) + 1):
        th = _side_for(rows, height, align, overlap)
        if rows > 1 and th < smallest:
            break
        for cols in range(1, max(1, -(-width // align)) + 1):
            tw = _side_for(cols, width, align, overlap)
            if cols > 1 and tw < smallest:
                break
            if th * tw > max_pixels:
                continue
            tiles = len(_tile_starts(height, th, overlap)) * len(_tile_starts(width, tw, overlap))
            cost = (tiles * th * tw, tiles)
            if best is None or cost < best[0]:
                best = (cost, (th, tw))
            break  # more columns only cost more once this many fit
    if best is None:  # the budget is below the smallest tile that leaves a kept interior
        return min(height, smallest), min(width, smallest)
    return best[1]


def _tiles(height: int, width: int, align: int, tile: int, overlap: int):
    """Windows over the frame padded to ``align``: (y, x, th, tw) and the region (top, left, bottom,
    right) of each window, in window coordinates, whose output is kept. Tiles hold at most tile²
    pixels (see :func:`plan_tile_shape`)."""
    ph, pw = -(-height // align) * align, -(-width // align) * align
    th, tw = plan_tile_shape(ph, pw, align, tile * tile, overlap)
    for y in _tile_starts(ph, th, overlap):
        for x in _tile_starts(pw, tw, overlap):
            top, left = (0 if y == 0 else overlap), (0 if x == 0 else overlap)
            bottom = th if y + th >= ph else th - overlap
            right = tw if x + tw >= pw else tw - overlap
            yield (y, x, th, tw), (top, left, bottom, right)


def _fp32_means_fp32(device: torch.device, dtype: torch.dtype | None):
    """In fp32 on a GPU, no TF32 convolutions: they keep 10 bits of mantissa, so tiled and untiled
    output (whose shapes may pick other algorithms) would differ by about 1e-3."""
    if device.type != "cuda" or dtype is not None:
        return nullcontext()
    cudnn = torch.backends.cudnn
    return cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark, deterministic=cudnn.deterministic, allow_tf32=False)


def tile_for(device: torch.device) -> int:
    """The default tile side on ``device``: 768 on the CPU (about 1.4 GiB at 4K), 2048 on a GPU
    (a 1080p frame in one tile, 4K in four)."""
    return GPU_TILE if device.type == "cuda" else DEFAULT_TILE


def denoise_tensor(
    model: UNet,
    features: FeatureSet,
    channels: torch.Tensor,
    tile: int | None = None,
    overlap: int | None = None,
    precision: str = "auto",
) -> torch.Tensor:
    """Denoise (H, W, C) linear channels laid out as ``features.channels``, on the model's device.

    ``channels`` is a tensor on any device (a frame already on the GPU stays there). Returns the
    (H, W, 3) float32 radiance on the model's device; NaN, infinite and negative color values
    are treated as 0. The frame is encoded tile by tile, so memory beyond the
    input and output is bounded by the tile. Tiles hold at most ``tile``² pixels (default:
    :func:`tile_for` the device), shaped to the frame so that overlap costs least (``tile`` is
    rounded down to the model's alignment); ``overlap`` is at least the receptive radius (a
    smaller request is raised to it), which makes tiled and untiled output agree. ``precision``
    is auto (fp16 on a GPU, bf16 on a CPU that has it, see :func:`~mcdenoise.learn.device.autocast_dtype`),
    fp32, bf16 or fp16. A model with a prior runs it on the whole frame first (:mod:`mcdenoise.learn.prior`);
    one that returns its prior unchanged (:attr:`UNet.returns_prior`) runs nothing else.
    """
    device = next(model.parameters()).device
    if model.returns_prior:  # its correction is zero: the output is the prior's, with no network to run
        return prior_of(channels.to(device), features)
    channels = with_prior(channels.to(device), features)  # on the whole frame, before it is tiled
    height, width = channels.shape[:2]
    exposure = exposure_scale(channels[..., :3])
    depth_scale = depth_normaliser(channels, features)
    align = model.alignment
    overlap = max(default_overlap(model.config), -(-(overlap or 0) // align) * align)
    tile = tile or tile_for(device)
    tile = max(align, tile // align * align, 2 * overlap + align)
    dtype = autocast_dtype(precision, device)
    radiance = torch.empty((height, width, 3), dtype=torch.float32, device=device)
    exposure_on_device = torch.tensor(exposure, device=device)
    with torch.inference_mode():
        for (y, x, th, tw), (top, left, bottom, right) in _tiles(height, width, align, tile, overlap):
            # Rows and columns past the frame repeat its last ones: replicate padding to the alignment.
            rows = torch.arange(y, y + th, device=device).clamp(max=height - 1)
            cols = torch.arange(x, x + tw, device=device).clamp(max=width - 1)
            window = channels.index_select(0, rows).index_select(1, cols)
            encoded = encode(window, features, exposure, depth_scale)[None].contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None), _fp32_means_fp32(device, dtype):
                log_radiance = model(encoded)[0].float()
            bottom, right = min(bottom, height - y), min(right, width - x)
            if bottom > top and right > left:
                kept = to_radiance(log_radiance[:, top:bottom, left:right], exposure_on_device)
                radiance[y + top : y + bottom, x + left : x + right] = kept.permute(1, 2, 0)
    return radiance


def denoise_array(model: UNet, features: FeatureSet, channels: np.ndarray, **options) -> np.ndarray:
    """:func:`denoise_tensor` for a numpy (H, W, C) frame, with its ``options`` (``tile``, ``overlap``,
    ``precision``): returns (H, W, 3) float32 numpy radiance."""
    if model.returns_prior:  # the prior alone, with no round trip through torch
        return prior_of(channels, features)
    frame = torch.from_numpy(np.ascontiguousarray(channels, dtype=np.float32))
    return denoise_tensor(model, features, frame, **options).cpu().numpy()
