"""The weights a model starts from: a bundled model, a model file, or none (random weights)."""

from dataclasses import replace

import torch

from mcdenoise.config import UNetConfig
from mcdenoise.errors import ConfigError, ModelError
from mcdenoise.features import AUX_CHANNELS, FeatureSet
from mcdenoise.io.bundled import BASE_MODEL, resolve_model
from mcdenoise.io.checkpoint import Checkpoint, load_checkpoint
from mcdenoise.learn.model import correcting_prior

#: The encoded value that a dropped feature's inputs are taken to have (:func:`dropping_features`):
#: mid-range for albedo and for normals mapped to [0, 1].
_DROPPED_INPUT = 0.5


def initial_weights(init: str, features: FeatureSet, model_config: UNetConfig | None = None) -> tuple[Checkpoint, str] | None:
    """The checkpoint to start training from and how to name it (None: random weights), per
    ``TrainConfig.init``: ``auto``, ``base``, ``fast``, ``scratch`` or a model file.

    ``auto`` picks the bundled base model when it is installed, its auxiliary features equal
    ``features``' and no other network shape was asked for. A plain model (the base among them)
    started with a prior is made to correct it (:func:`~mcdenoise.learn.model.correcting_prior`),
    so it gives the prior's output until it is trained. An explicit model whose features differ
    raises :class:`ConfigError` (:func:`dropping_features` makes one that reads fewer).
    """
    if init == "scratch" or (init == "auto" and not BASE_MODEL.is_file()):
        return None
    bundled_base = init in ("auto", "base")
    path = resolve_model("base" if bundled_base else init)
    checkpoint, label = load_checkpoint(path), "the base model" if bundled_base else str(path)
    if features.has_prior and not checkpoint.features.has_prior:
        checkpoint = correcting_prior(checkpoint, features.prior)
        if bundled_base:
            label = f"the base model, made to correct {features.prior}"
    if init == "auto" and (
        checkpoint.features.aux != features.aux or (model_config is not None and checkpoint.model_config != model_config)
    ):
        return None
    if checkpoint.features.aux != features.aux or checkpoint.features.prior != features.prior:
        raise ConfigError(
            f"{label}: the model takes features {checkpoint.features.describe()}, but training asked for "
            f"{features.describe()}; pass the same {{features}} and {{prior}}, or {{init}} scratch",
            "features",
            "prior",
            "init",
        )
    return checkpoint, label


def _is_subsequence(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether ``part`` is ``whole`` with some names left out, in the same order."""
    rest = iter(whole)
    return all(name in rest for name in part)


def dropping_features(checkpoint: Checkpoint, aux: tuple[str, ...]) -> Checkpoint:
    """A model that reads only the auxiliary features ``aux`` (kept in the model's order), made
    from one that reads more, as training's start: the color-only model from the base
    (``tools/train_base.py --features none --init base``).

    The first convolution loses the input channels of the other features; what they gave for a
    flat mid-range input is folded into its bias, so the rest of the network sees about what it
    saw. Everything else keeps its weights. Raises :class:`ModelError` when ``aux`` names a
    feature that the model does not read.
    """
    have = checkpoint.features.aux
    if not _is_subsequence(aux, have):
        raise ModelError(f"the model reads {checkpoint.features.describe()}; it cannot be made to read {', '.join(aux) or 'none'}")
    config = checkpoint.model_config
    keep, offset = list(range(3)), 3  # color first, then each feature in the model's order
    for name in have:
        width = len(AUX_CHANNELS[name])
        if name in aux:
            keep.extend(range(offset, offset + width))
        offset += width
    keep.extend(range(offset, config.network_inputs))  # a prior's 3 and the magnitude channels, after the features
    weights = dict(checkpoint.weights)
    first = weights["inc.0.weight"]  # (width, network inputs, 3, 3)
    dropped = [c for c in range(first.shape[1]) if c not in keep]
    weights["inc.0.bias"] = weights["inc.0.bias"] + _DROPPED_INPUT * first[:, dropped].sum(dim=(1, 2, 3))
    weights["inc.0.weight"] = first[:, torch.tensor(keep)].contiguous()
    features = replace(checkpoint.features, aux=tuple(aux))
    return replace(
        checkpoint,
        model_config=replace(config, in_channels=features.input_width),
        features=features,
        weights=weights,
        training=None,
        provenance={
            **checkpoint.provenance,
            "features": f"{features.describe()}: the inputs of {', '.join(n for n in have if n not in aux)} dropped "
            f"by dropping_features, their effect on a flat input of {_DROPPED_INPUT} folded into the first bias",
        },
    )
