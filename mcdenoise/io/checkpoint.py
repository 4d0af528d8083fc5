"""Checkpoints: model config, features, weights and training state in one file.

Files are written atomically (write, then rename) and read with
``torch.load(weights_only=True)``, so a model file can never run code.
"""

import warnings
from pathlib import Path

import torch

from mcdenoise.errors import ModelError
from mcdenoise.features import FeatureSet
from mcdenoise.io.files import atomic_output
from mcdenoise.learn.model import UNet, UNetConfig

FORMAT_VERSION = 1


def save_checkpoint(path, payload: dict) -> None:
    """Write ``payload`` (plain types and tensors) to ``path`` atomically."""
    with atomic_output(path) as temp:
        torch.save({"format_version": FORMAT_VERSION, **payload}, temp)


def load_checkpoint(path) -> dict:
    """Read a checkpoint safely; raises :class:`ModelError` naming the file when it is
    missing, not a mcdenoise model, or from a newer format version."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        text = str(error).strip()
        if "Weights only load failed" in text:
            reason = "it holds Python objects besides weights, which mcdenoise never loads"
        else:
            reason = text.splitlines()[0][:200] if text else type(error).__name__
        raise ModelError(f"{path}: not a mcdenoise model file ({reason})") from None
    if not isinstance(payload, dict) or "format_version" not in payload or "model_config" not in payload:
        raise ModelError(f"{path}: not a mcdenoise model file")
    if payload["format_version"] > FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format {payload['format_version']} is newer than this mcdenoise "
            f"understands ({FORMAT_VERSION}); upgrade mcdenoise"
        )
    return payload


def build_model(payload: dict, path="model") -> tuple[UNet, FeatureSet]:
    """The network and feature set that a checkpoint describes, with its weights loaded."""
    try:
        config = UNetConfig.from_dict(payload["model_config"])
        features = FeatureSet(tuple(payload["features"]))
        model = UNet(config)
        model.load_state_dict(payload["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ModelError(f"{path}: the model file is inconsistent ({str(error).splitlines()[0][:200]})") from None
    if config.in_channels != features.input_width:
        raise ModelError(f"{path}: model takes {config.in_channels} channels but features need {features.input_width}")
    model.eval()
    return model, features


def load_model(path, device: str | torch.device = "cpu") -> tuple[UNet, FeatureSet]:
    """Load a model file for inference on ``device``, in channels-last layout (faster convolutions)."""
    return inference_model(load_checkpoint(path), path, device)


def inference_model(payload: dict, path="model", device: str | torch.device = "cpu") -> tuple[UNet, FeatureSet]:
    """:func:`load_model` for a checkpoint already read (whose other fields the caller also needs)."""
    model, features = build_model(payload, path)
    return model.to(device, memory_format=torch.channels_last), features
