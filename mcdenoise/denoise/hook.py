"""The post-process API that a renderer pipeline calls on each new frame.

from mcdenoise import Denoiser
denoiser = Denoiser.load()                              # the bundled base model
denoiser = Denoiser.load("model.pt")                    # a model from 'mcdenoise train'
clean = denoiser(color, albedo=albedo, normal=normal)   # numpy (H, W, 3) arrays
clean = denoiser(tensor)                                # torch (H, W, C), C = 3 + aux
clean = denoiser("frame.exr")                           # EXR path -> numpy (H, W, 3)

A model trained on frames rendered with the emission split (``render-pairs
--split-emission``) denoises EXR frames that carry the split's channels: the
light seen directly is taken out of the color, the rest denoised, and the
emission added back, converged where the frame has an emission pass
(``render-pairs --emission-spp``); see :class:`mcdenoise.features.FeatureSet`.
"""

from pathlib import Path

import numpy as np
import torch

from mcdenoise.config import Precision, choices
from mcdenoise.denoise.correct import STEPS, Correction, corrected_halves
from mcdenoise.denoise.ensemble import COUNTS, denoise_in_orientations
from mcdenoise.denoise.inputs import check_channels, merge_halves, read_halves, stack_channels
from mcdenoise.denoise.load import LoadedModel, load_base, load_model, loaded_of
from mcdenoise.denoise.scene_corrector import SceneCorrector
from mcdenoise.errors import ConfigError, ModelError
from mcdenoise.features import AUX_CHANNELS, COLOR, FeatureSet
from mcdenoise.io.bundled import resolve_model
from mcdenoise.io.checkpoint import CorrectorModel, load_model_file
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.learn.adapt import adapt
from mcdenoise.learn.infer import denoise_array, denoise_tensor
from mcdenoise.learn.prior import require_prior


