"""Noise2Noise training on render-pairs directories, with budget and resume.

The loop order is fixed: budget, checkpoint/validation, then the step of
:class:`~mcdenoise.learn.optim.Optimiser` (learning rate, forward and backward
under autocast, gradient clipping, Adam), then progress. Under
torchrun the processes train one model together (:mod:`mcdenoise.learn.distributed`).
"""

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from mcdenoise.config import TrainConfig, UNetConfig
from mcdenoise.errors import JobError
from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.checkpoint import Checkpoint, TrainingState, load_checkpoint, save_checkpoint
from mcdenoise.io.files import ensure_writable_directory, remove_stale_partials
from mcdenoise.io.layout import LayoutRequest
from mcdenoise.learn.dataset import ExampleSampler, emission_split_of, load_examples
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.distributed import Ranks, crop_seed, torchrun_ranks
from mcdenoise.learn.infer import denoise_array
from mcdenoise.learn.model import UNet, build_model
from mcdenoise.learn.optim import Optimiser, Schedule, budget_progress, peak_learning_rate
from mcdenoise.learn.prior import require_prior
from mcdenoise.learn.weights import initial_weights
from mcdenoise.metrics import psnr_t
from mcdenoise.progress import Progress

#: Steps between reads of the smoothed loss for the progress line.
LOSS_READ_STEPS = 16


@dataclass
class TrainResult:
    """What a training run ended with."""

    step: int
    elapsed: float
    loss: float
    validation_psnr: dict[str, float] = field(default_factory=dict)
    #: The process's rank under torchrun (0 alone); only rank 0's result is the run's to report.
    rank: int = 0
    #: Steps taken by this run (0: a resumed run whose budget was already spent).
    taken: int = 0


def _score_views(model: UNet, features: FeatureSet, views) -> dict[str, float]:
    model.eval()
    scores = {}
    for view in views:
        denoised = denoise_array(model, features, view.channels)
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
    show_progress: bool = False,
    log=None,
    layout: LayoutRequest | None = None,
) -> TrainResult:
    """Train a denoiser on the pairs in ``directories`` and save it to ``out_path``.

    Views with references in ``directories`` or ``validation_directories``
    are scored (PSNR_T) as training goes; pairs of ``validation_directories``
    are never trained on. If ``out_path`` already holds a checkpoint of this run, training resumes
    from it (step, weights, optimiser and sampling state); ``restart`` starts
    over instead. ``log`` (such as ``print``) receives a line on what the run does; progress is
    drawn on stderr with ``show_progress``. ``directories`` may be folders of pairs from any renderer
    (:func:`mcdenoise.io.pairs_dir.read_pairs_directory`), their features found by ``layout``.
    Raises :class:`ConfigError`, :class:`JobError` or
    :class:`ModelError` on bad input.

    Under ``torchrun --nproc-per-node=N`` every process calls this with the same arguments and they
    train one model (:mod:`mcdenoise.learn.distributed`): each draws ``config.batch / N`` crops a
    step (:class:`ConfigError` when N does not divide it), and rank 0 alone logs, draws progress,
    scores and saves; the others return a result of their own ``rank``.
    """
    config.check()
    ranks = torchrun_ranks(resolve_device(device))
    crops = ranks.crops_per_rank(config.batch)  # fails at once, before a process waits for the others
    with ranks.joined():
        return _train(
            directories, out_path, config, model_config, features, ranks, crops, validation_directories, restart, show_progress, log, layout
        )


