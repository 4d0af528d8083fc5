"""The render-pairs job: pairs of independent low-spp frames of a scene, resumable.

It writes a pairs directory (:mod:`mcdenoise.io.pairs_dir` owns its format). Each
frame is written atomically and recorded in the manifest only once both frames of
its pair exist, and the manifest is written at least once a second, so a rerun
after a crash skips the recorded work and redoes at most a second of it.

The job names no renderer: the scene file's backend (:mod:`mcdenoise.render.backends`)
renders each work item, and the job chooses the cameras, writes the files and keeps the manifest.
"""

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mcdenoise.config import PairJob
from mcdenoise.errors import ConfigError
from mcdenoise.features import DEPTH
from mcdenoise.io.exr import Frame, write_exr
from mcdenoise.io.files import DirectoryLock, ensure_writable_directory, file_sha256, remove_stale_partials
from mcdenoise.io.pairs_dir import FrameRecord, Manifest, ManifestSaver, RenderSettings, frame_name, frame_seed, start_or_resume
from mcdenoise.progress import Progress
from mcdenoise.render.backend import ItemFrames, SceneBackend, WorkItem
from mcdenoise.render.backends import open_scene
from mcdenoise.render.camera_path import camera_at, read_keyframes
from mcdenoise.render.motion import motion_to_previous
from mcdenoise.render.renderer import EMISSION_SAMPLER
from mcdenoise.render.scene import Camera, jitter_camera, resolve_size


class _Cameras:
    """The camera of each view: the frames of a sequence's camera move (``job.path``), or else random small moves
    of the scene's camera (the scene's own for one view)."""

    def __init__(self, base: Camera, scene: SceneBackend, job: PairJob):
        self.base, self.scene, self.job = base, scene, job
        path = job.path
        self.keyframes = read_keyframes(Path(path.keyframes_file)) if path and path.keyframes_file else None
        if path:
            bbox = scene.bbox()
            self.centre = (np.array(bbox.min, dtype=np.float64) + np.array(bbox.max, dtype=np.float64)) / 2

    def __call__(self, view: int) -> Camera:
        job = self.job
        if job.path:
            return camera_at(job.path, self.base, self.centre, view, job.views, self.keyframes)
        if job.views == 1:
            return self.base  # the scene's own camera
        rng = np.random.default_rng(frame_seed(job.seed, view, 0, "camera"))
        return jitter_camera(self.base, self.scene, job.jitter, rng)


def _image_settings(job: PairJob, scene_path: Path, scene_hash: str, width: int, height: int) -> RenderSettings:
    return RenderSettings(
        emission_split=job.writes_emission_split,
        emission_spp=job.emission_spp,
        emission_sampler=EMISSION_SAMPLER if job.emission_spp else None,
        scene=str(scene_path),
        scene_sha256=scene_hash,
        spp=job.spp,
        seed=job.seed,
        views=job.views,
        jitter=job.jitter,
        width=width,
        height=height,
        filter=job.pixel_filter,
        path=job.path,  # a sequence's camera move
    )


@dataclass(frozen=True)
class RenderedItem:
    """One work item, just rendered: a pair of ``view`` (``pair`` None: the view's reference), its
    camera, and its frames by file name. Their files are being written on a thread."""

    view: int
    pair: int | None
    camera: Camera
    frames: dict[str, Frame]


