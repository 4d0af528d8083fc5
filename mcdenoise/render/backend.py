"""What render-pairs needs of a renderer: the :class:`SceneBackend` protocol, and the work item
that every backend renders.

A backend is a module of its own with a class that follows the protocol (Mitsuba:
:mod:`mcdenoise.render.mitsuba_backend`; Blender's Cycles: :mod:`mcdenoise.render.blender`),
and one line in :data:`mcdenoise.render.backends.BACKENDS`, which asks each in turn whether
it opens a scene file. The job (:mod:`mcdenoise.render.job`) knows no renderer by name: it
chooses the cameras, writes the frames and keeps the manifest, whatever renders them.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mcdenoise.config import PairJob
from mcdenoise.io.exr import Frame
from mcdenoise.io.pairs_dir import FrameRecord, RenderSettings, frame_seed
from mcdenoise.render.scene import Camera

#: The frames of one work item: file name -> (its manifest record, the frame with its header).
ItemFrames = dict[str, tuple[FrameRecord, Frame]]


@dataclass(frozen=True)
class WorkItem:
    """One work item of a render-pairs job: pair ``pair`` of ``view`` (None: the view's
    reference), seen from ``camera``."""

    view: int
    pair: int | None
    camera: Camera

    @property
    def sides(self) -> tuple[str, ...]:
        """Its frames' sides: A and B of a pair, or the reference."""
        return ("ref",) if self.pair is None else ("a", "b")

    def spp(self, job: PairJob) -> int:
        """The samples per pixel of its frames: the job's, or the reference's."""
        return job.reference_spp if self.pair is None else job.spp

    def seed(self, job: PairJob, side: str) -> int:
        """The seed of a pass of this item (``side`` a frame's side, or another pass's name, such as
        ``features``), which depends only on the job's seed, the view and the pair (:func:`frame_seed`)."""
        return frame_seed(job.seed, self.view, self.pair or 0, side)


class Bounds(Protocol):
    """A scene's bounding box, as camera moves read it: its corners ``min`` and ``max`` (x, y, z)."""

    min: object
    max: object


class SceneBackend(Protocol):
    """A scene file opened by one renderer, to render the work items of a render-pairs job."""

    #: What renders the frames, as each frame's record names it (a Mitsuba variant; Cycles and Blender's version).
    variant: str

    @classmethod
    def opens(cls, path: Path) -> bool:
        """Whether this backend renders the scene file ``path`` (it may judge by its own suffix)."""
        ...

    @classmethod
    def check(cls, job: PairJob) -> None:
        """Raise :class:`~mcdenoise.errors.ConfigError` naming an option of ``job`` that this renderer
        does not render (such as the emission split or a sequence); asked before the scene is opened."""
        ...

    @classmethod
    def open(cls, path: Path, job: PairJob, replay: bool = True) -> "SceneBackend":
        """The scene at ``path``, loaded to render ``job`` (``replay``: replay traced render calls, where
        the renderer can); raises :class:`~mcdenoise.errors.SceneError` naming the file when it cannot."""
        ...

    def resolution(self) -> tuple[int, int]:
        """(width, height) of the scene's own output."""
        ...

    def camera(self) -> Camera:
        """The scene's own camera, as it was opened."""
        ...

    def bbox(self) -> Bounds:
        """The box around the scene's geometry, in world space."""
        ...

    def render(self, item: WorkItem, settings: RenderSettings) -> ItemFrames:
        """The frames of ``item`` at the size and filter of ``settings``, each with its record and its
        header (:func:`~mcdenoise.io.pairs_dir.frame_attributes`). Their pixels depend only on the
        job, the view and the pair, not on what this backend rendered before."""
        ...