class Denoiser:
    """A loaded model, callable on numpy arrays, torch tensors or EXR paths."""

    def __init__(
        self,
        model,
        features: FeatureSet,
        tile: int | None = None,
        source: str = "model",
        strict: bool = False,
        precision: str = "auto",
        orientations: int = 1,
    ):
        if orientations not in COUNTS:
            raise ConfigError(f"{{orientations}} must be one of {', '.join(map(str, COUNTS))}, not {orientations}", "orientations")
        if precision not in choices(Precision):
            raise ConfigError(f"unknown {{precision}} {precision!r}; choose {', '.join(choices(Precision))}", "precision")
        require_prior(features)
        self.model = model
        #: What the model reads, the emission split included (frames then need its channels).
        self.features = features
        #: Tiles hold at most tile x tile pixels (None: 768 on the CPU, 2048 on a GPU).
        self.tile = tile
        #: auto (fp16 on a GPU, bf16 on CPUs that have it, else fp32), fp32, bf16 or fp16.
        self.precision = precision
        self.source = source
        #: Refuse frames with NaN, infinite or negative color instead of treating those values as 0.
        self.strict = strict
        #: Denoise each frame in this many flips and rotations and average (mcdenoise.denoise.ensemble):
        #: 1, 2, 4 or 8; better, and that many times slower.
        self.orientations = orientations

    @classmethod
    def load(cls, path="base", device: str = "auto", **options) -> "Denoiser | SceneCorrector":
        """Load a model file written by ``mcdenoise train`` onto ``device`` (auto, cpu or cuda).

        ``path`` may name a bundled model: ``"base"`` (the default) or ``"fast"`` (about twice as
        fast, less accurate). A model trained with ``prior="oidn"`` runs Intel OIDN first (needs
        ``pyoidn``). ``options`` are the constructor's: ``tile``, ``strict``, ``precision`` and
        ``orientations`` (> 1 averages that many flips and rotations of each frame). A file written
        by ``train --corrector`` gives a :class:`SceneCorrector` (OIDN, corrected), which takes no
        options.
        """
        resolved = resolve_model(path)
        model = load_model_file(resolved)
        if isinstance(model, CorrectorModel):
            return SceneCorrector(model, str(path))
        return cls.of(loaded_of(model, resolved, device), **options)

    @classmethod
    def base(cls, prior: str = "none", device: str = "auto", **options) -> "Denoiser":
        """The bundled base model taking ``prior`` (:data:`mcdenoise.config.Prior`) onto ``device``:
        the plain base for ``"none"``; for ``"oidn"`` the base made to correct Intel OIDN, which gives
        OIDN's output exactly until it is adapted (:meth:`adapted_to`) or fine-tuned. The plain
        base hands a frame with neither albedo nor normal to the color-only model (:class:`PlainBase`).
        ``options`` are :meth:`load`'s."""
        loaded = load_base(prior, device)
        if not loaded.features.has_prior:
            return PlainBase(loaded, device, **options)
        return cls.of(loaded, **options)

    @classmethod
    def of(cls, loaded: LoadedModel, **options) -> "Denoiser":
        """A denoiser of a loaded model (:mod:`mcdenoise.denoise.load`); ``options`` are :meth:`load`'s."""
        return cls(loaded.model, loaded.features, source=loaded.source, **options)

    def for_frame(self, frame: Frame) -> tuple["Denoiser", None]:
        """This denoiser, for any frame, and no note (:class:`mcdenoise.denoise.route.Router`
        chooses per frame instead)."""
        return self, None

    def __call__(self, image, albedo=None, normal=None, depth=None):
        """Denoise one frame and return its linear HDR color.

        ``image`` is an (H, W, 3) color array with the auxiliary features as
        keyword arrays, an (H, W, C) array holding color then the model's
        features in order, a torch tensor of either layout (the result is a
        tensor on the same device), or the path of an EXR file.
        """
        if isinstance(image, (str, Path)):
            return self.denoise_frame(read_exr(image), name=str(image))
        if self.features.emission_split:
            raise ModelError(
                f"{self.source} was trained with the emission split; give it EXR frames (a path, or denoise_frame) "
                "rendered with 'mcdenoise render-pairs --split-emission' (best with --emission-spp N)"
            )
        if isinstance(image, torch.Tensor):
            return self._denoise_tensor(image, albedo, normal, depth)
        array = np.asarray(image, dtype=np.float32)
        aux = [None if v is None else np.asarray(v, dtype=np.float32) for v in (albedo, normal, depth)]
        return self._denoise(stack_channels(self.features, array, *aux, concatenate=np.concatenate), "image")

    def _denoise_tensor(self, image: torch.Tensor, albedo, normal, depth) -> torch.Tensor:
        """Denoise a tensor frame on the model's device; the result goes back to the image's device."""
        device = next(self.model.parameters()).device
        aux = [None if v is None else torch.as_tensor(v).detach().to(device, torch.float32) for v in (albedo, normal, depth)]
        channels = stack_channels(self.features, image.detach().to(device, torch.float32), *aux, concatenate=torch.cat)
        check_channels(channels, "image", self.strict)
        result = self._in_orientations(denoise_tensor, channels)
        return result.to(image.device)

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """Denoised (H, W, 3) color of an EXR frame; raises :class:`ExrError` naming missing channels."""
        aux_missing = set(self.features.missing(frame.channels)) - set(COLOR)
        hint = " (render with 'mcdenoise render-pairs' or add the AOVs)" if aux_missing else ""
        channels = self.features.read(frame, name, hint)  # the split keeps invalid color values as given
        denoised = self._denoise(channels, name)
        emission = self.features.emission_to_add(frame)
        return denoised if emission is None else denoised + emission

    def denoise_halves(self, first: Frame, second: Frame, names=("first half", "second half")) -> np.ndarray:
        """Denoised (H, W, 3) color of a frame rendered as two halves with independent seeds
        (each with half the samples): the mean of the two denoised halves. Raises
        :class:`FrameError` when they cannot be two halves of one frame."""
        read_halves(self.features, first, second, names)
        return (self.denoise_frame(first, names[0]) + self.denoise_frame(second, names[1])) / 2

    def denoise_merged(self, first: Frame, second: Frame, names=("first half", "second half")) -> np.ndarray:
        """Denoised (H, W, 3) color of two halves of a frame merged first: their channels averaged,
        one frame with the samples of both, denoised once. Raises :class:`FrameError` when they
        cannot be two halves of one frame."""
        read_halves(self.features, first, second, names)
        return self.denoise_frame(merge_halves(first, second), "the merged halves")

    def corrected(self, first: Frame, second: Frame, steps: int = STEPS, names=("first half", "second half"), on_step=None) -> Correction:
        """The frame of two halves (rendered with independent seeds, each with half the samples)
        merged and denoised once, then corrected by a small kernel network fitted to the halves in
        ``steps`` steps, each half's output against the other half (:mod:`mcdenoise.denoise.correct`).
        The correction is kept only where it was ahead on tiles held out of the fit; the result says
        which, and the seconds taken in all; ``on_step()`` is called after each training step. Raises
        :class:`FrameError` when the frames cannot be two halves of one frame."""
        return corrected_halves(self, first, second, steps, names, on_step)

    def adapted_to(self, first: Frame, second: Frame, steps: int = 0, seconds: float = 0.0, names=("first half", "second half")):
        """A new :class:`Denoiser` whose model is fine-tuned on the frame's own two halves for
        ``steps`` and/or ``seconds`` (see :func:`mcdenoise.learn.adapt.adapt`); this one is unchanged."""
        halves = read_halves(self.features, first, second, names)
        for half, name in zip(halves, names, strict=True):
            check_channels(half, name, self.strict)
        tuned = adapt(self.model, self.features, halves, steps=steps, seconds=seconds, precision=self.precision)
        return Denoiser(tuned, self.features, self.tile, self.source, self.strict, self.precision, self.orientations)

    def _denoise(self, channels: np.ndarray, name: str) -> np.ndarray:
        check_channels(channels, name, self.strict)
        return self._in_orientations(denoise_array, channels)

    def _in_orientations(self, denoise, channels):
        """``denoise`` (denoise_array or denoise_tensor) over :attr:`orientations` orientations of ``channels``."""

        def one(oriented_channels):
            return denoise(self.model, self.features, oriented_channels, tile=self.tile, precision=self.precision)

        return denoise_in_orientations(one, channels, self.orientations)


