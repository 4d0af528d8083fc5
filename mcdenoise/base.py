"""The bundled base model: weights trained with Noise2Noise alone on generated scenes.

``apply``, the ``Denoiser`` API and the Mitsuba plugin use it when no model is
given, and ``train`` fine-tunes from it by default. How it was trained is
recorded inside the file (``provenance``) and in ``base_model.json`` beside it;
``python benchmarks/train_base.py`` makes it again.
"""

from pathlib import Path

from mcdenoise.errors import ModelError

#: The package data file of the base model.
BASE_MODEL = Path(__file__).parent / "data" / "base_model.pt"


def resolve_model(path) -> Path:
    """The model file that ``path`` names: ``"base"`` is the bundled base model, anything else a path."""
    return base_model_path() if str(path) == "base" else Path(path)


def base_model_path() -> Path:
    """Path of the bundled base model; raises :class:`ModelError` if this install lacks it."""
    if not BASE_MODEL.is_file():
        raise ModelError(f"{BASE_MODEL}: the bundled base model is missing from this install; reinstall mcdenoise or pass --model MODEL.pt")
    return BASE_MODEL
