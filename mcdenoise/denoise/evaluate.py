"""The eval job: the benchmark's metrics for any frame against a reference, or with no reference,
an estimate of its error from the other half of the frame."""

import numpy as np

from mcdenoise.denoise.correct import held_out_error
from mcdenoise.errors import ExrError, FrameError, PixelError
from mcdenoise.features import COLOR
from mcdenoise.io.layout import LayoutRequest, read_frame
from mcdenoise.metrics import all_metrics

#: The other half's luminance, averaged over (2 * SCALE_RADIUS + 1)² pixels, is the brightness
#: each pixel's squared difference is taken relative to. 2 ranked five outputs (noisy, OIDN, OIDN
#: 0.8x and 1.3x, the base) as their relMSE does on the bundled box and three shared scenes; 4 and
#: 7 swapped two on glass, 0 ranked by the scale's own noise (a one-off probe, issue 39).
SCALE_RADIUS = 2


def evaluate_files(frame_path, reference_path, layout: LayoutRequest | None = None) -> dict[str, float | None]:
    """PSNR_T, relMSE, SMAPE and FLIP of ``frame_path``'s color against ``reference_path``'s.

    The color is where :mod:`mcdenoise.io.layout` finds the file's final image (a Blender view
    layer's Combined pass, which ``apply`` writes the denoised color to). ``layout`` describes the
    frame; the reference is read by itself, in the same view layer. Raises :class:`ExrError`
    when either file has no color or the sizes differ.
    """
    images = []
    # The reference is read by itself (in the same view layer): --channels and feature files describe the frame.
    reference_layout = LayoutRequest(layer=layout.layer) if layout else None
    for path, request in ((frame_path, layout), (reference_path, reference_layout)):
        frame, found = read_frame(path, request)
        images.append(frame.stack(found.color_out))
    if images[0].shape != images[1].shape:
        raise ExrError(f"{frame_path}: size {images[0].shape[1]}x{images[0].shape[0]} differs from the reference's "
                       f"{images[1].shape[1]}x{images[1].shape[0]}")  # fmt: skip
    return all_metrics(*images)


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """The mean of an (H, W, C) image over the (2 * radius + 1)² window around each pixel, the
    window cut at the frame's edges."""
    padded = np.pad(image, ((radius + 1, radius), (radius + 1, radius), (0, 0)))
    inside = np.pad(np.ones(image.shape[:2] + (1,)), ((radius + 1, radius), (radius + 1, radius), (0, 0)))
    side = 2 * radius + 1

    def window_sums(values: np.ndarray) -> np.ndarray:
        summed = values.cumsum(0).cumsum(1)
        return summed[side:, side:] - summed[:-side, side:] - summed[side:, :-side] + summed[:-side, :-side]

    return window_sums(padded) / window_sums(inside)


def other_half_error(frame_path, other_half_path, layout: LayoutRequest | None = None) -> float:
    """An estimate of ``frame_path``'s relative MSE, plus a constant, with no reference: the mean
    squared difference of its color from the noisy color of ``other_half_path`` (the same view
    rendered with an independent seed), relative to the other half's local mean brightness
    (:func:`mcdenoise.denoise.correct.held_out_error`). The frame must have been made from its
    own half alone (``apply FRAME.exr``, not ``--other-half``), so that the two share no noise;
    then, of two outputs of one half, the lower estimate is the lower error. Raises
    :class:`FrameError` or :class:`PixelError` in one line where that cannot hold."""
    frame, found = read_frame(frame_path, layout)
    if "mcdenoise.other_half" in frame.attributes:
        raise FrameError(
            f"{frame_path} was made from both halves (its header names {frame.attributes['mcdenoise.other_half']}); "
            "the estimate needs an output of one half alone (mcdenoise apply without --other-half)"
        )
    other, _ = read_frame(other_half_path, layout)
    image, noisy = frame.stack(found.color_out), other.stack(COLOR)
    if image.shape != noisy.shape:
        raise FrameError(f"{frame_path} and {other_half_path} are not two halves of one frame: sizes differ")
    for path, values in ((frame_path, image), (other_half_path, noisy)):
        bad = int((~np.isfinite(values)).sum())
        if bad:
            raise PixelError(f"{path}: {bad} color values are NaN or infinite")
    if np.array_equal(image, noisy):
        raise FrameError(f"{frame_path} and {other_half_path} have the same color: the other half needs a seed of its own")
    return estimated_error(image, noisy)


def estimated_error(image: np.ndarray, other_half: np.ndarray) -> float:
    """:func:`other_half_error` of (H, W, 3) arrays: ``image`` made from one half alone, against
    the other half's noisy color, relative to its local mean brightness."""
    brightness = box_mean(other_half.clip(0).mean(-1, keepdims=True), SCALE_RADIUS)
    return held_out_error(image, other_half, brightness)