#: What a note says when the plain base hands a frame to the color-only model.
COLOR_ONLY_NOTE = "the color-only model, as the frame lacks the {missing} that the base model reads"


class PlainBase(Denoiser):
    """The plain bundled base model (:meth:`Denoiser.base`), which hands a frame that has neither
    albedo nor normal to the bundled color-only model (loaded on first use) instead of refusing it."""

    def __init__(self, loaded: LoadedModel, device: str = "auto", **options):
        super().__init__(loaded.model, loaded.features, source=loaded.source, **options)
        self._device = device
        self._options = options
        self._color_only: Denoiser | None = None

    def for_frame(self, frame: Frame) -> tuple[Denoiser, str | None]:
        """This denoiser and no note for a frame with albedo or normal (one alone is more likely
        a name to map with ``--channels`` than a frame without it); else the color-only model and
        a note saying so."""
        missing = [name for name in self.features.aux if _lacks(frame, name)]
        if len(missing) < len(self.features.aux):
            return self, None
        if self._color_only is None:
            self._color_only = Denoiser.of(load_model("color", self._device), **self._options)
        return self._color_only, COLOR_ONLY_NOTE.format(missing=" and ".join(missing))

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """:meth:`Denoiser.denoise_frame`, by the color-only model for a frame with neither albedo nor normal."""
        chosen, _ = self.for_frame(frame)
        return super().denoise_frame(frame, name) if chosen is self else chosen.denoise_frame(frame, name)


def _lacks(frame: Frame, feature: str) -> bool:
    return any(channel not in frame.channels for channel in AUX_CHANNELS[feature])
