"""``--prior auto``: Intel OIDN or the plain base model, chosen frame by frame by its noise.

OIDN is trained on noise that is independent from pixel to pixel (a box pixel
filter) and is ahead of the plain base model there; on noise that a gaussian or
tent filter spreads over neighbours it gains almost nothing, and the plain base
is ahead by 1.5 to 8.5 dB (benchmarks/results/quality-scene-track.md). So each
frame goes to the one that wins on its kind of noise
(:mod:`mcdenoise.denoise.noise_correlation`). Without ``pyoidn`` every frame
gets the plain base, with a note on the frames where OIDN would have done better.
"""

import numpy as np

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.noise_correlation import CORRELATED_RATIO, neighbour_difference_ratio
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame


def oidn_installed() -> bool:
    """Whether Intel OIDN's Python package (``pyoidn``) can be imported here."""
    try:
        import pyoidn  # noqa: F401
    except ImportError:
        return False
    return True


def guide_of(frame: Frame) -> np.ndarray | None:
    """The frame's albedo and normal side by side, the guide that tells edges from noise; None
    without them."""
    names = [name for name in ALBEDO + NORMAL if name in frame.channels]
    return frame.stack(tuple(names)) if names else None


class AutoPrior:
    """Hands each frame the denoiser that suits its noise: ``for_frame(frame)`` returns the
    :class:`Denoiser` and a note saying which and why. Each of the two loads on first use;
    ``options`` are :meth:`Denoiser.load`'s (device, tile, precision, ...)."""

    source = "auto"

    def __init__(self, **options):
        self.options = options
        self.oidn_available = oidn_installed()
        self._denoisers: dict[str, Denoiser] = {}

    def for_frame(self, frame: Frame) -> tuple[Denoiser, str]:
        """The denoiser for ``frame`` and a one-line note on the choice."""
        ratio = neighbour_difference_ratio(frame.stack(COLOR), guide_of(frame))
        if ratio >= CORRELATED_RATIO:
            prior, note = "none", f"the base model: its noise is shared between neighbouring pixels (ratio {ratio:.2f})"
        elif self.oidn_available:
            prior, note = "oidn", f"Intel OIDN: its noise is independent between pixels (ratio {ratio:.2f})"
        else:
            prior = "none"
            note = (
                f"the base model; its noise is independent between pixels (ratio {ratio:.2f}), where Intel OIDN "
                "does better: pip install pyoidn"
            )
        if prior not in self._denoisers:
            self._denoisers[prior] = Denoiser.of_prior(prior, **self.options)
        return self._denoisers[prior], note
