"""Intel OIDN on its own, for a frame that the route sends to OIDN but that lacks the albedo or
normal that the bundled model reads: OIDN takes color alone, or with whichever of the two the
frame has."""

import numpy as np

from mcdenoise.denoise.correct import STEPS, Correction, corrected_halves, oidn_half
from mcdenoise.features import FeatureSet
from mcdenoise.io.exr import Frame


class OidnDenoiser:
    """OIDN 2.5 (high quality) with the features a frame has; takes the place of a
    :class:`~mcdenoise.denoise.hook.Denoiser` in ``apply``."""

    source = "OIDN"

    def __init__(self):
        #: It needs no features: color alone will do.
        self.features = FeatureSet(aux=(), prior="oidn")

    def for_frame(self, frame: Frame) -> tuple["OidnDenoiser", None]:
        """This denoiser, for any frame, and no note."""
        return self, None

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """OIDN's (H, W, 3) output of ``frame``, NaN, infinite and negative color taken as 0."""
        return oidn_half(frame).denoised

    def corrected(self, first: Frame, second: Frame, steps: int = STEPS, names=("first half", "second half"), on_step=None) -> Correction:
        """:meth:`mcdenoise.denoise.hook.Denoiser.corrected`, with OIDN as the denoiser."""
        return corrected_halves(self, first, second, steps, names, on_step)
