"""The post-process API that a renderer pipeline calls on each new frame.

from mcdenoise import Denoiser
denoiser = Denoiser.load()                              # the bundled base model
denoiser = Denoiser.load("model.pt")                    # a model from 'mcdenoise train'
clean = denoiser(color, albedo=albedo, normal=normal)   # numpy (H, W, 3) arrays
clean = denoiser(tensor)                                # torch (H, W, C), C = 3 + aux
clean = denoiser("frame.exr")                           # EXR path -> numpy (H, W, 3)
"""

from pathlib import Path

import numpy as np
import torch

from mcdenoise.base import resolve_model
from mcdenoise.checkpoint import load_model
from mcdenoise.device import PRECISIONS, resolve_device
from mcdenoise.errors import McDenoiseError, PixelError
from mcdenoise.exr import Frame, read_exr
from mcdenoise.features import AUX_CHANNELS, COLOR, FeatureSet, invalid_color
from mcdenoise.infer import denoise_array, denoise_tensor


class Denoiser:
    """A loaded model, callable on numpy arrays, torch tensors or EXR paths."""

    def __init__(
        self, model, features: FeatureSet, tile: int | None = None, source: str = "model", strict: bool = False, precision: str = "auto"
    ):
        self.model = model
        self.features = features
        #: Tiles hold at most tile x tile pixels (None: 768 on the CPU, 2048 on a GPU).
        self.tile = tile
        #: auto (fp16 on a GPU, bf16 on CPUs that have it, else fp32), fp32, bf16 or fp16.
        self.precision = precision
        self.source = source
        #: Refuse frames with NaN, infinite or negative color instead of treating those values as 0.
        self.strict = strict
        #: Color values that were NaN, infinite or negative in the last frame (treated as 0).
        self.last_sanitized = 0

    @classmethod
    def load(cls, path="base", device: str = "auto", tile: int | None = None, strict: bool = False, precision: str = "auto") -> "Denoiser":
        """Load a model file written by ``mcdenoise train`` onto ``device`` (auto, cpu or cuda).

        ``path`` may name a bundled model: ``"base"`` (the default) or ``"fast"`` (about twice as
        fast, less accurate).
        """
        if precision not in PRECISIONS:
            raise McDenoiseError(f"unknown precision {precision!r}; choose {', '.join(PRECISIONS)}")
        path = resolve_model(path)
        model, features = load_model(path, resolve_device(device))
        return cls(model, features, tile=tile, source=str(path), strict=strict, precision=precision)

    def __call__(self, image, albedo=None, normal=None, depth=None):
        """Denoise one frame and return its linear HDR color.

        ``image`` is an (H, W, 3) color array with the auxiliary features as
        keyword arrays, an (H, W, C) array holding color then the model's
        features in order, a torch tensor of either layout (the result is a
        tensor on the same device), or the path of an EXR file.
        """
        if isinstance(image, (str, Path)):
            return self.denoise_frame(read_exr(image), name=str(image))
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
        result, self.last_sanitized = denoise_tensor(self.model, self.features, channels, tile=self.tile, precision=self.precision)
        return result.to(image.device)

    def _stack(self, array, albedo, normal, depth, concatenate):
        """(H, W, C) channels in the model's order, from color (or color and features) plus keyword features."""
        if array.ndim != 3:
            raise McDenoiseError(f"expected an (H, W, C) image, got shape {tuple(array.shape)}")
        given = {"albedo": albedo, "normal": normal, "depth": depth}
        if array.shape[-1] == self.features.input_width and all(v is None for v in given.values()):
            return array
        if array.shape[-1] != 3:
            raise McDenoiseError(
                f"expected 3 or {self.features.input_width} channels ({', '.join(self.features.channels)}), got {array.shape[-1]}"
            )
        blocks = [array]
        for name in self.features.aux:
            block = given[name]
            if block is None:
                raise McDenoiseError(f"the model needs the {name} feature; pass {name}= an (H, W, {len(AUX_CHANNELS[name])}) array")
            expected = tuple(array.shape[:2]) + (len(AUX_CHANNELS[name]),)
            if tuple(block.shape) != expected:
                raise McDenoiseError(f"{name} has shape {tuple(block.shape)}, but the color is {tuple(array.shape)}; expected {expected}")
            blocks.append(block)
        return concatenate(blocks, -1)

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """Denoised (H, W, 3) color of an EXR frame; raises :class:`ExrError` naming missing channels."""
        aux_missing = set(self.features.missing(frame.channels)) - set(COLOR)
        hint = " (render with 'mcdenoise render-pairs' or add the AOVs)" if aux_missing else ""
        return self._denoise(frame.require(self.features.channels, name, " that the model needs" + hint), name)

    def _check_frame(self, channels, name: str) -> None:
        if channels.shape[0] < 1 or channels.shape[1] < 1:
            raise McDenoiseError(f"{name}: the image is empty ({channels.shape[1]}x{channels.shape[0]})")
        if self.strict:
            bad = int(invalid_color(channels[..., :3]).sum())
            if bad:
                raise PixelError(f"{name}: {bad} color values are NaN, infinite or negative (strict mode)")

    def _denoise(self, channels: np.ndarray, name: str) -> np.ndarray:
        self._check_frame(channels, name)
        result, self.last_sanitized = denoise_array(self.model, self.features, channels, tile=self.tile, precision=self.precision)
        return result
