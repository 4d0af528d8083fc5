"""Mitsuba 3 as a render-pairs backend (:class:`~mcdenoise.render.backend.SceneBackend`).

A pair's two frames share one feature pass (features carry no light-transport noise), each
has its own color pass, and with the emission split each also has the emission seen in its
own samples (and, with ``emission_spp``, the pair one emission pass). The renders themselves
are :class:`~mcdenoise.render.renderer.FrameRenderer`'s.
"""

from pathlib import Path

from mcdenoise.config import PairJob
from mcdenoise.io.exr import Frame
from mcdenoise.io.pairs_dir import FrameRecord, RenderSettings, frame_attributes
from mcdenoise.render.backend import ItemFrames, WorkItem
from mcdenoise.render.renderer import FrameRenderer
from mcdenoise.render.scene import Camera, load_scene, scene_camera, scene_resolution


class MitsubaBackend:
    """A Mitsuba 3 scene file, rendered with the variant that the job asks for (or the fastest that works)."""

    def __init__(self, path: Path, job: PairJob, replay: bool = True):
        self.job, self.replay = job, replay
        self.scene, self.variant = load_scene(path, job.variant)
        self._camera = scene_camera(self.scene, path)
        self._renderer: FrameRenderer | None = None  # made at the job's size on the first render

    @classmethod
    def opens(cls, path: Path) -> bool:
        """Any file: Mitsuba reads a scene's XML whatever the file is called (it is asked last)."""
        return True

    @classmethod
    def check(cls, job: PairJob) -> None:
        """Every option of a job renders with Mitsuba."""

    @classmethod
    def open(cls, path: Path, job: PairJob, replay: bool = True) -> "MitsubaBackend":
        """Load the scene file (:func:`~mcdenoise.render.scene.load_scene`)."""
        return cls(path, job, replay)

    def resolution(self) -> tuple[int, int]:
        """(width, height) of the scene's own film."""
        return scene_resolution(self.scene)

    def camera(self) -> Camera:
        """The pose and field of view of the scene's first sensor."""
        return self._camera

    def bbox(self):
        """The scene's bounding box (Mitsuba's)."""
        return self.scene.bbox()

    def render(self, item: WorkItem, settings: RenderSettings) -> ItemFrames:
        """A pair's A and B (with one feature pass between them) or a view's reference."""
        job = self.job
        if self._renderer is None:
            self._renderer = FrameRenderer(self.scene, self._camera, settings.width, settings.height, job.pixel_filter, self.replay)
        renderer = self._renderer
        renderer.move(item.camera)
        spp = item.spp(job)
        feature_seed = item.seed(job, "ref-features" if item.pair is None else "features")
        features = renderer.features(min(spp, job.spp), feature_seed)
        split = job.writes_emission_split  # a reference too: clean targets (N2C) leave its seen emission out as well
        emission_seed = None
        if split and job.emission_spp and item.pair is not None:
            emission_seed = item.seed(job, "emission")
            features = {**features, **renderer.emission(job.emission_spp, emission_seed)}
        frames = {}
        for side in item.sides:
            seed = item.seed(job, side)
            record = FrameRecord(item.view, item.pair, side, seed, feature_seed, spp, self.variant, emission_seed)
            color = renderer.color_split(spp, seed) if split else renderer.color(spp, seed)
            frames[record.name] = (record, Frame({**color, **features}, frame_attributes(record, settings)))
        return frames
