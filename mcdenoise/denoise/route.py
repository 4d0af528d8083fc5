"""``apply --route auto``: Intel OIDN or the plain base model, chosen frame by frame by its noise.

OIDN is trained on noise that is independent from pixel to pixel (a box pixel
filter) and is ahead of the plain base model there; on noise that a gaussian or
tent filter spreads over neighbours it gains almost nothing, and the plain base
is ahead by 1.5 to 8.5 dB (docs/results.md, the scene's-own-filter track). So each
frame goes to the one that wins on its kind of noise
(:mod:`mcdenoise.denoise.noise_correlation`). Without ``pyoidn`` every frame
gets the plain base, with a note on the frames where OIDN would have done better.
A frame sent to the base with neither the albedo nor the normal that it reads goes to the
bundled color-only model instead (:class:`mcdenoise.denoise.hook.PlainBase`).
"""

from dataclasses import dataclass
from typing import Literal

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.noise_correlation import CORRELATED_RATIO, guide_of, neighbour_difference_ratio
from mcdenoise.denoise.oidn_only import OidnDenoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame
from mcdenoise.learn.oidn import oidn_installed

#: The prior of the bundled base model that gives each route's output: OIDN's output (the base
#: made to correct OIDN, whose correction is zero until it is trained), or the plain base.
PRIOR_OF_ROUTE = {"oidn": "oidn", "base": "none"}


@dataclass(frozen=True)
class RouteChoice:
    """Where a frame goes (``oidn`` or ``base``), and a one-line note saying why."""

    route: Literal["oidn", "base"]
    note: str


def choose_route(frame: Frame, oidn_available: bool) -> RouteChoice:
    """The route that suits ``frame``'s noise: OIDN where it is independent between pixels (and
    ``oidn_available``), else the plain base model."""
    ratio = neighbour_difference_ratio(frame.stack(COLOR), guide_of(frame))
    if ratio >= CORRELATED_RATIO:
        return RouteChoice("base", f"the base model: its noise is shared between neighbouring pixels (ratio {ratio:.2f})")
    if oidn_available:
        return RouteChoice("oidn", f"Intel OIDN: its noise is independent between pixels (ratio {ratio:.2f})")
    note = f"the base model; its noise is independent between pixels (ratio {ratio:.2f}), where Intel OIDN does better"
    return RouteChoice("base", note + ": pip install pyoidn")


class Router:
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
        choice = choose_route(frame, self.oidn_available)
        if choice.route == "oidn" and not all(name in frame.channels for name in ALBEDO + NORMAL):
            return OidnDenoiser(), choice.note + "; without the albedo and normal that the frame lacks"
        if choice.route not in self._denoisers:
            self._denoisers[choice.route] = Denoiser.base(PRIOR_OF_ROUTE[choice.route], **self.options)
        denoiser, note = self._denoisers[choice.route].for_frame(frame)  # the plain base's own choice, see PlainBase
        return denoiser, choice.note + (f"; {note}" if note else "")
