"""Intel Open Image Denoise 2 on the CPU, with its scratch memory bounded on large frames.

OIDN's RT filter, uncapped, takes about 1 GiB of scratch memory for a 1920x1080 frame and
over 2 GiB for 3840x2160 (on its CPU device). Above :data:`UNCAPPED_PIXELS` the filter is
given :data:`SCRATCH_LIMIT_MB` (OIDN's ``maxMemoryMB``), and then denoises the frame in
overlapping tiles of its own: the same output, at some cost in time; and it reads the frame's
stacked channels where they lie instead of packed copies. One device and filter
serve every call in the process, one call at a time.
"""

import threading

import numpy as np

#: Frames up to this many pixels (1920x1080) run with OIDN's own memory use, the fastest.
UNCAPPED_PIXELS = 1920 * 1080
#: OIDN's scratch memory, in MiB, for larger frames.
SCRATCH_LIMIT_MB = 512

_lock = threading.Lock()
_filter = None


def oidn_installed() -> bool:
    """Whether Intel OIDN's Python package (``pyoidn``) can be imported here."""
    try:
        import pyoidn  # noqa: F401
    except ImportError:
        return False
    return True


def _shared_filter():
    """The process's OIDN CPU device and RT filter, made on first use."""
    global _filter
    if _filter is None:
        import pyoidn

        device = pyoidn.Device(pyoidn.OIDN_DEVICE_TYPE_CPU)
        device.commit()
        _filter = (device, pyoidn.Filter(device, pyoidn.OIDN_FILTER_TYPE_RT))
    return _filter


def _shared(image: np.ndarray, in_place: bool) -> tuple[np.ndarray, int, int, int]:
    """How OIDN reads ``image`` (H, W, 3) float32: the array that holds it, the byte offset of its
    first pixel there, and the bytes from one pixel and one row to the next (0: packed). With
    ``in_place``, a view of 3 neighbouring channels of a larger C-contiguous array (a frame's
    channels stacked) is read where it lies, which saves memory but takes OIDN longer than a
    packed copy; anything else that is not packed is copied first."""
    if image.flags.c_contiguous:
        return image, 0, 0, 0
    base = image.base
    if (
        in_place
        and isinstance(base, np.ndarray)
        and base.dtype == np.float32
        and base.flags.c_contiguous
        and image.strides[2] == image.itemsize
        and image.strides[0] > 0
        and image.strides[1] > 0
    ):
        return base, image.ctypes.data - base.ctypes.data, image.strides[1], image.strides[0]
    return np.ascontiguousarray(image), 0, 0, 0


def oidn_rt(color: np.ndarray, albedo: np.ndarray | None = None, normal: np.ndarray | None = None) -> np.ndarray:
    """OIDN's RT filter, HDR, high quality, on float32 (H, W, 3) arrays (``normal`` only with
    ``albedo``); on a frame above :data:`UNCAPPED_PIXELS`, views of a stack of channels are read
    where they lie (see :func:`_shared`). Returns the (H, W, 3) float32 output. Raises
    RuntimeError with OIDN's message when it fails."""
    import pyoidn

    output = np.empty(color.shape, np.float32)
    height, width = color.shape[:2]
    large = height * width > UNCAPPED_PIXELS
    held = []
    images = {"color": color, "albedo": albedo, "normal": normal if albedo is not None else None, "output": output}
    with _lock:
        device, rt = _shared_filter()
        for name, image in images.items():
            if image is not None:
                data, offset, pixel_stride, row_stride = _shared(image, in_place=large)
                held.append(data)  # OIDN reads the array through a pointer: it must live until the filter ran
                rt.set_image(name, data, pyoidn.OIDN_FORMAT_FLOAT3, width, height, offset, pixel_stride, row_stride)
            elif name in ("albedo", "normal"):
                rt.unset_image(name)
        rt.set_bool("hdr", True)
        rt.set_quality(pyoidn.OIDN_QUALITY_HIGH)
        rt.set_int("maxMemoryMB", SCRATCH_LIMIT_MB if large else -1)
        rt.commit()
        rt.execute()
        error = device.get_error()
        for name, image in images.items():  # the filter keeps no pointer into arrays that may be freed
            if image is not None:
                rt.unset_image(name)
    if error:
        raise RuntimeError(f"OIDN failed: {error}")
    return output
