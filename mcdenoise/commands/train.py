"""Noise2Noise training: each frame of a pair is the other's target (with render-pairs --pairs K,
the mean of its view's other 2K-1 frames). Give a budget with --minutes and/or --steps.
Frames rendered with --split-emission are learnt from without the light seen directly; the
model then denoises frames that carry the split's channels (render-pairs --emission-spp).
Checkpoints are saved as it goes; rerunning the same command after an interrupt resumes
where it stopped.
"""

from dataclasses import dataclass, field
from typing import get_args

from mcdenoise.commands.layout import GROUP, LayoutOptions
from mcdenoise.commands.spec import Command, Printed
from mcdenoise.config import Device, Prior, TrainConfig, UNetConfig
from mcdenoise.errors import ConfigError
from mcdenoise.options import option, whole_number


@dataclass(frozen=True)
class TrainCommandConfig:
    """What ``train`` learns from, how, and where the model goes."""

    dirs: list[str] = option(
        help="render-pairs output directories, or folders of pairs from any renderer: NAME_a.exr and NAME_b.exr "
        "(the same frame rendered with two seeds; NAME_ref.exr, if there, is scored) or a pairs.json list of "
        '{"a": FILE, "b": FILE, "view": NAME, "reference": FILE} entries',
        positional=True,
        nargs="+",
    )
    out: str = option(help="model file to write (and to resume from)")
    validate: list[str] = option(
        help="directories with references to score on, never trained on", nargs="+", metavar="DIR", default_factory=list
    )
    train: TrainConfig = option(default_factory=TrainConfig)
    width: int | None = option(None, f"U-Net channels per level (default {UNetConfig.width}; from scratch only)", parse=whole_number(1))
    levels: int | None = option(None, f"U-Net pooling levels (default {UNetConfig.depth}; from scratch only)", parse=whole_number(1))
    features: str = option("albedo,normal", "auxiliary features, comma-separated: albedo, normal, depth, or none")
    prior: Prior = option(
        "none",
        "oidn: the network takes Intel OIDN's output as an input and learns to correct it, starting as OIDN "
        "(needs 'pip install pyoidn'); none: it denoises on its own",
        choices=get_args(Prior),
    )
    corrector: bool = option(
        False,
        "train a small kernel network that corrects Intel OIDN's output (pip install pyoidn) instead of the U-Net: it "
        "averages each frame's own pixels, so it cannot invent light; --features says what it compares pixels by "
        "(albedo, normal), --lr 0 is its own 1e-2, and the U-Net's options do not apply (docs/guide.md)",
    )
    device: Device = option("auto", "auto uses CUDA when available", choices=get_args(Device))
    restart: bool = option(False, "overwrite --out instead of resuming from it")
    layout: LayoutOptions = field(default_factory=LayoutOptions, metadata={"group": GROUP})


def run(config: TrainCommandConfig, show_progress: bool = False, log=None) -> Printed:
    """Train (:func:`mcdenoise.learn.train.train`); under torchrun, rank 0 alone reports the run."""
    from mcdenoise.features import FeatureSet
    from mcdenoise.learn.train import train

    if config.corrector:
        return _train_corrector(config, show_progress, log)
    features = FeatureSet(tuple(f for f in config.features.split(",") if f and f != "none"), prior=config.prior)
    model_config = None
    if config.width or config.levels:
        model_config = UNetConfig(
            in_channels=features.input_width, width=config.width or UNetConfig.width, depth=config.levels or UNetConfig.depth
        )
    result = train(
        config.dirs,
        config.out,
        config.train,
        model_config,
        features,
        config.device,
        config.validate,
        config.restart,
        show_progress,
        log,
        config.layout.request(),
    )
    if result.rank:
        return Printed()
    if not result.taken:
        return Printed([("out", already_trained(config.out, result.step, result.elapsed))])
    return Printed([("out", f"{config.out}: {result.step} steps in {result.elapsed:.0f} s, loss {result.loss:.4f}")])


def already_trained(out: str, step: int, elapsed: float) -> str:
    """The line for a rerun whose model has spent its budget."""
    return f"{out}: already trained, {step} steps in {elapsed:.0f} s; raise --steps or --minutes to train on (or --restart)"


def _train_corrector(config: TrainCommandConfig, show_progress: bool, log) -> Printed:
    """``train --corrector`` (:func:`mcdenoise.denoise.train_corrector.train_corrector`)."""
    from mcdenoise.denoise.train_corrector import train_corrector

    if config.prior != "none" or config.width or config.levels:
        message = "{corrector} trains a corrector of OIDN, not a U-Net: leave out {prior}, {width} and {levels}"
        raise ConfigError(message, "corrector", "prior", "width", "levels")
    aux = tuple(f for f in config.features.split(",") if f and f != "none")
    layout = config.layout.request()
    run = train_corrector(config.dirs, config.out, config.train, aux, config.validate, config.restart, show_progress, log, layout)
    if not run.taken:
        return Printed([("out", already_trained(config.out, run.step, run.elapsed))])
    scores = "".join(f"; {view}: OIDN {s['oidn']:.2f} dB, corrected {s['corrected']:.2f} dB" for view, s in run.validation.items())
    return Printed([("out", f"{config.out}: a corrector of OIDN, {run.step} steps in {run.elapsed:.0f} s, loss {run.loss:.4f}{scores}")])


EPILOG = (
    "examples:\n  mcdenoise train renders/cbox --validate renders/cbox-test --out cbox.pt --minutes 10\n"
    "  mcdenoise train renders/cbox --out cbox-corrector.pt --corrector --minutes 5"
)

COMMAND = Command("train", "train a denoiser on render-pairs directories", __doc__, TrainCommandConfig, run, EPILOG)
