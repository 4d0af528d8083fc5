"""``mcdenoise live``: learn while a sequence renders, and denoise each frame as it comes.

The Noise2Noise paper's own demonstration beyond stills (Lehtinen et al. 2018, Fig. 8):
no data set, no clean image, only the running sequence. Frame by frame, along a camera
move (:mod:`mcdenoise.render.camera_path`):

1. render the frame as a pair of independent halves, with its features and motion
   (:class:`mcdenoise.render.job.PairRendering`, so the folder is a render-sequence folder);
2. put the pair into a bounded buffer of the latest frames and train on it for a bounded
   budget (:class:`mcdenoise.learn.online.OnlineTrainer`), starting from the base model; with
   ``prior`` auto, the base that corrects OIDN where the first frame's noise is independent
   between pixels (a box filter) and the plain base where a pixel filter spreads it, as
   ``apply --route auto`` routes frames;
3. denoise the frame with the moving average of the weights as they now are (one update a
   frame, which keeps the training's own steps from flickering): its two halves merged into one
   frame with the samples of both, denoised once (as ``apply`` would denoise the frame
   rendered whole), written as ``frameNNNN.denoised.exr`` beside the halves, with the
   frame's features; with ``temporal``, first blended with the output before it
   (:class:`mcdenoise.denoise.temporal.TemporalFilter`, as ``apply --sequence`` does, and
   with the frame's noise measured by its two halves, which keeps a moving camera's
   history off glossy reflections).

After each frame the model (``live.pt``, usable as ``--model`` on the next shot of the
same set, and by ``--init`` of the next live run) and ``live.json`` (per frame: the steps
and the seconds spent rendering, preparing the pair for training (reading it and, with a
prior, denoising each half with it), training and denoising) are written, atomically. A rerun
with the same options goes on after the last frame denoised, as if never stopped: the
buffer is read back from the frames on disk and training resumes from ``live.pt``.
"""

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from mcdenoise.config import LiveConfig, PairJob
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.route import PRIOR_OF_ROUTE, choose_route
from mcdenoise.denoise.temporal import TemporalFilter, noise_variance
from mcdenoise.errors import ConfigError, JobError
from mcdenoise.features import COLOR, FeatureSet
from mcdenoise.io.checkpoint import Checkpoint, LiveRun, load_checkpoint, save_checkpoint
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.files import read_json, write_json
from mcdenoise.io.pairs_dir import finished_views, frame_name
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.model import build_model
from mcdenoise.learn.oidn import oidn_installed
from mcdenoise.learn.online import OnlineTrainer
from mcdenoise.learn.prior import require_prior
from mcdenoise.learn.weights import initial_weights
from mcdenoise.progress import Progress
from mcdenoise.render.job import PairRendering

#: What a live folder holds beside the frames: the model as it stands, and the per-frame record.
MODEL, RECORD = "live.pt", "live.json"


def denoised_name(frame: int) -> str:
    """File name of a frame's denoised output: ``frameNNNN.denoised.exr``."""
    return f"frame{frame:04d}.denoised.exr"


def _resumed(out: Path, settings: dict) -> tuple[Checkpoint, dict]:
    """The weights and record of an earlier run in ``out``, which must have had the same settings.
    The model file says how many frames its weights have seen (its :class:`~mcdenoise.io.checkpoint.LiveRun`'s ``frames``)."""
    record = read_json(out / RECORD) if (out / RECORD).is_file() else {}
    if record.get("settings") != settings:
        raise JobError(f"{out}: holds a live run with other settings; live into a new folder, or with the same options to resume")
    checkpoint = load_checkpoint(out / MODEL)
    if not isinstance(checkpoint.train_config, LiveRun):
        raise JobError(f"{out / MODEL}: is not a live run's model; live into a new folder, or restore the run's own {MODEL}")
    return checkpoint, record


def _fresh(config: LiveConfig, settings: dict, first: Frame) -> tuple[Checkpoint, dict]:
    """The starting weights and an empty record; with ``prior`` auto, the prior that suits the
    first frame's noise, as ``apply --route auto`` routes frames (:mod:`mcdenoise.denoise.route`)."""
    prior, note = config.prior, None
    if prior == "auto":
        choice = choose_route(first, oidn_installed())
        prior, note = PRIOR_OF_ROUTE[choice.route], f"the first frame: {choice.note}"
    start = initial_weights(config.init, FeatureSet(prior=prior))
    if start is None:
        raise ConfigError(f"{{init}} {config.init!r}: no model to start from", "init")
    checkpoint, label = start
    fresh = replace(checkpoint, train_config=LiveRun(config), training=None, step=0, elapsed=0.0)
    record = {"settings": settings, "start": label, "prior": prior, "prior_chosen": note, "frames": {}}
    return replace(fresh, data=[], validation_psnr={}), record


