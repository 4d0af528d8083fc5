"""Model files: the one module that reads and writes their format.

A model file holds one :class:`Checkpoint`: the network's shape, the features it
reads, its weights, how its run went (the options that trained it, typed: a
``TrainConfig`` or a :class:`LiveRun`; its step, time, data and scores) and, while it
trains, the state that resumes the run. :func:`load_checkpoint` is its one reader and
:func:`save_checkpoint` its one writer. A model file of the other kind holds a
:class:`CorrectorModel` (``train --corrector``: a kernel that corrects OIDN's output,
:mod:`mcdenoise.denoise.correct`), written by :func:`save_corrector`;
:func:`load_model_file` reads either kind. Files are written atomically (write, then rename)
and read with ``torch.load(weights_only=True)``, so a model file can never run code.
"""

import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch

from mcdenoise.config import LiveConfig, TrainConfig, UNetConfig
from mcdenoise.errors import ConfigError, ModelError
from mcdenoise.features import FeatureSet
from mcdenoise.io.fields import FieldError, read_fields
from mcdenoise.io.files import atomic_output

#: Version of the layout below; files of another version are refused, never guessed at.
FORMAT_VERSION = 2
#: A corrector's file says so in its "kind", with a version of its own layout.
CORRECTOR_KIND, CORRECTOR_FORMAT_VERSION = "corrector", 1


@dataclass
class TrainingState:
    """What resumes a training run where it stopped (absent from a shipped model)."""

    optimizer: dict
    generator: torch.Tensor
    #: The weights that training goes on from, where the file's own weights are an average of them
    #: (online training denoises with a moving average of its weights); None: the file's own.
    weights: dict[str, torch.Tensor] | None = None
    #: The crop generators' states of ranks 1 ... N-1 of a run of N processes under torchrun
    #: (:mod:`mcdenoise.learn.distributed`; ``generator`` is rank 0's); None: a run of one process.
    rank_generators: list[torch.Tensor] | None = None


@dataclass(frozen=True)
class LiveRun:
    """A run of ``mcdenoise live``, as its model file records it: its options, and how many frames
    of the sequence its weights have seen (every frame before that one was denoised)."""

    options: LiveConfig
    frames: int = 0


@dataclass
class Checkpoint:
    """Everything a model file holds."""

    model_config: UNetConfig
    features: FeatureSet
    weights: dict[str, torch.Tensor]
    #: What trained it: ``train``'s options, a live run, or None (not recorded); and the peak learning rate that it chose.
    train_config: TrainConfig | LiveRun | None = None
    peak_learning_rate: float = 0.0
    step: int = 0
    elapsed: float = 0.0
    #: The directories it was trained on, and PSNR_T per held-out view at the last validation.
    data: list[str] = field(default_factory=list)
    validation_psnr: dict[str, float] = field(default_factory=dict)
    #: How a shipped model was made (command, commit, machine, data), kept through every re-save.
    provenance: dict = field(default_factory=dict)
    training: TrainingState | None = None

    def without_training_state(self) -> "Checkpoint":
        """The same model, to ship: no optimiser or sampler state."""
        return replace(self, training=None)


@dataclass
class CorrectorTraining:
    """What resumes a corrector's training where it stopped."""

    optimizer: dict
    generator: torch.Tensor


@dataclass
class CorrectorModel:
    """A kernel corrector of Intel OIDN's output trained across a scene's pairs (``train
    --corrector``): the features it compares pixels by, its window's radius, its weights, how its
    run went (options, step, seconds, data, and per view with a reference the PSNR_T of OIDN and
    of the corrected output) and, while it trains, the state that resumes the run."""

    aux: tuple[str, ...]
    radius: int
    weights: dict[str, torch.Tensor]
    train_config: TrainConfig | None = None
    step: int = 0
    elapsed: float = 0.0
    data: list[str] = field(default_factory=list)
    validation: dict[str, dict[str, float]] = field(default_factory=dict)
    training: CorrectorTraining | None = None


def save_corrector(path, model: CorrectorModel) -> None:
    """Write a corrector's ``model`` to ``path`` atomically."""
    payload = {f.name: getattr(model, f.name) for f in fields(CorrectorModel)}
    payload.update(
        kind=CORRECTOR_KIND,
        format_version=CORRECTOR_FORMAT_VERSION,
        aux=list(model.aux),
        train_config=_run_options(model.train_config),
        training=asdict(model.training) if model.training else None,
    )
    with atomic_output(path) as temp:
        torch.save(payload, temp)


