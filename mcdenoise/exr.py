"""EXR reading and writing in the channel convention of BENCHMARK.md.

Frames are plain dicts of channel name to (H, W) float32 arrays plus the
header's own attributes. Writes go to a temporary file that is renamed into
place, so a crash never leaves a half-written EXR behind.
"""

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import OpenEXR

from mcdenoise.errors import ExrError

#: Header keys that describe the file's layout; they are rebuilt on write.
_STRUCTURAL_KEYS = {
    "channels",
    "compression",
    "dataWindow",
    "displayWindow",
    "lineOrder",
    "pixelAspectRatio",
    "screenWindowCenter",
    "screenWindowWidth",
    "type",
    "tiles",
    "chunkCount",
    "version",
}


@dataclass
class Frame:
    """One image: channels by EXR name, each (H, W) float32, plus header attributes."""

    channels: dict[str, np.ndarray]
    attributes: dict[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the image."""
        first = next(iter(self.channels.values()))
        return first.shape

    def stack(self, names) -> np.ndarray:
        """The named channels as one (H, W, len(names)) float32 array."""
        return np.stack([self.channels[n] for n in names], axis=-1)


def read_exr(path) -> Frame:
    """Read an EXR file into a :class:`Frame`, converting every channel to float32.

    Raises :class:`ExrError` naming the file when it is missing, not an EXR,
    truncated, empty, or holds channels of different sizes.
    """
    path = Path(path)
    if not path.is_file():
        raise ExrError(f"{path}: no such file")
    try:
        with OpenEXR.File(str(path), separate_channels=True) as exr:
            header = dict(exr.header())
            raw = {name: channel.pixels for name, channel in exr.channels().items()}
    except Exception as error:  # OpenEXR raises bare RuntimeError/ValueError
        raise ExrError(f"{path}: not a readable EXR file ({error})") from None
    if not raw:
        raise ExrError(f"{path}: the EXR file holds no channels")
    channels = {}
    for name, pixels in raw.items():
        pixels = np.asarray(pixels)
        if pixels.ndim != 2 or pixels.size == 0:
            raise ExrError(f"{path}: channel {name} has an empty or malformed image ({pixels.shape})")
        channels[name] = pixels.astype(np.float32, copy=False)
    shapes = {c.shape for c in channels.values()}
    if len(shapes) != 1:
        raise ExrError(f"{path}: channels differ in size ({sorted(shapes)}); subsampled channels are not supported")
    attributes = {k: v for k, v in header.items() if k not in _STRUCTURAL_KEYS}
    return Frame(channels=channels, attributes=attributes)


def write_exr(path, frame: Frame) -> None:
    """Write ``frame`` as a float32, ZIP-compressed EXR, atomically (write, then rename)."""
    path = Path(path)
    shapes = {np.shape(c) for c in frame.channels.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ExrError(f"{path}: cannot write channels of shapes {sorted(shapes)}; all must be one (H, W)")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    header.update(frame.attributes)
    channels = {name: np.ascontiguousarray(data, dtype=np.float32) for name, data in frame.channels.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial.exr", dir=path.parent)
    os.close(handle)
    try:
        with OpenEXR.File(header, channels) as exr:
            exr.write(temp)
        os.replace(temp, path)
    except BaseException as error:
        Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExrError(f"{path}: could not write ({error.strerror or error})") from None
        raise
