"""Renderer backends: the job names no renderer, each scene file goes to the backend that opens it,
and a new renderer is one class (here a test's own) and one line in the registry."""

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mcdenoise.config import CameraPath, PairJob
from mcdenoise.errors import ConfigError
from mcdenoise.features import ALL_CHANNELS
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.pairs_dir import FrameRecord, frame_attributes, frame_name, read_manifest, read_pairs_directory
from mcdenoise.render import backends
from mcdenoise.render.blender import BlenderBackend
from mcdenoise.render.job import render_pairs
from mcdenoise.render.mitsuba_backend import MitsubaBackend
from mcdenoise.render.scene import Camera

JOB = Path(__file__).resolve().parent.parent / "mcdenoise" / "render" / "job.py"


class NoiseBackend:
    """A renderer of seeded noise for ``.noise`` files: all that a backend must do."""

    variant = "noise 1.0"

    def __init__(self, job: PairJob):
        self.job = job

    @classmethod
    def opens(cls, path: Path) -> bool:
        return path.suffix == ".noise"

    @classmethod
    def check(cls, job: PairJob) -> None:
        if job.path:
            raise ConfigError("a .noise file renders no {path}", "path")

    @classmethod
    def open(cls, path: Path, job: PairJob, replay: bool = True) -> "NoiseBackend":
        return cls(job)

    def resolution(self) -> tuple[int, int]:
        return 32, 16

    def camera(self) -> Camera:
        return Camera(tuple(tuple(float(i == j) for j in range(4)) for i in range(4)), 40.0, 0.1, 100.0)

    def bbox(self):
        return SimpleNamespace(min=(-1.0, -1.0, 4.0), max=(1.0, 1.0, 6.0))

    def render(self, item, settings):
        frames = {}
        for side in item.sides:
            seed = item.seed(self.job, side)
            record = FrameRecord(item.view, item.pair, side, seed, seed, item.spp(self.job), self.variant)
            rng = np.random.default_rng(seed)
            channels = {name: rng.random((settings.height, settings.width), dtype=np.float32) for name in ALL_CHANNELS}
            frames[record.name] = (record, Frame(channels, frame_attributes(record, settings)))
        return frames


def test_the_job_names_no_renderer():
    tree = ast.parse(JOB.read_text())
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "isinstance" not in names and "suffix" not in attributes
    assert not imported & {"mcdenoise.render.blender", "mcdenoise.render.mitsuba_backend"}


@pytest.mark.parametrize(("name", "backend"), [("box.blend", BlenderBackend), ("scene.xml", MitsubaBackend), ("scene", MitsubaBackend)])
def test_each_scene_file_goes_to_the_first_backend_that_opens_it(name, backend):
    assert next(b for b in backends.BACKENDS if b.opens(Path(name))) is backend


def test_a_new_renderer_is_one_class_and_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "BACKENDS", (NoiseBackend, *backends.BACKENDS))
    scene = tmp_path / "scene.noise"
    scene.write_text("noise")
    job = PairJob(views=2, pairs=2, spp=2, pixels=0, reference_spp=8)
    manifest = render_pairs(scene, tmp_path / "out", job)
    written = read_manifest(tmp_path / "out")
    assert (written.settings, written.frames) == (manifest.settings, manifest.frames)
    assert {record.variant for record in manifest.frames.values()} == {"noise 1.0"}
    assert [len(view.pairs) for view in read_pairs_directory(tmp_path / "out").views] == [2, 2]
    frame = read_exr(tmp_path / "out" / frame_name(1, 0, "a"))
    assert frame.shape == (16, 32) and frame.attributes["mcdenoise.variant"] == "noise 1.0"
    assert manifest.cameras[0] != manifest.cameras[1]  # the job moved the camera, as for any renderer
    with pytest.raises(ConfigError, match="renders no"):
        render_pairs(scene, tmp_path / "sequence", PairJob(views=2, pairs=1, path=CameraPath("orbit")))
    assert not (tmp_path / "sequence").exists()
