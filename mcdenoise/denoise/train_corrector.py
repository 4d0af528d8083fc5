"""``train --corrector``: one kernel corrector of Intel OIDN's output, trained across a scene's pairs.

The per-frame corrector (:mod:`mcdenoise.denoise.correct`) fits a frame's own two halves. This
trains the same network on every pair of a scene's folders, each frame of a pair corrected from
its own samples and OIDN's output of it alone, the other frame its target. The model file
(:class:`~mcdenoise.io.checkpoint.CorrectorModel`) then corrects any new frame of the scene with
no other half (:class:`~mcdenoise.denoise.scene_corrector.SceneCorrector`). It is saved as it
trains; rerunning the command resumes where it stopped.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mcdenoise.config import TrainConfig
from mcdenoise.denoise.correct import LEARNING_RATE, RADIUS, Corrector, Half, TrainingPair, crop_corners, oidn_half
from mcdenoise.errors import ConfigError, JobError
from mcdenoise.io.checkpoint import CorrectorModel, CorrectorTraining, load_model_file, save_corrector
from mcdenoise.io.files import ensure_writable_directory, remove_stale_partials
from mcdenoise.io.layout import LayoutRequest, read_frame, require_features
from mcdenoise.io.pairs_dir import read_pairs_directory
from mcdenoise.learn.optim import budget_progress
from mcdenoise.metrics import psnr_t, shared_noise
from mcdenoise.progress import Progress

#: The features a corrector compares pixels by, where the frames have them.
GUIDES = ("albedo", "normal")


@dataclass(frozen=True)
class CorrectorRun:
    """How a corrector's training went: its steps and seconds in all, the last loss, per view with
    a reference the PSNR_T of OIDN and of the corrected output, and the steps this run took (0: a
    resumed run whose budget was already spent)."""

    step: int
    elapsed: float
    loss: float
    validation: dict
    taken: int = 0


def _read_half(path: Path, aux: tuple[str, ...], layout: LayoutRequest | None) -> Half:
    """A frame of a pair read as a :class:`~mcdenoise.denoise.correct.Half` with the features of
    ``aux``, and OIDN's output of it."""
    frame, found = read_frame(path, layout)
    require_features(frame, found, aux, path)
    return oidn_half(frame, aux)


def _views(directories) -> list:
    """Every view of the folders of pairs ``directories``."""
    return [view for directory in directories for view in read_pairs_directory(directory).views]


def _reference(view, layout: LayoutRequest | None):
    """The reference color of ``view``."""
    reference, found = read_frame(view.reference, layout)
    return reference.stack(found.color_out)


def _training_pairs(directories, aux, layout, show_progress: bool) -> tuple[list[TrainingPair], list]:
    """Every finished pair of ``directories`` as tensors, OIDN run on each frame; and each view
    with a reference as (name, its first frame's half, the reference color)."""
    views, pairs, scored = _views(directories), [], []
    with Progress(sum(2 * len(view.pairs) for view in views), "OIDN on the pairs", enabled=show_progress) as progress:
        for view in views:
            for index, (first, second) in enumerate(view.pairs):
                a, b = (_read_half(path, aux, layout) for path in (first, second))
                if a.color.shape != b.color.shape:
                    raise JobError(f"{second}: its size differs from its pair {first.name}'s")
                if np.array_equal(a.color, b.color):
                    raise JobError(f"{first} and {second.name}: the same image; a pair is the same frame rendered with two different seeds")
                reason = shared_noise(a.color, b.color)
                if reason:
                    raise JobError(f"{first} and {second.name}: {reason}")
                pairs.append(TrainingPair.of(a, b))
                if index == 0 and view.reference is not None:
                    scored.append((view.name, a, _reference(view, layout)))
                progress.advance(2)
    if not pairs:
        raise JobError(f"no finished pairs in {', '.join(map(str, directories))}; run 'mcdenoise render-pairs' first")
    return pairs, scored


def _scored_views(directories, aux, layout) -> list:
    """Each view of ``directories`` with a reference and a pair, as (name, its first frame's half,
    the reference color)."""
    views = [view for view in _views(directories) if view.reference is not None and view.pairs]
    return [(view.name, _read_half(view.pairs[0][0], aux, layout), _reference(view, layout)) for view in views]


