"""The eval job: the benchmark's metrics for any frame against a reference."""

from mcdenoise.errors import ExrError
from mcdenoise.io.layout import LayoutRequest, read_frame
from mcdenoise.metrics import all_metrics


def evaluate_files(frame_path, reference_path, layout: LayoutRequest | None = None) -> dict[str, float | None]:
    """PSNR_T, relMSE, SMAPE and FLIP of ``frame_path``'s color against ``reference_path``'s.

    The color is where :mod:`mcdenoise.io.layout` finds the file's final image (a Blender view
    layer's Combined pass, which ``apply`` writes the denoised color to). Raises :class:`ExrError`
    when either file has no color or the sizes differ.
    """
    images = []
    for path in (frame_path, reference_path):
        frame, found = read_frame(path, layout)
        images.append(frame.stack(found.color_out))
    if images[0].shape != images[1].shape:
        raise ExrError(f"{frame_path}: size {images[0].shape[1]}x{images[0].shape[0]} differs from the reference's "
                       f"{images[1].shape[1]}x{images[1].shape[0]}")  # fmt: skip
    return all_metrics(*images)
