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
from mcdenoise.denoise.ensemble import COUNTS, denoise_in_orientations
from mcdenoise.errors import ConfigError, FrameError, ModelError, PixelError
from mcdenoise.features import AUX_CHANNELS, COLOR, FeatureSet, invalid_color
from mcdenoise.io.bundled import BASE_MODEL_OF_PRIOR, resolve_model
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.learn.adapt import adapt, check_halves
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.infer import denoise_array, denoise_tensor
from mcdenoise.learn.model import inference_model
from mcdenoise.learn.prior import require_prior
from mcdenoise.learn.train import initial_weights


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
    def load(
        cls,
        path="base",
        device: str = "auto",
        tile: int | None = None,
        strict: bool = False,
        precision: str = "auto",
        orientations: int = 1,
    ) -> "Denoiser":
        """Load a model file written by ``mcdenoise train`` onto ``device`` (auto, cpu or cuda).

        ``path`` may name a bundled model: ``"base"`` (the default) or ``"fast"`` (about twice as
        fast, less accurate). A model trained with ``prior="oidn"`` runs Intel OIDN first
        (needs ``pyoidn``). ``orientations`` > 1 averages that many flips and rotations of each frame.
        """
        path = resolve_model(path)
        checkpoint = load_checkpoint(path)
        model = inference_model(checkpoint, path, resolve_device(device))
        return cls(model, checkpoint.features, tile, str(path), strict, precision, orientations)

    @classmethod
    def of_prior(cls, prior: str = "none", device: str = "auto", **options) -> "Denoiser":
        """The base model of ``prior`` (:data:`mcdenoise.config.Prior`) onto ``device``: the plain
        base for ``"none"``; for ``"oidn"`` the bundled base that corrects Intel OIDN where one is
        installed, else the plain base made to correct it, which gives OIDN's output exactly until
        it is adapted (:meth:`adapted_to`) or fine-tuned. ``options`` are :meth:`load`'s."""
        features = FeatureSet(prior=prior)  # raises ConfigError for an unknown prior
        if BASE_MODEL_OF_PRIOR[prior].is_file():
            return cls.load(BASE_MODEL_OF_PRIOR[prior], device, **options)
        checkpoint, label = initial_weights("base", features)
        model = inference_model(checkpoint, label, resolve_device(device))
        return cls(model, checkpoint.features, source=label, **options)

    def for_frame(self, frame: Frame) -> tuple["Denoiser", None]:
        """This denoiser, for any frame, and no note (:class:`mcdenoise.denoise.auto_prior.AutoPrior`
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
        return self._denoise(self._stack(array, *aux, concatenate=np.concatenate), "image")

    def _denoise_tensor(self, image: torch.Tensor, albedo, normal, depth) -> torch.Tensor:
        """Denoise a tensor frame on the model's device; the result goes back to the image's device."""
        device = next(self.model.parameters()).device
        aux = [None if v is None else torch.as_tensor(v).detach().to(device, torch.float32) for v in (albedo, normal, depth)]
        channels = self._stack(image.detach().to(device, torch.float32), *aux, concatenate=torch.cat)
        self._check_frame(channels, "image")
        result = self._in_orientations(denoise_tensor, channels)
        return result.to(image.device)

    def _stack(self, array, albedo, normal, depth, concatenate):
        """(H, W, C) channels in the model's order, from color (or color and features) plus keyword features."""
        if array.ndim != 3:
            raise FrameError(f"expected an (H, W, C) image, got shape {tuple(array.shape)}")
        given = {"albedo": albedo, "normal": normal, "depth": depth}
        if array.shape[-1] == len(self.features.channels) and all(v is None for v in given.values()):
            return array
        if array.shape[-1] != 3:
            raise FrameError(
                f"expected 3 or {len(self.features.channels)} channels ({', '.join(self.features.channels)}), got {array.shape[-1]}"
            )
        blocks = [array]
        for name in self.features.aux:
            block = given[name]
            if block is None:
                raise FrameError(f"the model needs the {name} feature; pass {name}= an (H, W, {len(AUX_CHANNELS[name])}) array")
            expected = tuple(array.shape[:2]) + (len(AUX_CHANNELS[name]),)
            if tuple(block.shape) != expected:
                raise FrameError(f"{name} has shape {tuple(block.shape)}, but the color is {tuple(array.shape)}; expected {expected}")
            blocks.append(block)
        return concatenate(blocks, -1)

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
        self._read_halves(first, second, names)
        return (self.denoise_frame(first, names[0]) + self.denoise_frame(second, names[1])) / 2

    def denoise_merged(self, first: Frame, second: Frame, names=("first half", "second half")) -> np.ndarray:
        """Denoised (H, W, 3) color of two halves of a frame merged first: their channels averaged,
        one frame with the samples of both, denoised once. Raises :class:`FrameError` when they
        cannot be two halves of one frame."""
        self._read_halves(first, second, names)
        merged = Frame({name: (first.channels[name] + second.channels[name]) / 2 for name in first.channels if name in second.channels})
        return self.denoise_frame(merged, "the merged halves")

    def adapted_to(self, first: Frame, second: Frame, steps: int = 0, seconds: float = 0.0, names=("first half", "second half")):
        """A new :class:`Denoiser` whose model is fine-tuned on the frame's own two halves for
        ``steps`` and/or ``seconds`` (see :func:`mcdenoise.learn.adapt.adapt`); this one is unchanged."""
        halves = self._read_halves(first, second, names)
        for half, name in zip(halves, names, strict=True):
            self._check_frame(half, name)
        tuned = adapt(self.model, self.features, halves, steps=steps, seconds=seconds, precision=self.precision, names=names)
        return Denoiser(tuned, self.features, self.tile, self.source, self.strict, self.precision, self.orientations)

    def _read_halves(self, first: Frame, second: Frame, names) -> tuple[np.ndarray, np.ndarray]:
        """The channels of two frames, raising :class:`FrameError` unless they can be two halves of one frame."""
        halves = tuple(self.features.read(frame, name) for frame, name in zip((first, second), names, strict=True))
        check_halves(*halves, self.features, names)
        return halves

    def _check_frame(self, channels, name: str) -> None:
        if channels.shape[0] < 1 or channels.shape[1] < 1:
            raise FrameError(f"{name}: the image is empty ({channels.shape[1]}x{channels.shape[0]})")
        if self.strict:
            bad = int(invalid_color(channels[..., :3]).sum())
            if bad:
                raise PixelError(f"{name}: {bad} color values are NaN, infinite or negative (strict mode)")

    def _denoise(self, channels: np.ndarray, name: str) -> np.ndarray:
        self._check_frame(channels, name)
        return self._in_orientations(denoise_array, channels)

    def _in_orientations(self, denoise, channels):
        """``denoise`` (denoise_array or denoise_tensor) over :attr:`orientations` orientations of ``channels``."""

        def one(oriented_channels):
            return denoise(self.model, self.features, oriented_channels, tile=self.tile, precision=self.precision)

        return denoise_in_orientations(one, channels, self.orientations)
