"""Temporal reuse: each denoised frame of a sequence blended with the output before it, where they agree.

A denoiser that sees one frame at a time leaves a residual error that changes with every
frame's noise, and a sequence flickers. Here each denoised frame is blended with the
previous output, read where each pixel's content was by the frame's motion
(:func:`mcdenoise.reprojection.warp_previous`, with the Catmull-Rom spline: the history is
resampled every frame, and bilinear sampling would blur it more each time), as temporal
anti-aliasing does:

    out = weight * denoised + (1 - weight) * history

so a still pixel's output averages about ``(2 - weight) / weight`` frames. The history is
rejected (``out = denoised``) where it cannot be the same surface: outside the previous
frame, or where the previous frame's albedo, normal or depth, warped the same way,
disagree with this frame's (an object uncovered, a new surface in view). What is kept is
first clamped to the range of this frame's denoised 3x3 neighbourhood, widened by
``clamp_margin`` of it, so the history can smooth this frame's error but not drag in a
colour that is no longer there (no ghosting).

The feature tests cannot see shading that depends on the view: a glossy reflection or a
highlight moves with the camera, not with the surface that the motion follows. Where the
frame's per-pixel noise is known (its two halves, :func:`noise_variance`), a pixel that
moved keeps its history only as far as the history agrees with the denoised frame within
that noise: over each 3x3 neighbourhood, ``z`` is their mean difference in units of the
noise of the frame's mean there, and the history's weight is scaled by
``exp(-z**2 / (2 * view_tolerance**2))``. A still camera sees each surface as before, so
its pixels are not tested.
"""

import numpy as np

from mcdenoise.errors import FrameError
from mcdenoise.features import ALBEDO, DEPTH, MOTION, NORMAL
from mcdenoise.io.exr import Frame
from mcdenoise.reprojection import warp_previous

#: Largest mean absolute albedo difference, normal angle (as 1 - cosine) and relative depth
#: difference at which the history is still taken for the same surface.
ALBEDO_TOLERANCE, NORMAL_TOLERANCE, DEPTH_TOLERANCE = 0.1, 0.1, 0.05


