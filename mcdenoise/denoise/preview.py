"""Side-by-side PNG previews of HDR frames, for people to look at."""

from pathlib import Path

import numpy as np

from mcdenoise.io.files import atomic_output


def side_by_side(images, gap: int = 4) -> np.ndarray:
    """Join (H, W, 3) images left to right with a white gap between them."""
    height = max(image.shape[0] for image in images)
    parts = []
    for i, image in enumerate(images):
        padded = np.zeros((height, image.shape[1], 3), dtype=np.float32)
        padded[: image.shape[0]] = image[..., :3]
        if i:
            parts.append(np.ones((height, gap, 3), dtype=np.float32))
        parts.append(padded)
    return np.concatenate(parts, axis=1)


def write_png(path, image: np.ndarray) -> None:
    """Write linear (H, W, 3) radiance as an 8-bit sRGB PNG (clamped at 1), atomically."""
    import mitsuba as mi

    if mi.variant() is None:
        mi.set_variant("scalar_rgb")
    path = Path(path)
    clean = np.nan_to_num(np.clip(image, 0.0, 1.0)).astype(np.float32)
    bitmap = mi.Bitmap(np.ascontiguousarray(clean), mi.Bitmap.PixelFormat.RGB)
    bitmap = bitmap.convert(mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.UInt8, srgb_gamma=True)
    with atomic_output(path) as temp:
        bitmap.write(str(temp))
