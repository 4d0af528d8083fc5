"""Noise2Noise training on render-pairs directories, with budget and resume.

The loop order is fixed: learning rate, checkpoint/validation, forward and
backward under autocast, gradient clipping, optimiser step, progress.
"""

import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from mcdenoise.errors import JobError
from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import BASE_MODEL, resolve_model
from mcdenoise.io.checkpoint import build_model, load_checkpoint, save_checkpoint
from mcdenoise.io.files import ensure_writable_directory, remove_stale_partials
from mcdenoise.learn.dataset import ExampleSampler, data_splits_emission, load_examples
from mcdenoise.learn.device import autocast_dtype, resolve_device
from mcdenoise.learn.infer import denoise_array
from mcdenoise.learn.loss import relative_l2
from mcdenoise.learn.model import UNet, UNetConfig
from mcdenoise.metrics import psnr_t
from mcdenoise.progress import Progress

#: Peak learning rates for ``TrainConfig.learning_rate = 0`` (auto). Fine-tuning the bundled
#: base gains 0.3-0.5 dB PSNR_T in 2 minutes at 2e-3 over 1e-3 on all five benchmark
#: scenes, and 4e-3 is worse (benchmarks/NOTES.md, "Fine-tuning learning rate").
SCRATCH_LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 2e-3