class PairRendering:
    """A render-pairs job on one scene and output folder: :meth:`items` renders what is missing.

    Opening it loads the scene (and a sequence's keyframes) before the output folder exists, so a
    bad scene leaves none. ``scene_path`` is any file that a backend opens
    (:data:`~mcdenoise.render.backends.BACKENDS`): a Mitsuba 3 scene file, or a Blender ``.blend``
    (rendered with Cycles; needs ``pip install 'mcdenoise[blender]'``). ``replay`` off renders
    with plain calls instead of replaying traced ones, where the renderer replays them (the same
    images; for timing). Raises :class:`ConfigError`, :class:`JobError`, :class:`SceneError` or
    :class:`OutputError` with a message naming the problem.
    """

    def __init__(self, scene_path, out_dir, job: PairJob, replay: bool = True):
        job.check()
        self.job, self.out_dir, self.replay = job, out_dir, replay
        self.scene_path = Path(scene_path).resolve()
        #: The open scene: the backend that renders it.
        self.scene = open_scene(self.scene_path, job, replay)
        self.cameras = _Cameras(self.scene.camera(), self.scene, job)
        self.width, self.height = resolve_size(self.scene.resolution(), job.size, job.pixels)
        #: The manifest, once :meth:`items` has begun: every finished frame.
        self.manifest: Manifest | None = None

    def settings(self) -> RenderSettings:
        """The job's settings as its manifest and every frame's header record them."""
        return _image_settings(self.job, self.scene_path, file_sha256(self.scene_path), self.width, self.height)

    def render(self, view: int, pair: int | None, settings: RenderSettings) -> ItemFrames:
        """Render one work item: pair ``pair`` of ``view`` (None: the view's reference), as file
        name -> (manifest record, frame). A frame of a sequence carries its motion to the frame before.
        Its pixels depend only on the job, the view and the pair, not on what this object rendered before."""
        job = self.job
        camera = self.cameras(view)
        frames = self.scene.render(WorkItem(view, pair, camera), settings)
        if job.path:  # each frame of a sequence carries its motion to the frame before
            depth = next(iter(frames.values()))[1].channels[DEPTH[0]]
            motion = motion_to_previous(depth, camera, self.cameras(max(view - 1, 0)), self.width, self.height)
            frames = {name: (record, _with_channels(frame, motion)) for name, (record, frame) in frames.items()}
        return frames

    def items(self, show_progress: bool = False, views: Iterable[int] | None = None, farm=None) -> Iterator[RenderedItem]:
        """Render every pair (and reference) that an earlier run with the same settings did not
        finish, in order of view, yielding each as soon as it is rendered; ``views`` limits the work
        to those views of the job (a later run can render the rest). Each item's EXR files
        are written on a thread while the next renders, and an item enters the manifest only once
        all of its files are complete; the folder is locked while this runs.

        ``farm`` (:class:`mcdenoise.render.farm.RayFarm`) renders the items on a Ray cluster
        instead of here; they arrive in the same order, and this process writes them as it would
        its own, so the folder is the same byte for byte."""
        job = self.job
        chosen = sorted(set(range(job.views) if views is None else views))
        if chosen and not 0 <= chosen[0] <= chosen[-1] < job.views:
            raise ConfigError(f"the {{views}} to render must lie in 0 to {job.views - 1}, not {chosen[0]} to {chosen[-1]}", "views")
        out = ensure_writable_directory(self.out_dir)
        with DirectoryLock(out):
            remove_stale_partials(out)  # left by a run that was killed mid-write
            settings = self.settings()
            manifest = self.manifest = start_or_resume(out, settings)
            work = []
            for view in chosen:
                for pair in range(job.pairs):
                    if not all(manifest.is_finished(out, frame_name(view, pair, side)) for side in ("a", "b")):
                        work.append((view, pair))
                if job.reference_spp and not manifest.is_finished(out, frame_name(view, None, "ref"), job.reference_spp):
                    work.append((view, None))
            total = len(chosen) * (job.pairs + (1 if job.reference_spp else 0))
            progress = Progress(total, f"render-pairs {self.scene_path.parent.name}", enabled=show_progress)
            progress.done = total - len(work)
            saved = ManifestSaver(out, manifest)
            rendered = farm.render(self, work, settings) if farm else self._render_here(work, settings)
            try:
                with progress, ThreadPoolExecutor(max_workers=1) as writer:
                    pending = None
                    for view, pair, frames in rendered:
                        camera = self.cameras(view)
                        manifest.cameras[view] = asdict(camera)
                        # Training data is written once and read often: uncompressed.
                        writes = [writer.submit(write_exr, out / name, frame, compress=False) for name, (_, frame) in frames.items()]
                        if pending:
                            _record_written(saved, progress, *pending)
                        records = {name: record for name, (record, _) in frames.items()}
                        pending = (writes, records, f"view {view}" + (" reference" if pair is None else f" pair {pair}"))
                        yield RenderedItem(view, pair, camera, {name: frame for name, (_, frame) in frames.items()})
                    if pending:
                        _record_written(saved, progress, *pending)
            finally:
                rendered.close()  # a farm cancels what it has not delivered
                saved.write()  # every finished item, also after an error or an interrupt

    def _render_here(self, work: list, settings: RenderSettings) -> Iterator[tuple[int, int | None, ItemFrames]]:
        """(view, pair, frames) of each work item, rendered in this process."""
        for view, pair in work:
            yield view, pair, self.render(view, pair, settings)


def render_pairs(
    scene_path,
    out_dir,
    job: PairJob,
    show_progress: bool = False,
    replay: bool = True,
    views: Iterable[int] | None = None,
    farm=None,
) -> Manifest:
    """Render ``job.views`` x ``job.pairs`` pairs (plus optional references) into ``out_dir``
    (:class:`PairRendering`), or those of ``views`` only; finished pairs from an earlier run with
    the same settings are skipped. ``farm`` (:class:`mcdenoise.render.farm.RayFarm`) renders them
    on a Ray cluster. Returns the manifest."""
    rendering = PairRendering(scene_path, out_dir, job, replay)
    for _ in rendering.items(show_progress, views, farm):
        pass
    return rendering.manifest


def _with_channels(frame: Frame, channels: dict) -> Frame:
    return Frame({**frame.channels, **channels}, frame.attributes)


def _record_written(saved: ManifestSaver, progress: Progress, writes, records: dict[str, FrameRecord], note: str) -> None:
    """Wait for a pair's files (raising the error of a failed write), then enter it in the manifest."""
    for write in writes:
        write.result()
    saved.record(records)
    progress.advance(note=note)