def noise_variance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per pixel and channel, an estimate (one sample's worth) of the noise variance of the mean of
    two independent halves of a frame, ``first`` and ``second`` (H, W, 3): ``((first - second) / 2)**2``."""
    return np.square((np.asarray(first, np.float64) - second) / 2).astype(np.float32)


def _neighbourhood(image: np.ndarray) -> list[np.ndarray]:
    """The 9 shifts of ``image`` (H, W, C) that put each pixel's 3x3 neighbours on it (edges repeated)."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = image.shape[:2]
    return [padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]


def _box_mean(image: np.ndarray) -> np.ndarray:
    """Per pixel and channel, the mean of the 3x3 neighbourhood (edges repeated)."""
    return sum(_neighbourhood(image)) / 9


def _neighbourhood_range(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel and channel, the minimum and maximum of the 3x3 neighbourhood (edges repeated)."""
    shifted = _neighbourhood(image)
    return np.min(shifted, axis=0), np.max(shifted, axis=0)


class TemporalFilter:
    """Blends each frame of a sequence, given in order, with the output before it (see the module).

    Call it with each frame's denoised color (H, W, 3) and the frame itself, which must carry
    ``motion.X`` and ``motion.Y`` (:data:`mcdenoise.features.MOTION`, as render-sequence writes
    them); its albedo, normal and depth, where it has them, decide where the history is kept.
    :meth:`reset` starts a new sequence.
    """

    def __init__(self, weight: float = 0.2, clamp_margin: float = 2.0, kernel: str = "catmull-rom", view_tolerance: float = 1.5):
        if not 0 < weight <= 1:
            raise FrameError(f"the current frame's weight must be in (0, 1], not {weight}")
        self.weight, self.clamp_margin, self.kernel, self.view_tolerance = weight, clamp_margin, kernel, view_tolerance
        self.reset()

    def reset(self) -> None:
        """Forget the history: the next frame is output as it is denoised."""
        self._output: np.ndarray | None = None
        self._guide: np.ndarray | None = None
        #: Share of the last frame's pixels that kept their history.
        self.kept = 0.0

    def prime(self, output: np.ndarray, frame: Frame) -> None:
        """Take ``output``, the output of ``frame``, as the history, as if it had just been blended
        (to go on with a sequence that stopped after that frame)."""
        self.reset()
        self._output, (_, self._guide) = output, self._guide_of(frame, output)

    @staticmethod
    def _guide_of(frame: Frame, like: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The names of the frame's albedo, normal and depth channels, those it has, and them stacked (H, W, C)."""
        names = [n for n in ALBEDO + NORMAL + DEPTH if n in frame.channels]
        return names, frame.stack(names) if names else np.zeros(like.shape[:2] + (0,), np.float32)

    def __call__(self, denoised: np.ndarray, frame: Frame, name: str = "frame", noise: np.ndarray | None = None) -> np.ndarray:
        """The output of this frame: ``denoised`` blended with the history where it holds. ``noise``,
        the per-pixel noise variance of the frame that was denoised (:func:`noise_variance`), also
        keeps a moving camera's history off view-dependent shading (see the module)."""
        missing = [channel for channel in MOTION if channel not in frame.channels]
        if missing:
            raise FrameError(
                f"{name}: has no {', '.join(missing)}: temporal reuse needs each frame's motion to the frame before "
                "(render the sequence with 'mcdenoise render-sequence')"
            )
        guide_names, guide = self._guide_of(frame, denoised)
        if self._output is not None and self._output.shape != denoised.shape:
            shape = self._output.shape
            raise FrameError(f"{name}: is {denoised.shape[1]}x{denoised.shape[0]}, the frame before it {shape[1]}x{shape[0]}")
        if self._output is None or self._guide.shape != guide.shape:
            output = denoised
            self.kept = 0.0
        else:
            motion_x, motion_y = frame.channels[MOTION[0]], frame.channels[MOTION[1]]
            history, inside = warp_previous(self._output, motion_x, motion_y, kernel=self.kernel)
            previous_guide, _ = warp_previous(self._guide, motion_x, motion_y)
            keep = inside & self._agrees(guide, previous_guide, guide_names)
            low, high = _neighbourhood_range(denoised)
            margin = self.clamp_margin * (high - low)
            history = np.clip(history, low - margin, high + margin)
            history_weight = np.where(keep, 1 - self.weight, 0.0)
            if noise is not None:
                moved = np.hypot(motion_x, motion_y) > 0
                history_weight = np.where(moved, history_weight * self._view_agreement(history, denoised, noise), history_weight)
            history_weight = history_weight[..., None]
            output = ((1 - history_weight) * denoised + history_weight * history).astype(np.float32)
            self.kept = float(keep.mean())
        self._output, self._guide = output, guide
        return output

    def _view_agreement(self, history: np.ndarray, denoised: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Per pixel, in (0, 1]: how far the history agrees with the denoised frame within the frame's noise."""
        if noise.shape != denoised.shape:
            raise FrameError(f"the noise variance is {noise.shape}, the denoised frame {denoised.shape}")
        difference = _box_mean(history - denoised)
        variance_of_mean = _box_mean(noise) / 9 + 1e-8
        z_squared = (np.square(difference) / variance_of_mean).mean(-1)
        return np.exp(-z_squared / (2 * self.view_tolerance**2))

    @staticmethod
    def _agrees(guide: np.ndarray, previous: np.ndarray, names: list[str]) -> np.ndarray:
        """Where the warped previous features are this frame's: the same surface."""
        agree = np.ones(guide.shape[:2], bool)
        for group, test in ((ALBEDO, "albedo"), (NORMAL, "normal"), (DEPTH, "depth")):
            if not all(n in names for n in group):
                continue
            index = names.index(group[0])
            now, then = guide[..., index : index + len(group)], previous[..., index : index + len(group)]
            if test == "albedo":
                agree &= np.abs(now - then).mean(-1) < ALBEDO_TOLERANCE
            elif test == "normal":
                cosine = (now * then).sum(-1) / np.maximum(np.linalg.norm(now, axis=-1) * np.linalg.norm(then, axis=-1), 1e-6)
                agree &= 1 - cosine < NORMAL_TOLERANCE
            else:
                agree &= np.abs(now[..., 0] - then[..., 0]) <= DEPTH_TOLERANCE * np.maximum(now[..., 0], 1e-6)
        return agree