#: Steps between reads of the smoothed loss for the progress line.
LOSS_READ_STEPS = 16


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Stored in the checkpoint beside the model config."""

    steps: int = 0  # 0: no step limit
    minutes: float = 0.0  # 0: no time limit
    batch: int = 8
    crop: int = 64
    #: Peak learning rate; 0 (auto): FINE_TUNE_LEARNING_RATE when training starts from a model,
    #: SCRATCH_LEARNING_RATE from random weights.
    learning_rate: float = 0.0
    warmup_steps: int = 200
    final_lr_fraction: float = 0.05
    clip_norm: float = 1.0
    seed: int = 0
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    targets: str = "noisy"  # noisy (Noise2Noise) | clean (Noise2Clean, for comparison; needs references)
    checkpoint_seconds: float = 30.0
    #: Starting weights: "auto" (the base model when its features match, else random),
    #: "base", "scratch" (random), or the path of a model file to fine-tune.
    init: str = "auto"
    validate_seconds: float = 30.0  # math.inf: never validate, not even at the end

    def validate(self) -> None:
        """Raise :class:`JobError` for a budget or setting that cannot train."""
        if self.steps < 0 or self.minutes < 0:
            raise JobError("--steps and --minutes must not be negative")
        if self.steps == 0 and self.minutes == 0:
            raise JobError("give a training budget: --minutes M and/or --steps N (both above 0)")
        if self.learning_rate < 0:
            raise JobError("--lr must not be negative (0 picks it automatically)")
        if self.batch < 1 or self.crop < 8:
            raise JobError("--batch must be at least 1 and --crop at least 8")
        if self.targets not in ("noisy", "clean"):
            raise JobError(f"unknown targets {self.targets!r}; choose noisy or clean")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise JobError(f"unknown precision {self.precision!r}; choose auto, fp32, bf16 or fp16")


@dataclass
class TrainResult:
    """What a training run ended with."""

    step: int
    elapsed: float
    loss: float
    validation_psnr: dict[str, float] = field(default_factory=dict)


def peak_learning_rate(config: TrainConfig, fine_tuning: bool, resumed_peak: float = 0.0) -> float:
    """``config.learning_rate``; when it is 0 (auto), the peak of the run being resumed, if any,
    else the default for fine-tuning or for random weights."""
    return config.learning_rate or resumed_peak or (FINE_TUNE_LEARNING_RATE if fine_tuning else SCRATCH_LEARNING_RATE)


def learning_rate(config: TrainConfig, step: int, progress: float, peak: float) -> float:
    """Linear warm-up to ``peak`` over ``warmup_steps``, then cosine decay to ``final_lr_fraction`` of it at the end of the budget."""
    warm = min(1.0, (step + 1) / max(config.warmup_steps, 1))
    cosine = 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    return peak * warm * (config.final_lr_fraction + (1 - config.final_lr_fraction) * cosine)


def budget_progress(config: TrainConfig, step: int, elapsed: float) -> float:
    """Fraction of the training budget spent, by steps or by time, whichever is further."""
    by_steps = step / config.steps if config.steps else 0.0
    by_time = elapsed / (config.minutes * 60) if config.minutes else 0.0
    return max(by_steps, by_time)


def initial_weights(init: str, features: FeatureSet, model_config: UNetConfig | None = None) -> dict | None:
    """The checkpoint to start training from (None: random weights), per ``TrainConfig.init``.

    ``auto`` picks the bundled base model when it exists, its features equal
    ``features`` and no other network shape was asked for. An explicit model
    whose features differ raises :class:`JobError`.
    """
    if init == "scratch":
        return None
    if init == "auto":
        if not BASE_MODEL.is_file():
            return None
        payload = load_checkpoint(BASE_MODEL)
        same_shape = model_config is None or UNetConfig.from_dict(payload["model_config"]) == model_config
        return {**payload, "source": "the base model"} if tuple(payload["features"]) == features.aux and same_shape else None
    path = resolve_model(init)
    payload = load_checkpoint(path)
    if tuple(payload["features"]) != features.aux:
        raise JobError(
            f"{path}: the model takes features {', '.join(payload['features']) or 'none'}, but training asked for "
            f"{', '.join(features.aux) or 'none'}; pass the same --features or --init scratch"
        )
    return {**payload, "source": "the base model" if init == "base" else str(path)}


def _validate(model: UNet, features: FeatureSet, views) -> dict[str, float]:
    model.eval()
    scores = {}
    for view in views:
        denoised, _ = denoise_array(model, features, view.channels)
        if view.emission is not None:
            denoised = denoised + view.emission
        scores[view.name] = psnr_t(denoised, view.reference)
    model.train()
    return scores


def train(
    directories,
    out_path,
    config: TrainConfig,
    model_config: UNetConfig | None = None,
    features: FeatureSet | None = None,
    device: str = "auto",
    validation_directories=(),
    restart: bool = False,
    show_progress: bool = True,
    log=print,
) -> TrainResult:
    """Train a denoiser on the pairs in ``directories`` and save it to ``out_path``.

    Views with references in ``directories`` or ``validation_directories``
    are scored (PSNR_T) as training goes; pairs of ``validation_directories``
    are never trained on. If ``out_path`` already holds a checkpoint of this run, training resumes
    from it (step, weights, optimiser and sampling state); ``restart`` starts
    over instead. Raises :class:`JobError` or :class:`ModelError` on bad input.
    """
    config.validate()
    out_path = Path(out_path)
    dev = resolve_device(device)
    features = features or FeatureSet()
    ensure_writable_directory(out_path.parent)  # fail now, not after the budget is spent
    remove_stale_partials(out_path.parent, out_path.name)  # left by a run that was killed mid-save
    resume = None
    if out_path.exists() and not restart:
        resume = load_checkpoint(out_path)
        if "optimizer" not in resume:
            raise JobError(f"{out_path}: holds a model without training state; use --restart to overwrite it")
        features = FeatureSet(tuple(resume["features"]))
    start = None if resume else initial_weights(config.init, features, model_config)
    weights = resume or start  # the checkpoint whose network is built, if any
    if weights:
        model_config = UNetConfig.from_dict(weights["model_config"])
    else:
        model_config = model_config or UNetConfig(in_channels=features.input_width)
    if model_config.in_channels != features.input_width:
        model_config = UNetConfig(**{**asdict(model_config), "in_channels": features.input_width})

    split = data_splits_emission(list(directories) + list(validation_directories))
    if resume and bool(resume.get("emission_split", False)) != split:
        raise JobError(f"{out_path}: was trained {'without' if split else 'with'} the emission split, unlike this data; use --restart")
    examples, views = load_examples(directories, features, config.targets, split_emission=split)
    if validation_directories:
        views += load_examples(validation_directories, features, split_emission=split)[1]
    if weights:
        model, _ = build_model(weights, out_path if resume else config.init)
        if start:
            log(f"fine-tuning from {start['source']}")
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # the same seed gives the same initial weights
            model = UNet(model_config)
    model.to(dev).train()
    resumed_peak = resume.get("peak_learning_rate", resume["train_config"].get("learning_rate", 0.0)) if resume else 0.0
    peak = peak_learning_rate(config, fine_tuning=start is not None, resumed_peak=float(resumed_peak))
    optimizer = torch.optim.Adam(model.parameters(), lr=peak, betas=(0.9, 0.99))
    generator = torch.Generator().manual_seed(config.seed)
    step, elapsed = 0, 0.0
    if resume:
        optimizer.load_state_dict(resume["optimizer"])
        generator.set_state(resume["generator"])
        step, elapsed = int(resume["step"]), float(resume["elapsed"])
        log(f"resuming {out_path} at step {step} ({elapsed:.0f} s trained)")
    sampler = ExampleSampler(examples, config.crop, model.alignment, generator, dev)
    example_count = len(examples)
    del examples  # the sampler holds them, stacked on the device
    amp_dtype = autocast_dtype(config.precision, dev, training=True)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp_dtype == torch.float16)

    def save(scores=None):
        save_checkpoint(
            out_path,
            {
                "model_config": model_config.to_dict(),
                "features": list(features.aux),
                "emission_split": split,
                "train_config": asdict(config),
                "peak_learning_rate": peak,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "generator": generator.get_state(),
                "step": step,
                "elapsed": elapsed,
                "data": [str(d) for d in directories],
                "validation_psnr": scores or {},
            },
        )

    total = config.steps or 0
    progress = Progress(1000, f"train {out_path.name}", enabled=show_progress, percent=True)
    progress.done = int(1000 * min(budget_progress(config, step, elapsed), 1.0))
    loss_value, scores, smoothed = float("nan"), {}, None
    last_save = last_validate = time.monotonic()
    started = time.monotonic() - elapsed
    log(
        f"training on {example_count} examples ({config.targets} targets, {len(views)} views with references), device {dev.type}, "
        f"precision {amp_dtype or torch.float32}, peak learning rate {peak:g}, crop {sampler.crop}, batch {config.batch}"
        + (f", {total} steps" if total else "")
        + (f", {config.minutes:g} min" if config.minutes else "")
        + (", without the emission seen directly (emission split)" if split else "")
    )
    with progress:
        while budget_progress(config, step, elapsed) < 1.0:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, step, budget_progress(config, step, elapsed), peak)
            now = time.monotonic()
            if now - last_save >= config.checkpoint_seconds:
                save(scores)
                last_save = now
            if views and now - last_validate >= config.validate_seconds:
                scores = _validate(model, features, views)
                last_validate = now
            inputs, targets = sampler.sample(config.batch)
            context = torch.autocast(dev.type, dtype=amp_dtype) if amp_dtype else nullcontext()
            with context:
                log_radiance = model(inputs)
            loss = relative_l2(torch.exp(log_radiance.float()), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            elapsed = time.monotonic() - started
            current = loss.detach()
            # A running mean kept on the device (a non-finite one starts over), read now and then.
            smoothed = current if smoothed is None else torch.where(smoothed.isfinite(), smoothed.lerp(current, 0.02), current)
            if step % LOSS_READ_STEPS == 0 or step == 1:
                loss_value = smoothed.item()  # a read waits for the device, so not every step
            note = f"step {step} loss {loss_value:.4f}"
            if scores:
                note += f" val PSNR_T {sum(scores.values()) / len(scores):.2f} dB"
            progress.advance(int(1000 * min(budget_progress(config, step, elapsed), 1.0)) - progress.done, note)
    if smoothed is not None:
        loss_value = smoothed.item()
    if views and math.isfinite(config.validate_seconds):
        scores = _validate(model, features, views)
        log("validation PSNR_T: " + ", ".join(f"{k} {v:.2f} dB" for k, v in scores.items()))
    save(scores)
    return TrainResult(step=step, elapsed=elapsed, loss=loss_value, validation_psnr=scores)