class _Halves:
    """The two halves of each frame, in order: read back where an earlier run rendered them, else
    as the renderer makes them (it skips what is on disk)."""

    def __init__(self, rendering: PairRendering, out: Path, views: int):
        self.on_disk = finished_views(out, views)
        self.out, self.items, self._cache = out, rendering.items(), {}

    def __call__(self, frame: int) -> tuple[Frame, Frame]:
        """Frame ``frame``'s halves (A, B). A frame whose files were written but not yet entered in the
        manifest when a run stopped is rendered again, to the same images (its seeds are its own)."""
        if frame in self._cache:
            return self._cache[frame]
        if frame in self.on_disk:
            halves = tuple(read_exr(self.out / frame_name(frame, 0, side)) for side in "ab")
        else:
            item = next(self.items)
            while item.view < frame:  # rendered again: denoised before a crash, not yet in the manifest
                item = next(self.items)
            halves = tuple(item.frames[frame_name(frame, 0, side)] for side in "ab")
        self._cache = {frame: halves}  # the latest only: the first frame is asked for twice
        return halves

    def finish(self) -> None:
        """Let the renderer end: its last files and the manifest."""
        for _ in self.items:
            pass


def run_live(scene_path, out_dir, job: PairJob, config: LiveConfig, device: str = "auto", show_progress: bool = False, log=None) -> dict:
    """Render ``job.views`` frames along ``job.path`` into ``out_dir``, training and denoising as
    they come (see the module's docstring); returns the record (``live.json``'s content).

    ``job`` is a sequence (its ``path`` set, one pair per frame, no references). Raises
    :class:`ConfigError`, :class:`JobError`, :class:`SceneError` or :class:`OutputError`.
    """
    config.check()
    if job.path is None or job.pairs != 1 or job.reference_spp:
        raise ConfigError("live renders a sequence: a camera {path}, one pair per frame and no references", "path")
    rendering = PairRendering(scene_path, out_dir, job)
    out = Path(out_dir)
    settings = json.loads(json.dumps({"job": asdict(job), "live": asdict(config)}))  # as live.json holds them
    resuming = (out / MODEL).is_file()
    if resuming:
        checkpoint, record = _resumed(out, settings)
    else:  # a missing model or pyoidn fails here, before anything is rendered
        asked = FeatureSet(prior="none" if config.prior == "auto" else config.prior)
        require_prior(asked)
        initial_weights(config.init, asked)
    halves_of = _Halves(rendering, out, job.views)
    if not resuming:
        checkpoint, record = _fresh(config, settings, halves_of(0)[0])
    features = checkpoint.features
    model = build_model(checkpoint).to(resolve_device(device))
    trainer = OnlineTrainer(model, features, config.buffer, config.crop, config.batch, seed=job.seed)
    first = checkpoint.train_config.frames  # every frame before it is denoised (its file is written first)
    if checkpoint.training:
        trainer.restore(checkpoint.training, checkpoint.step, first)
    for earlier in range(max(0, first - config.buffer), first):  # the buffer as it was when the run stopped
        trainer.add(*(features.read(half, f"frame {earlier}") for half in halves_of(earlier)))  # rendered again if need be
    denoiser = Denoiser(trainer.average, features, source="live")
    blend = TemporalFilter() if config.temporal else None
    if blend and first:  # its history: the last frame written, as the run that stopped had it
        blend.prime(read_exr(out / denoised_name(first - 1)).stack(COLOR), halves_of(first - 1)[0])
    progress = Progress(job.views, f"live {Path(scene_path).parent.name}", enabled=show_progress)
    progress.done = first
    with progress:
        for frame in range(first, job.views):
            started = time.monotonic()
            a, b = halves_of(frame)
            rendered = time.monotonic()
            trainer.add(features.read(a, f"frame {frame}"), features.read(b, f"frame {frame}"))
            prepared = time.monotonic()
            steps = trainer.train(config.steps_per_frame, config.budget_per_frame)
            trained = time.monotonic()
            color = denoiser.denoise_merged(a, b, (f"frame {frame} a", f"frame {frame} b"))
            if blend:
                color = blend(color, a, f"frame {frame}", noise=noise_variance(a.stack(COLOR), b.stack(COLOR)))
            channels = {**a.channels, **{name: np.ascontiguousarray(color[..., i]) for i, name in enumerate(COLOR)}}
            write_exr(out / denoised_name(frame), Frame(channels, {**a.attributes, "mcdenoise.denoised_by": "live"}))
            denoised = time.monotonic()
            times = {
                "steps": steps,
                "render_seconds": round(rendered - started, 4),
                "prepare_seconds": round(prepared - rendered, 4),
                "train_seconds": round(trained - prepared, 4),
                "denoise_seconds": round(denoised - trained, 4),
            }
            record["frames"][str(frame)] = times
            write_json(out / RECORD, record)  # before the model: a model file always has its record
            weights = {k: v.detach().cpu().clone() for k, v in trainer.average.state_dict().items()}
            trained_on = replace(checkpoint.train_config, frames=frame + 1)
            save_checkpoint(
                out / MODEL, replace(checkpoint, weights=weights, train_config=trained_on, step=trainer.step, training=trainer.state())
            )
            progress.advance(note=f"{steps} steps")
            if log:
                log(
                    f"frame {frame}: {steps} steps; render {times['render_seconds']:.2f} s, prepare {times['prepare_seconds']:.2f} s, "
                    f"train {times['train_seconds']:.2f} s, denoise {times['denoise_seconds']:.2f} s"
                )
    halves_of.finish()
    return record