def _train(
    directories,
    out_path,
    config: TrainConfig,
    model_config: UNetConfig | None,
    features: FeatureSet | None,
    ranks: Ranks,
    crops: int,
    validation_directories,
    restart: bool,
    show_progress: bool,
    log,
    layout: LayoutRequest | None,
) -> TrainResult:
    log = (log if ranks.lead else None) or (lambda line: None)
    out_path = Path(out_path)
    dev = ranks.device
    features = features or FeatureSet()
    require_prior(features)
    ensure_writable_directory(out_path.parent)  # fail now, not after the budget is spent
    if ranks.lead:
        remove_stale_partials(out_path.parent, out_path.name)  # left by a run that was killed mid-save
    resume = None
    if out_path.exists() and not restart:
        resume = load_checkpoint(out_path)
        if resume.training is None:
            raise JobError(f"{out_path}: holds a model without training state; use --restart to overwrite it")
        features = replace(features, aux=resume.features.aux, prior=resume.features.prior)
    start = None if resume else initial_weights(config.init, features, model_config)
    weights = resume or (start[0] if start else None)  # the checkpoint whose network is built, if any
    if weights:
        model_config = weights.model_config
    else:
        model_config = model_config or UNetConfig()
    model_config = replace(model_config, in_channels=features.input_width, prior_base=features.has_prior)

    split = emission_split_of(list(directories) + list(validation_directories))
    if resume and resume.features.emission_split != split:
        raise JobError(f"{out_path}: was trained {'without' if split else 'with'} the emission split, unlike this data; use --restart")
    features = replace(features, emission_split=split)
    examples, views = load_examples(directories, features, config.targets, layout)
    if validation_directories:
        views += load_examples(validation_directories, features, layout=layout)[1]
    if weights:
        model = build_model(weights, out_path if resume else config.init)
        if start:
            log(f"fine-tuning from {start[1]}")
    else:
        if config.init == "auto" and BASE_MODEL.is_file():
            reads = features.describe() if features.aux else "color alone"
            reason = f"it reads albedo and normal, not {reads}" if features.aux != FeatureSet().aux else "another shape was asked for"
            log(f"training from random weights, not the bundled base model: {reason}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # the same seed gives the same initial weights
            model = UNet(model_config)
    model.to(dev).train()
    peak = peak_learning_rate(config, fine_tuning=start is not None, resumed_peak=resume.peak_learning_rate if resume else 0.0)
    optimiser = Optimiser(model, Schedule.of(config, peak), config.precision, config.clip_norm)
    generator = torch.Generator().manual_seed(crop_seed(config.seed, ranks.rank))
    step, elapsed = 0, 0.0
    if resume:
        optimiser.load_state_dict(resume.training.optimizer)
        step, elapsed = resume.step, resume.elapsed
        log(f"resuming {out_path} at step {step} ({elapsed:.0f} s trained)")
        generators = [resume.training.generator, *(resume.training.rank_generators or [])]
        if len(generators) == ranks.world:
            generator.set_state(generators[ranks.rank])
        else:
            generator.manual_seed(crop_seed(config.seed, ranks.rank, step))
            log(f"{out_path}: trained by {len(generators)} processes, not {ranks.world}; crops are drawn from new seeds")
    sampler = ExampleSampler(examples, config.crop, model.alignment, generator, dev)
    example_count = len(examples)
    del examples  # the sampler holds them, stacked on the device

    def save(scores=None):
        generators = ranks.gather(generator.get_state())  # every process takes part; rank 0 writes
        if not ranks.lead:
            return
        checkpoint = Checkpoint(
            model_config=model_config,
            features=features,
            weights=model.state_dict(),
            train_config=config,
            peak_learning_rate=peak,
            step=step,
            elapsed=elapsed,
            data=[str(d) for d in directories],
            validation_psnr=scores or {},
            provenance=resume.provenance if resume else {},
            training=TrainingState(optimiser.state_dict(), generators[0], rank_generators=generators[1:] or None),
        )
        save_checkpoint(out_path, checkpoint)

    total = config.steps or 0
    progress = Progress(1000, f"train {out_path.name}", enabled=show_progress and ranks.lead, percent=True)
    progress.done = int(1000 * min(budget_progress(config, step, elapsed), 1.0))
    loss_value, scores, smoothed = float("nan"), {}, None
    last_save = last_score = time.monotonic()
    started = time.monotonic() - elapsed
    log(
        f"training on {example_count} examples ({config.targets} targets, {len(views)} views with references), device {dev.type}, "
        f"precision {optimiser.amp_dtype or torch.float32}, peak learning rate {peak:g}, crop {sampler.crop}, batch {config.batch}"
        + (f", {total} steps" if total else "")
        + (f", {config.minutes:g} min" if config.minutes else "")
        + (", without the emission seen directly (emission split)" if split else "")
        + (f", {ranks.world} processes of {crops} crops each" if ranks.world > 1 else "")
    )
    trained = ranks.wrap(model)
    first_step = step
    with progress:
        while True:
            now = time.monotonic()
            # Rank 0's clock and decisions hold for every process, so they stop, save and score together.
            spent, save_now, score_now = ranks.agree(
                budget_progress(config, step, elapsed),
                now - last_save >= config.checkpoint_seconds,
                bool(views) and now - last_score >= config.score_seconds,
            )
            if spent >= 1.0:
                break
            if save_now:
                save(scores)
                last_save = now
            if score_now and ranks.lead:
                scores = _score_views(model, features, views)
                last_score = now
            loss = optimiser.step(trained, sampler.sample(crops), step, spent)
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
    if views and math.isfinite(config.score_seconds) and ranks.lead:
        scores = _score_views(model, features, views)
        log("validation PSNR_T: " + ", ".join(f"{k} {v:.2f} dB" for k, v in scores.items()))
    save(scores)
    return TrainResult(step=step, elapsed=elapsed, loss=loss_value, validation_psnr=scores, rank=ranks.rank, taken=step - first_step)
