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
from mcdenoise.infer import DEFAULT_TILE, denoise_array


class Denoiser:
    """A loaded model, callable on numpy arrays, torch tensors or EXR paths."""

    def __init__(
        self, model, features: FeatureSet, tile: int = DEFAULT_TILE, source: str = "model", strict: bool = False, precision: str = "auto"
    ):
        self.model = model
        self.features = features
        self.tile = tile
        #: auto (bf16 on CPUs and GPUs that have it, else fp32 or fp16), fp32, bf16 or fp16.
        self.precision = precision
        self.source = source
        #: Refuse frames with NaN, infinite or negative color instead of treating those values as 0.
        self.strict = strict
        #: Color values that were NaN, infinite or negative in the last frame (treated as 0).
        self.last_sanitized = 0

    @classmethod
    def load(cls, path="base", device: str = "auto", tile: int = DEFAULT_TILE, strict: bool = False, precision: str = "auto") -> "Denoiser":
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
            aux = {
                k: None if v is None else v.detach().cpu().numpy() for k, v in (("albedo", albedo), ("normal", normal), ("depth", depth))
            }
            result = self(image.detach().cpu().numpy(), **aux)
            return torch.from_numpy(result).to(image.device)
        array = np.asarray(image, dtype=np.float32)
        if array.ndim != 3:
            raise McDenoiseError(f"expected an (H, W, C) image, got shape {array.shape}")
        given = {"albedo": albedo, "normal": normal, "depth": depth}
        if array.shape[-1] == self.features.input_width and all(v is None for v in given.values()):
            channels = array
        elif array.shape[-1] == 3:
            blocks = [array]
            for name in self.features.aux:
                if given[name] is None:
                    raise McDenoiseError(f"the model needs the {name} feature; pass {name}= an (H, W, {len(AUX_CHANNELS[name])}) array")
                block = np.asarray(given[name], dtype=np.float32)
                expected = array.shape[:2] + (len(AUX_CHANNELS[name]),)
                if block.shape != expected:
                    raise McDenoiseError(f"{name} has shape {block.shape}, but the color is {array.shape}; expected {expected}")
                blocks.append(block)
            channels = np.concatenate(blocks, axis=-1)
        else:
            raise McDenoiseError(
                f"expected 3 or {self.features.input_width} channels ({', '.join(self.features.channels)}), got {array.shape[-1]}"
            )
        return self._denoise(channels, "image")

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """Denoised (H, W, 3) color of an EXR frame; raises :class:`ExrError` naming missing channels."""
        aux_missing = set(self.features.missing(frame.channels)) - set(COLOR)
        hint = " (render with 'mcdenoise render-pairs' or add the AOVs)" if aux_missing else ""
        return self._denoise(frame.require(self.features.channels, name, " that the model needs" + hint), name)

    def _denoise(self, channels: np.ndarray, name: str) -> np.ndarray:
        if channels.shape[0] < 1 or channels.shape[1] < 1:
            raise McDenoiseError(f"{name}: the image is empty ({channels.shape[1]}x{channels.shape[0]})")
        if self.strict:
            bad = int(invalid_color(channels[..., :3]).sum())
            if bad:
                raise PixelError(f"{name}: {bad} color values are NaN, infinite or negative (strict mode)")
        result, self.last_sanitized = denoise_array(self.model, self.features, channels, tile=self.tile, precision=self.precision)
        return result
