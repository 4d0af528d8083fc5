"""``mcdenoise live``: learn while a sequence renders, and denoise each frame as it comes.

The Noise2Noise paper's own demonstration beyond stills (Lehtinen et al. 2018, Fig. 8):
no data set, no clean image, only the running sequence. Frame by frame, along a camera
move (:mod:`mcdenoise.render.camera_path`):

1. render the frame as a pair of independent halves, with its features and motion
   (:class:`mcdenoise.render.job.PairRendering`, so the folder is a render-sequence folder);
2. put the pair into a bounded buffer of the latest frames and train on it for a bounded
   budget (:class:`mcdenoise.learn.online.OnlineTrainer`), starting from the base model;
3. denoise the frame with the weights as they now are: each half, then their mean,
   written as ``frameNNNN.denoised.exr`` beside the halves, with the frame's features.

After each frame the model (``live.pt``, usable as ``--model`` on the next shot of the
same set, and by ``--init`` of the next live run) and ``live.json`` (per frame: the steps
and the seconds spent rendering, training and denoising) are written, atomically. A rerun
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
from mcdenoise.errors import ConfigError, JobError
from mcdenoise.features import COLOR, FeatureSet
from mcdenoise.io.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.files import read_json, write_json
from mcdenoise.io.pairs_dir import MANIFEST, frame_name, is_finished
from mcdenoise.learn.device import resolve_device
from mcdenoise.learn.model import build_model
from mcdenoise.learn.online import OnlineTrainer
from mcdenoise.learn.train import initial_weights
from mcdenoise.progress import Progress
from mcdenoise.render.job import PairRendering

#: What a live folder holds beside the frames: the model as it stands, and the per-frame record.
MODEL, RECORD = "live.pt", "live.json"


def denoised_name(frame: int) -> str:
    """File name of a frame's denoised output: ``frameNNNN.denoised.exr``."""
    return f"frame{frame:04d}.denoised.exr"


def _start(out: Path, config: LiveConfig, settings: dict) -> tuple[Checkpoint, dict]:
    """The weights to go on from and the record so far: those of an earlier run with the same
    settings, or the start's and an empty record. The model file says how many frames its
    weights have been trained on (``train_config["frames"]``): the run goes on after them."""
    if (out / MODEL).is_file():
        record = read_json(out / RECORD) if (out / RECORD).is_file() else {}
        if record.get("settings") != settings:
            raise JobError(f"{out}: holds a live run with other settings; live into a new folder, or with the same options to resume")
        return load_checkpoint(out / MODEL), record
    start = initial_weights(config.init, FeatureSet(prior=config.prior))
    if start is None:
        raise ConfigError(f"{{init}} {config.init!r}: no model to start from", "init")
    checkpoint, label = start
    fresh = replace(checkpoint, train_config={"live": settings["live"], "frames": 0}, training=None, step=0, elapsed=0.0)
    return replace(fresh, data=[], validation_psnr={}), {"settings": settings, "start": label, "frames": {}}


def _pair(out: Path, frame: int, features: FeatureSet) -> tuple[Frame, Frame, np.ndarray, np.ndarray]:
    """A finished frame's two halves from disk, and their channels laid out as ``features.channels``."""
    halves = [read_exr(out / frame_name(frame, 0, side)) for side in ("a", "b")]
    return (*halves, *(features.read(half, f"frame {frame}") for half in halves))


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
    checkpoint, record = _start(out, config, settings)
    features = checkpoint.features
    model = build_model(checkpoint).to(resolve_device(device))
    trainer = OnlineTrainer(model, features, config.buffer, config.crop, config.batch, seed=job.seed)
    if checkpoint.training:
        trainer.restore(checkpoint.training, checkpoint.step)
    first = checkpoint.train_config["frames"]  # every frame before it is denoised (its file is written first)
    on_disk = read_json(out / MANIFEST) if (out / MANIFEST).is_file() else {"frames": {}}
    rendered_before = {f for f in range(job.views) if all(is_finished(on_disk, out, frame_name(f, 0, side)) for side in "ab")}
    for earlier in range(max(0, first - config.buffer), first):  # the buffer as it was when the run stopped
        if earlier in rendered_before:
            trainer.add(*_pair(out, earlier, features)[2:])
    denoiser = Denoiser(model, features, source="live")
    progress = Progress(job.views, f"live {Path(scene_path).parent.name}", enabled=show_progress)
    progress.done = first
    items = rendering.items()
    with progress:
        for frame in range(first, job.views):
            started = time.monotonic()
            if frame in rendered_before:
                halves = _pair(out, frame, features)
            else:
                item = next(items)
                while item.view < frame:  # rendered again: denoised before the crash, but not yet in the manifest
                    item = next(items)
                a, b = (item.frames[frame_name(frame, 0, side)] for side in ("a", "b"))
                halves = (a, b, features.read(a, f"frame {frame}"), features.read(b, f"frame {frame}"))
            rendered = time.monotonic()
            trainer.add(*halves[2:])
            steps = trainer.train(config.steps_per_frame, config.budget_per_frame)
            trained = time.monotonic()
            color = denoiser.denoise_halves(halves[0], halves[1], (f"frame {frame} a", f"frame {frame} b"))
            channels = {**halves[0].channels, **{name: np.ascontiguousarray(color[..., i]) for i, name in enumerate(COLOR)}}
            write_exr(out / denoised_name(frame), Frame(channels, {**halves[0].attributes, "mcdenoise.denoised_by": "live"}))
            denoised = time.monotonic()
            record["frames"][str(frame)] = {
                "steps": steps,
                "render_seconds": round(rendered - started, 4),
                "train_seconds": round(trained - rendered, 4),
                "denoise_seconds": round(denoised - trained, 4),
            }
            write_json(out / RECORD, record)  # before the model: a model file always has its record
            weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
            trained_on = {**checkpoint.train_config, "frames": frame + 1}
            save_checkpoint(
                out / MODEL, replace(checkpoint, weights=weights, train_config=trained_on, step=trainer.step, training=trainer.state())
            )
            progress.advance(note=f"{steps} steps")
            if log:
                log(
                    f"frame {frame}: {steps} steps, "
                    + ", ".join(f"{k.split('_')[0]} {v:.2f} s" for k, v in record["frames"][str(frame)].items() if k != "steps")
                )
    for _ in items:  # let the renderer finish: its last files and the manifest
        pass
    return record
