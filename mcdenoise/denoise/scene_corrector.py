"""A scene's corrector at work: Intel OIDN's output of a frame, corrected by the kernel network
that ``train --corrector`` fitted to the scene's pairs (:mod:`mcdenoise.denoise.train_corrector`).

It denoises a frame on its own, with no other half: ``apply --model scene.pt`` and
``Denoiser.load("scene.pt")`` give one when the file holds a corrector.
"""

from pathlib import Path

import numpy as np

from mcdenoise.denoise.correct import Corrector, oidn_half
from mcdenoise.errors import ConfigError, ModelError
from mcdenoise.features import AUX_CHANNELS, FeatureSet
from mcdenoise.io.bundled import resolve_model
from mcdenoise.io.checkpoint import CorrectorModel, load_model_file
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.learn.oidn import oidn_installed


class SceneCorrector:
    """OIDN's output corrected by a scene's corrector: callable as a
    :class:`~mcdenoise.denoise.hook.Denoiser` is, on arrays or an EXR path, and by ``apply``."""

    def __init__(self, model: CorrectorModel, source: str):
        if not oidn_installed():
            raise ModelError(f"{source}: corrects Intel OIDN's output, and OIDN is not installed: pip install pyoidn")
        self.corrector = Corrector(1 + len(model.aux), radius=model.radius)
        self.corrector.net.load_state_dict(model.weights)
        self.corrector.net.eval()
        #: The features its frames need (it corrects OIDN, whose output it computes).
        self.features = FeatureSet(model.aux, prior="oidn")
        self.source = source

    @classmethod
    def load(cls, path) -> "SceneCorrector":
        """The corrector in the model file ``path``; :class:`ModelError` when it holds another model."""
        model = load_model_file(resolve_model(path))
        if not isinstance(model, CorrectorModel):
            raise ModelError(f"{path}: holds a network, not a corrector; load it with Denoiser.load")
        return cls(model, str(path))

    def for_frame(self, frame: Frame) -> tuple["SceneCorrector", None]:
        """This corrector, for any frame, and no note."""
        return self, None

    def __call__(self, image, albedo=None, normal=None, depth=None) -> np.ndarray:
        """The corrected (H, W, 3) color of an (H, W, 3) color array with its features as keyword
        arrays, or of an EXR path."""
        if isinstance(image, (str, Path)):
            return self.denoise_frame(read_exr(image), str(image))
        given = {"albedo": albedo, "normal": normal}
        for name in self.features.aux:
            if given[name] is None:
                raise ConfigError(f"{self.source} compares pixels by {name}: pass {name}= an (H, W, 3) array")
        frame = Frame({"R": image[..., 0], "G": image[..., 1], "B": image[..., 2]})
        for name in self.features.aux:
            frame.channels.update({channel: given[name][..., i] for i, channel in enumerate(AUX_CHANNELS[name])})
        return self.denoise_frame(frame, "image")

    def denoise_frame(self, frame: Frame, name: str = "frame") -> np.ndarray:
        """OIDN's output of ``frame``, corrected; :class:`ExrError` names the channels it lacks."""
        for feature in self.features.aux:
            frame.require(AUX_CHANNELS[feature], name, f" (the corrector {Path(self.source).name} compares pixels by {feature})")
        return self.corrector.correct(oidn_half(frame, self.features.aux))

    def corrected(self, first: Frame, second: Frame, steps: int = 0, names=("first half", "second half"), on_step=None):
        """Refused: a scene's corrector corrects a frame on its own."""
        message = "{model} holds a scene's corrector, which corrects a frame on its own: leave out {other_half}"
        raise ConfigError(message, "model", "other_half")
