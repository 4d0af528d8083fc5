"""The renderers that render-pairs renders scene files with: one module each, one line here.

Each follows :class:`~mcdenoise.render.backend.SceneBackend`. A new renderer is a module
with such a class, and its line in :data:`BACKENDS`.
"""

from pathlib import Path

from mcdenoise.config import PairJob
from mcdenoise.errors import SceneError
from mcdenoise.render.backend import SceneBackend
from mcdenoise.render.blender import BlenderBackend
from mcdenoise.render.mitsuba_backend import MitsubaBackend

#: Asked in this order whether they open a scene file; Mitsuba, which reads any file as its XML, last.
BACKENDS: tuple[type[SceneBackend], ...] = (BlenderBackend, MitsubaBackend)


def open_scene(path: Path, job: PairJob, replay: bool = True) -> SceneBackend:
    """The scene file ``path``, opened by the first backend of :data:`BACKENDS` that opens it, once
    it has checked that it renders every option of ``job``. Raises :class:`ConfigError` for an option
    that it does not render, :class:`SceneError` for a scene that it cannot open."""
    for backend in BACKENDS:
        if backend.opens(path):
            backend.check(job)
            return backend.open(path, job, replay)
    raise SceneError(f"{path}: no renderer opens this scene file")
