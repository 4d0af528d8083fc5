"""The model a denoiser runs: a model file, a bundled model, or the bundled base taking a prior."""

from dataclasses import dataclass

from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import resolve_model
from mcdenoise.io.checkpoint import Checkpoint, load_checkpoint
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.model import UNet, inference_model
from mcdenoise.learn.weights import initial_weights


@dataclass(frozen=True)
class LoadedModel:
    """A network ready for inference, what it reads, and where it came from (a path or a label)."""

    model: UNet
    features: FeatureSet
    source: str


def load_model(path="base", device: str = "auto") -> LoadedModel:
    """The model of a file written by ``mcdenoise train``, or of a bundled model's name (``"base"``,
    ``"fast"``), on ``device`` (auto, cpu or cuda). Raises :class:`ModelError` for a bad file."""
    path = resolve_model(path)
    return loaded_of(load_checkpoint(path), path, device)


def loaded_of(checkpoint: Checkpoint, path, device: str = "auto") -> LoadedModel:
    """The model of a checkpoint already read from the file ``path``, on ``device``."""
    return LoadedModel(inference_model(checkpoint, path, resolve_device(device)), checkpoint.features, str(path))


def load_base(prior: str = "none", device: str = "auto") -> LoadedModel:
    """The bundled base model taking ``prior`` (:data:`mcdenoise.config.Prior`): the plain base for
    ``"none"``; for ``"oidn"`` the plain base made to correct OIDN's output, which gives that output
    exactly until it is adapted or fine-tuned. Raises :class:`ConfigError` for an unknown prior."""
    features = FeatureSet(prior=prior)
    if not features.has_prior:
        return load_model("base", device)
    checkpoint, label = initial_weights("base", features)
    return LoadedModel(inference_model(checkpoint, label, resolve_device(device)), checkpoint.features, label)