def save_checkpoint(path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically."""
    payload = {f.name: getattr(checkpoint, f.name) for f in fields(Checkpoint)}
    payload.update(
        format_version=FORMAT_VERSION,
        model_config=checkpoint.model_config.to_dict(),
        features=checkpoint.features.to_dict(),
        train_config=_run_options(checkpoint.train_config),
        # Fields at None are left out (they load as None): a run of one process writes the file it
        # wrote before rank_generators existed, which older mcdenoise still resumes.
        training={k: v for k, v in asdict(checkpoint.training).items() if v is not None} if checkpoint.training else None,
    )
    with atomic_output(path) as temp:
        torch.save(payload, temp)


def load_checkpoint(path) -> Checkpoint:
    """Read a U-Net's model file safely; raises :class:`ModelError` naming the file when it is
    missing, not a mcdenoise model, a corrector's, of another format version, or inconsistent."""
    model = load_model_file(path)
    if isinstance(model, CorrectorModel):
        raise ModelError(f"{path}: holds a corrector of OIDN's output (train --corrector), not a network to train or fine-tune")
    return model


def _payload(path: Path) -> dict:
    """A model file's contents, read with ``weights_only`` (no code runs); :class:`ModelError` otherwise."""
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
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise ModelError(f"{path}: not a mcdenoise model file")
    return payload


def _check_version(path: Path, version, expected: int) -> None:
    if version != expected:
        advice = "upgrade mcdenoise" if isinstance(version, int) and version > expected else "train it again"
        raise ModelError(f"{path}: model format {version} is not the format {expected} that this mcdenoise reads; {advice}")


def _read_corrector(path: Path, payload: dict) -> CorrectorModel:
    _check_version(path, payload.pop("format_version"), CORRECTOR_FORMAT_VERSION)
    payload.pop("kind")
    try:
        training = payload.pop("training")
        return CorrectorModel(
            **{**payload, "aux": tuple(payload["aux"]), "train_config": _read_run_options(payload.get("train_config", {}))},
            training=CorrectorTraining(**training) if training else None,
        )
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise ModelError(f"{path}: the model file is inconsistent ({str(error).splitlines()[0][:200]})") from None


def load_model_file(path) -> "Checkpoint | CorrectorModel":
    """Read a model file of either kind safely: a U-Net's :class:`Checkpoint` or a
    :class:`CorrectorModel`. Raises :class:`ModelError` naming the file when it is missing, not a
    mcdenoise model, of another format version, or inconsistent."""
    path = Path(path)
    payload = _payload(path)
    if payload.get("kind") == CORRECTOR_KIND:
        return _read_corrector(path, payload)
    if "model_config" not in payload:
        raise ModelError(f"{path}: not a mcdenoise model file")
    _check_version(path, payload.pop("format_version"), FORMAT_VERSION)
    try:
        training = payload.pop("training")
        checkpoint = Checkpoint(
            **{
                **payload,
                "model_config": UNetConfig.from_dict(payload["model_config"]),
                "features": FeatureSet.from_dict(payload["features"]),
                "train_config": _read_run_options(payload.get("train_config", {})),
            },
            training=TrainingState(**training) if training else None,
        )
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise ModelError(f"{path}: the model file is inconsistent ({str(error).splitlines()[0][:200]})") from None
    if checkpoint.model_config.in_channels != checkpoint.features.input_width:
        raise ModelError(
            f"{path}: model takes {checkpoint.model_config.in_channels} channels but its features need {checkpoint.features.input_width}"
        )
    return checkpoint


def _run_options(options: TrainConfig | LiveRun | None) -> dict:
    """What trained a model, as its file holds it: ``TrainConfig``'s fields; ``{"live": LiveConfig's
    fields, "frames": N}`` for a live run; ``{}`` where it is not recorded."""
    if options is None:
        return {}
    if isinstance(options, LiveRun):
        return {"live": asdict(options.options), "frames": options.frames}
    return asdict(options)


def _read_run_options(values) -> TrainConfig | LiveRun | None:
    """:func:`_run_options` read back; raises :class:`~mcdenoise.io.fields.FieldError` (a ValueError)
    naming the fields at fault."""
    if values == {}:
        return None
    try:
        if isinstance(values, dict) and set(values) == {"live", "frames"}:
            return _read_live_run(values)
        return read_fields(TrainConfig, values)
    except FieldError as error:
        raise FieldError(f"train_config: {error}") from None


def _read_live_run(values: dict) -> LiveRun:
    """A live run from ``{"live": LiveConfig's fields, "frames": N}``."""
    if type(values["frames"]) is not int or values["frames"] < 0:
        raise FieldError("frames")
    try:
        return LiveRun(read_fields(LiveConfig, values["live"]), values["frames"])
    except FieldError as error:
        raise FieldError(f"live: {error}") from None
