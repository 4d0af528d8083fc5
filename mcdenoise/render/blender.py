"""Rendering the frames of a Blender scene with Cycles on the CPU, through ``bpy``: the
render-pairs backend of ``.blend`` files (:class:`BlenderBackend`).

``pip install 'mcdenoise[blender]'`` brings Blender 5.0 as a Python module. A
``.blend`` file is opened once and rendered as :class:`BlenderRenderer` is asked,
like the Mitsuba renderer (:mod:`mcdenoise.render.renderer`): ``move(camera)``,
then ``frame(spp, seed)``, one render with ``scene.cycles.seed`` set. Unlike
Mitsuba's pairs, each frame keeps the features of its own render, as a Blender
frame has them when it is denoised; the other frame of the pair, the target, has
independent samples, so its noise is still independent of the input's, and a pair
costs two renders. Neither the emission split nor sequences render from a ``.blend`` yet.

What each render is set to (the rest is the scene's own):
- Cycles on the CPU, Cycles' own denoiser off, adaptive sampling off, the seed not
  animated; the resolution asked for at 100 %; only the first enabled view layer.
- The pixel filter: box (``pixel_filter_type = 'BOX'``, 1 px) or the scene's own.
  Cycles importance-samples its filter, so either way each pixel's noise is its own.
- The sampling pattern is the scene's own: its noise is what a model should learn.
- The features are Cycles' denoising data passes, as Blender users' own frames carry
  them and as ``apply`` reads them (:mod:`mcdenoise.io.layout`): ``Denoising Albedo``
  (Cycles' albedo: the diffuse and glossy colour, that of what a mirror reflects, and
  more than 1 on emitters), ``Denoising Normal`` (camera space: x right, y up, z into
  the scene; Mitsuba's normals are world space, so models fine-tuned on one do not carry
  to the other's normals) and ``Denoising Depth`` (distance along the ray from the near
  clip plane, 0 where the ray misses).

Each render is written by Blender as a multilayer EXR into a temporary folder
(``use_exr_interleave``: one part; Blender 5 otherwise writes a part per pass) and
read back, since bpy gives no pass pixels without a file.
"""

import math
import tempfile
from pathlib import Path

import numpy as np

from mcdenoise.config import PairJob
from mcdenoise.errors import ConfigError, SceneError
from mcdenoise.features import ALBEDO, COLOR, DEPTH, NORMAL
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.pairs_dir import FrameRecord, RenderSettings, frame_attributes
from mcdenoise.native_output import captured_native_output
from mcdenoise.render.backend import ItemFrames, WorkItem
from mcdenoise.render.scene import Camera

#: The version of Blender that mcdenoise is tested with (the ``[blender]`` extra pins it).
BLENDER_VERSION = "5.0.1"
_INSTALL = "rendering a .blend needs Blender as a Python module: pip install 'mcdenoise[blender]' (bpy 5.0.1, Python 3.11)"
#: Where each feature comes from: the pass of the view layer and its components.
FEATURE_PASSES = {ALBEDO: ("Denoising Albedo", "RGB"), NORMAL: ("Denoising Normal", "XYZ"), DEPTH: ("Denoising Depth", "Z")}


def last_line(error: Exception) -> str:
    """The last non-empty line of a Blender error: the one that says what went wrong."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def import_bpy():
    """The ``bpy`` module, or :class:`SceneError` saying what to install."""
    try:
        with captured_native_output():
            import bpy
    except ImportError:
        raise SceneError(_INSTALL) from None
    return bpy


class BlenderBounds:
    """The bounding box of a Blender scene's mesh objects, as :func:`mcdenoise.render.scene.jitter_camera` reads it."""

    def __init__(self, low, high):
        self.min, self.max = low, high


