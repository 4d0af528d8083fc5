"""The weights a model starts from: a bundled model, a model file, or none (random weights)."""

from mcdenoise.config import UNetConfig
from mcdenoise.errors import ConfigError
from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import BASE_MODEL, resolve_model
from mcdenoise.io.checkpoint import Checkpoint, load_checkpoint
from mcdenoise.learn.model import correcting_prior


def initial_weights(init: str, features: FeatureSet, model_config: UNetConfig | None = None) -> tuple[Checkpoint, str] | None:
    """The checkpoint to start training from and how to name it (None: random weights), per
    ``TrainConfig.init``: ``auto``, ``base``, ``fast``, ``scratch`` or a model file.

    ``auto`` picks the bundled base model when it is installed, its auxiliary features equal
    ``features``' and no other network shape was asked for. A plain model (the base among them)
    started with a prior is made to correct it (:func:`~mcdenoise.learn.model.correcting_prior`),
    so it gives the prior's output until it is trained. An explicit model whose features differ
    raises :class:`ConfigError`.
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
