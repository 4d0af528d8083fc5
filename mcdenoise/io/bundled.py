"""The bundled models: weights trained with Noise2Noise alone on generated scenes.

``"base"`` (width 32) is what ``apply``, the ``Denoiser`` API and the Mitsuba
plugin use when no model is given, and what ``train`` fine-tunes from by
default. ``"fast"`` (width 16) denoises in about half the time, at some cost
in quality. ``"color"`` reads color alone: the base grown without its albedo
and normal inputs, for frames that lack them (the plain base hands it those,
:class:`mcdenoise.denoise.hook.PlainBase`). A model that corrects Intel OIDN's
output starts from the plain base (:func:`mcdenoise.learn.weights.initial_weights`). How each was trained is
recorded inside its file (``provenance``) and in a JSON file beside it;
``python tools/train_base.py`` makes them again.
"""

from pathlib import Path

from mcdenoise.errors import ModelError

_DATA = Path(__file__).parent.parent / "data"
#: The package data file of the base model.
BASE_MODEL = _DATA / "base_model.pt"
#: The package data file of the color-only model (no auxiliary features).
COLOR_MODEL = _DATA / "color_model.pt"
#: Every bundled model, by the name that ``--model`` and ``Denoiser.load`` accept.
BUNDLED_MODELS = {"base": BASE_MODEL, "fast": _DATA / "fast_model.pt", "color": COLOR_MODEL}


def resolve_model(path) -> Path:
    """The model file that ``path`` names: a bundled model's name (``"base"``, ``"fast"``, ``"color"``) or a path."""
    name = str(path)
    if name not in BUNDLED_MODELS:
        return Path(path)
    if not BUNDLED_MODELS[name].is_file():
        raise ModelError(
            f"{BUNDLED_MODELS[name]}: the bundled {name} model is missing from this install; reinstall mcdenoise or pass --model MODEL.pt"
        )
    return BUNDLED_MODELS[name]