class BlenderScene:
    """An open ``.blend``: its resolution, camera and bounds (``bbox()``, as a Mitsuba scene has)."""

    def __init__(self, path: Path):
        bpy = import_bpy()
        if not path.is_file():
            raise SceneError(f"{path}: no such file")
        try:
            with captured_native_output():
                bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
        except RuntimeError as error:
            raise SceneError(f"{path}: Blender could not open it ({last_line(error)})") from None
        self.bpy, self.path = bpy, path
        self.scene = bpy.context.scene
        if self.scene.camera is None or self.scene.camera.type != "CAMERA":
            raise SceneError(f"{path}: the scene has no camera")
        if self.scene.camera.data.type != "PERSP":
            raise SceneError(f"{path}: only perspective cameras are supported (the scene's camera is {self.scene.camera.data.type})")
        layers = [layer.name for layer in self.scene.view_layers if layer.use]
        if not layers:
            raise SceneError(f"{path}: no view layer is enabled for rendering")
        self.layer = layers[0]

    def resolution(self) -> tuple[int, int]:
        """(width, height) of the scene's own output, its percentage applied."""
        render = self.scene.render
        scale = render.resolution_percentage / 100
        return max(1, round(render.resolution_x * scale)), max(1, round(render.resolution_y * scale))

    def camera(self) -> Camera:
        """The scene camera's pose and horizontal field of view (at the scene's own aspect ratio)."""
        camera = self.scene.camera
        width, height = self.resolution()
        data = camera.data
        fov = data.angle if data.sensor_fit == "AUTO" and width >= height else data.angle_x
        return Camera(
            tuple(tuple(float(x) for x in row) for row in camera.matrix_world),
            math.degrees(fov),
            float(data.clip_start),
            float(data.clip_end),
        )

    def bbox(self) -> BlenderBounds:
        """The box around every mesh object's corners, in world space."""
        corners = [
            np.array(obj.matrix_world, dtype=np.float64) @ np.array([*corner, 1.0])
            for obj in self.scene.objects
            if obj.type == "MESH"
            for corner in obj.bound_box
        ]
        if not corners:
            return BlenderBounds((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
        points = np.array(corners)[:, :3]
        return BlenderBounds(tuple(points.min(0)), tuple(points.max(0)))


class BlenderRenderer:
    """Color and feature renders of one Blender scene, from cameras that move from view to view."""

    def __init__(self, scene: BlenderScene, width: int, height: int, pixel_filter: str = "box"):
        self.scene = scene
        self._folder = tempfile.TemporaryDirectory(prefix="mcdenoise-blender-")
        self._configure(width, height, pixel_filter)

    def _configure(self, width: int, height: int, pixel_filter: str) -> None:
        scene = self.scene.scene
        render, cycles = scene.render, scene.cycles
        render.engine = "CYCLES"
        cycles.device = "CPU"
        render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
        render.use_border = False
        render.use_multiview = False
        render.use_compositing = False  # a compositor adds its own layer, ahead of the view layer
        cycles.use_adaptive_sampling = False
        cycles.use_animated_seed = False
        cycles.use_denoising = False
        if pixel_filter == "box":
            cycles.pixel_filter_type = "BOX"
        for layer in scene.view_layers:
            layer.use = layer.name == self.scene.layer  # by name: bpy gives a new wrapper on each access
        layer = scene.view_layers[self.scene.layer]
        layer.use_pass_combined = True
        layer.cycles.denoising_store_passes = True
        image = render.image_settings
        if hasattr(image, "media_type"):  # Blender 5: the media type before the file format (4.x has none)
            image.media_type = "MULTI_LAYER_IMAGE"
        image.file_format = "OPEN_EXR_MULTILAYER"
        image.color_depth = "32"
        image.exr_codec = "NONE"
        image.use_exr_interleave = True
        render.use_file_extension = False

    def move(self, camera: Camera) -> None:
        """Render from ``camera`` from now on."""
        from mathutils import Matrix

        self.scene.scene.camera.matrix_world = Matrix(camera.to_world)

    def _render(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Every channel of one render, by Blender's names."""
        if spp < 1:
            raise SceneError(f"samples per pixel must be at least 1, not {spp}")
        scene = self.scene.scene
        scene.cycles.samples = int(spp)
        scene.cycles.seed = int(seed) % (2**31 - 1)
        path = Path(self._folder.name) / "render.exr"
        scene.render.filepath = str(path)
        try:
            with captured_native_output():
                self.scene.bpy.ops.render.render(write_still=True)
        except RuntimeError as error:
            raise SceneError(f"{self.scene.path}: Cycles failed to render ({last_line(error)})") from None
        if not path.is_file():
            raise SceneError(f"{self.scene.path}: Cycles wrote no image (is the scene's camera or view layer unusable?)")
        return read_exr(path).channels

    def _pass(self, channels: dict, name: str, components: str) -> list[np.ndarray]:
        names = [f"{self.scene.layer}.{name}.{c}" for c in components]
        missing = [n for n in names if n not in channels]
        if missing:
            raise SceneError(f"{self.scene.path}: Cycles wrote no {', '.join(missing)}; found {', '.join(sorted(channels))}")
        return [np.ascontiguousarray(channels[n]) for n in names]

    def frame(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """R, G, B and the albedo, normal and depth of its denoising data passes, all from one
        render at ``spp`` with ``seed``: a frame as Blender's own output has it."""
        channels = self._render(spp, seed)
        out = dict(zip(COLOR, self._pass(channels, "Combined", "RGB"), strict=True))
        for names, (blender_pass, components) in FEATURE_PASSES.items():
            out.update(zip(names, self._pass(channels, blender_pass, components), strict=True))
        return out

    def color(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """R, G, B of a render at ``spp`` with ``seed``."""
        frame = self.frame(spp, seed)
        return {name: frame[name] for name in COLOR}


class BlenderBackend:
    """A ``.blend`` as a render-pairs backend (:class:`~mcdenoise.render.backend.SceneBackend`):
    each frame one Cycles render, with the features of its own render."""

    #: What renders the frames, as each frame's record names it.
    variant = f"cycles-cpu (Blender {BLENDER_VERSION})"

    def __init__(self, path: Path, job: PairJob):
        self.job = job
        self.scene = BlenderScene(path)
        self._camera = self.scene.camera()  # before any render moves it
        self._renderer: BlenderRenderer | None = None  # made at the job's size on the first render

    @classmethod
    def opens(cls, path: Path) -> bool:
        """Whether ``path`` is a ``.blend``."""
        return path.suffix == ".blend"

    @classmethod
    def check(cls, job: PairJob) -> None:
        """Raise :class:`ConfigError` for the emission split or a sequence, which Mitsuba alone renders."""
        if job.writes_emission_split:
            raise ConfigError("{emission_split} is for Mitsuba scenes; a .blend renders without it", "emission_split")
        if job.path:
            raise ConfigError("sequences ({path}) are rendered from Mitsuba scenes only, not yet from a .blend", "path")

    @classmethod
    def open(cls, path: Path, job: PairJob, replay: bool = True) -> "BlenderBackend":
        """Open the ``.blend`` in Blender (``replay`` means nothing to Cycles)."""
        return cls(path, job)

    def resolution(self) -> tuple[int, int]:
        """(width, height) of the scene's own output, its percentage applied."""
        return self.scene.resolution()

    def camera(self) -> Camera:
        """The scene camera as the file has it."""
        return self._camera

    def bbox(self) -> BlenderBounds:
        """The box around every mesh object's corners, in world space."""
        return self.scene.bbox()

    def render(self, item: WorkItem, settings: RenderSettings) -> ItemFrames:
        """A pair's A and B, or a view's reference: a render each, with its own seed and features."""
        job = self.job
        if self._renderer is None:
            self._renderer = BlenderRenderer(self.scene, settings.width, settings.height, job.pixel_filter)
        self._renderer.move(item.camera)
        frames = {}
        for side in item.sides:
            seed = item.seed(job, side)
            record = FrameRecord(item.view, item.pair, side, seed, seed, item.spp(job), self.variant)
            frames[record.name] = (record, Frame(self._renderer.frame(record.spp, seed), frame_attributes(record, settings)))
        return frames
