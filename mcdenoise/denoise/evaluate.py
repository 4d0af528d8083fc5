"""The eval job: the benchmark's metrics for any frame against a reference."""

from mcdenoise.errors import ExrError
from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.metrics import all_metrics


def evaluate_files(frame_path, reference_path) -> dict[str, float | None]:
    """PSNR_T, relMSE, SMAPE and FLIP of ``frame_path``'s color against ``reference_path``'s.

    Raises :class:`ExrError` when either file lacks R, G, B or the sizes differ.
    """
    images = [read_exr(path).require(COLOR, path) for path in (frame_path, reference_path)]
    if images[0].shape != images[1].shape:
        raise ExrError(f"{frame_path}: size {images[0].shape[1]}x{images[0].shape[0]} differs from the reference's "
                       f"{images[1].shape[1]}x{images[1].shape[0]}")  # fmt: skip
    return all_metrics(*images)