def train_corrector(
    directories,
    out_path,
    config: TrainConfig,
    aux: tuple[str, ...] = GUIDES,
    validation_directories=(),
    restart: bool = False,
    show_progress: bool = False,
    log=None,
    layout: LayoutRequest | None = None,
) -> CorrectorRun:
    """Train a corrector of OIDN's output on every pair of ``directories`` for ``config``'s
    budget (``steps`` and/or ``minutes``; ``crop``, ``batch``, ``seed``, ``checkpoint_seconds``
    and ``learning_rate``, 0 for the corrector's own), comparing pixels by the features of
    ``aux`` among albedo and normal; save it to ``out_path`` as it goes and resume from it unless
    ``restart``. Views with references (of ``validation_directories`` too) are scored at the end."""
    log = log or (lambda line: None)
    config.check()
    unknown = set(aux) - set(GUIDES)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ConfigError(f"a corrector compares pixels by albedo and normal, not {names}: set {{features}}", "features")
    out_path = Path(out_path)
    ensure_writable_directory(out_path.parent)
    remove_stale_partials(out_path.parent, out_path.name)
    resume = None
    if out_path.exists() and not restart:
        resume = load_model_file(out_path)
        if not isinstance(resume, CorrectorModel) or resume.training is None:
            raise JobError(f"{out_path}: holds another model, or one without training state; use --restart to overwrite it")
        aux = resume.aux
    pairs, scored = _training_pairs(directories, aux, layout, show_progress)
    scored += _scored_views(validation_directories, aux, layout)
    corrector = Corrector(1 + len(aux), seed=config.seed, radius=resume.radius if resume else RADIUS)
    optimiser = torch.optim.Adam(corrector.net.parameters(), lr=config.learning_rate or LEARNING_RATE)
    generator = torch.Generator().manual_seed(config.seed)
    step, elapsed = 0, 0.0
    if resume:
        corrector.net.load_state_dict(resume.weights)
        optimiser.load_state_dict(resume.training.optimizer)
        generator.set_state(resume.training.generator)
        step, elapsed = resume.step, resume.elapsed
        log(f"resuming {out_path} at step {step} ({elapsed:.0f} s trained)")

    def save(validation=None) -> None:
        model = CorrectorModel(
            aux=tuple(aux),
            radius=corrector.radius,
            weights=corrector.net.state_dict(),
            train_config=config,
            step=step,
            elapsed=elapsed,
            data=[str(d) for d in directories],
            validation=validation or {},
            training=CorrectorTraining(optimiser.state_dict(), generator.get_state()),
        )
        save_corrector(out_path, model)

    log(f"training a corrector of OIDN on {len(pairs)} pairs, crop {config.crop}, batch {config.batch}")
    size = pairs[0].size
    crop = min(config.crop, *size)
    loss_value, first_step = float("nan"), step
    started, last_save = time.monotonic() - elapsed, time.monotonic()
    corrector.net.train()
    with Progress(1000, f"train {out_path.name}", enabled=show_progress, percent=True) as progress:
        progress.done = int(1000 * min(budget_progress(config, step, elapsed), 1.0))
        while budget_progress(config, step, elapsed) < 1.0:
            pair = pairs[int(torch.randint(0, len(pairs), (1,), generator=generator))]
            loss = corrector.loss(pair, crop_corners(pair.size, min(crop, *pair.size), config.batch, generator), min(crop, *pair.size))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            step, elapsed, loss_value = step + 1, time.monotonic() - started, float(loss.detach())
            done = int(1000 * min(budget_progress(config, step, elapsed), 1.0))
            progress.advance(done - progress.done, note=f"step {step}, loss {loss_value:.4f}")
            if time.monotonic() - last_save >= config.checkpoint_seconds:
                save()
                last_save = time.monotonic()
    corrector.net.eval()
    validation = {
        name: {"oidn": psnr_t(half.denoised, reference), "corrected": psnr_t(corrector.correct(half), reference)}
        for name, half, reference in scored
    }
    save(validation)
    return CorrectorRun(step, elapsed, loss_value, validation, step - first_step)
