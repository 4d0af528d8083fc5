"""Rendering frames of a Mitsuba 3 scene with auxiliary features.

Any ``scene.xml`` works whatever its resolution parameters are called: the
scene is loaded as written, and mcdenoise renders through a sensor of its own
that copies the scene camera's pose and field of view, with the film we need
(chosen size, box or the scene's own pixel filter, float32). Color comes from
the scene's own integrator; the AOVs from a separate, cheap pass of Mitsuba's
``aov`` integrator. :class:`FrameRenderer` renders many views of one scene,
replaying its render calls on the JIT variants instead of tracing each again.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcdenoise.errors import SceneError
from mcdenoise.features import ALBEDO, COLOR, DEPTH, NORMAL
from mcdenoise.io.exr import Frame
from mcdenoise.render.variants import set_variant

#: Mitsuba ``aov`` integrator entry of each auxiliary feature (features.AUX_CHANNELS order).
AOV_SOURCES = {"albedo": "albedo:albedo", "normal": "normal:sh_normal", "depth": "depth:depth"}
_SIZE_MULTIPLE = 8
#: Sampler of the emission pass: the light seen directly only needs each pixel's coverage, which
#: stratified samples measure far better than independent ones (benchmarks/NOTES.md, session 10).
EMISSION_SAMPLER = "multijitter"
#: Whether :class:`FrameRenderer` replays render calls on the JIT variants (benchmarks turn it off to compare).
REPLAY_RENDER_CALLS = True


@dataclass(frozen=True)
class Camera:
    """A pinhole camera pose: 4x4 camera-to-world matrix and horizontal field of view."""

    to_world: tuple[tuple[float, ...], ...]
    x_fov: float
    near_clip: float
    far_clip: float


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__


def load_scene(path, variant: str = "auto"):
    """Load a Mitsuba scene file with a working variant; returns (scene, variant).

    Raises :class:`SceneError` naming the file when it is missing, does not
    parse, references missing files or unknown plugins, or has no sensor.
    """
    path = Path(path)
    if not path.is_file():
        raise SceneError(f"{path}: no such scene file")
    variant = set_variant(variant)
    import mitsuba as mi

    try:
        scene = mi.load_file(str(path))
    except Exception as error:  # Mitsuba raises RuntimeError with a multi-line trace
        raise SceneError(f"{path}: Mitsuba could not load the scene: {_first_line(error)}") from None
    if not scene.sensors():
        raise SceneError(f"{path}: the scene has no sensor (camera) to render from")
    return scene, variant


def scene_camera(scene, path="scene") -> Camera:
    """The pose and field of view of the scene's first sensor."""
    import mitsuba as mi

    params = mi.traverse(scene.sensors()[0])
    if "x_fov" not in params or "to_world" not in params:
        raise SceneError(f"{path}: only perspective cameras are supported (the scene's sensor has no field of view)")
    matrix = np.array(params["to_world"].matrix, dtype=np.float64).reshape(4, 4)
    return Camera(
        to_world=tuple(tuple(float(x) for x in row) for row in matrix),
        x_fov=float(np.array(params["x_fov"]).ravel()[0]),
        near_clip=float(np.array(params["near_clip"]).ravel()[0]),
        far_clip=float(np.array(params["far_clip"]).ravel()[0]),
    )


def scene_resolution(scene) -> tuple[int, int]:
    """(width, height) of the scene's own film."""
    size = scene.sensors()[0].film().size()
    return int(size[0]), int(size[1])


def resolve_size(native: tuple[int, int], size: tuple[int, int] | None = None, pixels: int | None = None) -> tuple[int, int]:
    """The film size to render: ``size`` as given, about ``pixels`` pixels at the
    scene's aspect ratio (each side a multiple of 8), or the native size."""
    if size is not None:
        width, height = size
        if width < 1 or height < 1:
            raise SceneError(f"image size {width}x{height} must be at least 1x1")
        return int(width), int(height)
    if pixels is not None:
        if pixels < _SIZE_MULTIPLE * _SIZE_MULTIPLE:
            raise SceneError(f"--pixels {pixels} is too small; use at least {_SIZE_MULTIPLE * _SIZE_MULTIPLE}")
        aspect = native[0] / native[1]
        width = math.sqrt(pixels * aspect)
        height = width / aspect
        snap = lambda v: max(_SIZE_MULTIPLE, int(round(v / _SIZE_MULTIPLE)) * _SIZE_MULTIPLE)  # noqa: E731
        return snap(width), snap(height)
    return native


def jitter_camera(camera: Camera, scene, amount: float, rng: np.random.Generator) -> Camera:
    """A small random move of ``camera``: its position shifts by up to ``amount``
    times the distance to the scene's centre, and it turns by up to
    ``amount`` radians, so views stay close to the scene's own framing."""
    matrix = np.array(camera.to_world)
    origin = matrix[:3, 3]
    bbox = scene.bbox()
    centre = (np.array(bbox.min, dtype=np.float64) + np.array(bbox.max, dtype=np.float64)) / 2
    distance = float(np.linalg.norm(centre - origin))
    if not math.isfinite(distance) or distance <= 0:
        distance = 1.0
    shift = rng.uniform(-1.0, 1.0, 3) * amount * distance
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    rotation = _axis_angle(axis, rng.uniform(-amount, amount))
    moved = matrix.copy()
    moved[:3, :3] = rotation @ matrix[:3, :3]
    moved[:3, 3] = origin + shift
    return Camera(tuple(tuple(float(x) for x in row) for row in moved), camera.x_fov, camera.near_clip, camera.far_clip)


def _axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)


def make_sensor(scene, camera: Camera, width: int, height: int, pixel_filter: str = "box", sampler: str = "independent"):
    """A perspective sensor at ``camera`` with a float32 RGB film of the given size.

    ``pixel_filter`` is ``box`` or ``scene`` (the scene film's own filter); ``sampler`` a Mitsuba
    sampler plugin (``independent`` for the noisy frames: their noise is what Noise2Noise learns).
    """
    import mitsuba as mi

    if pixel_filter == "box":
        rfilter = {"type": "box"}
    elif pixel_filter == "scene":
        rfilter = scene.sensors()[0].film().rfilter()
    else:
        raise SceneError(f"unknown pixel filter {pixel_filter!r}; choose box or scene")
    return mi.load_dict(
        {
            "type": "perspective",
            "fov": camera.x_fov,
            "fov_axis": "x",
            "near_clip": camera.near_clip,
            "far_clip": camera.far_clip,
            "to_world": mi.ScalarTransform4f(np.array(camera.to_world)),
            "sampler": {"type": sampler},
            "film": {
                "type": "hdrfilm",
                "width": int(width),
                "height": int(height),
                "rfilter": rfilter,
                "pixel_format": "rgb",
                "component_format": "float32",
            },
        }
    )


def feature_integrator():
    """Mitsuba's ``aov`` integrator with only the auxiliary features (no light transport)."""
    import mitsuba as mi

    return mi.load_dict({"type": "aov", "aovs": ",".join(AOV_SOURCES.values())})


def _render(scene, sensor, spp: int, seed: int, integrator=None) -> np.ndarray:
    import mitsuba as mi

    if spp < 1:
        raise SceneError(f"samples per pixel must be at least 1, not {spp}")
    try:
        return np.array(mi.render(scene, sensor=sensor, integrator=integrator, spp=int(spp), seed=int(seed)), dtype=np.float32)
    except Exception as error:
        raise SceneError(f"Mitsuba failed to render: {_first_line(error)}") from None


def render_color(scene, sensor, spp: int, seed: int) -> dict[str, np.ndarray]:
    """Radiance channels (R, G, B) of one frame, rendered with the scene's own integrator.

    Distinct seeds are needed for independent images: Mitsuba's own default
    is seed 0 for every call.
    """
    return _color_channels(_render(scene, sensor, spp, seed))


def render_features(scene, sensor, spp: int, seed: int, integrator=None) -> dict[str, np.ndarray]:
    """Albedo, normal and depth channels of one frame, from primary rays only.

    A pass of its own costs a small fraction of a light-transport render,
    where wrapping the scene's integrator in the ``aov`` integrator would
    nearly double every frame's cost. Pass ``integrator`` (from
    :func:`feature_integrator`) to reuse one across frames.
    """
    return _feature_channels(_render(scene, sensor, spp, seed, integrator or feature_integrator()))


def render_color_split(scene, sensor, spp: int, seed: int, integrator=None) -> dict[str, np.ndarray]:
    """:func:`render_color`'s channels (the same samples) plus the emission seen in them
    (:data:`mcdenoise.render.emission.SEEN_EMISSION`). Pass ``integrator`` (from
    :func:`mcdenoise.render.emission.split_integrator`) to reuse one across frames."""
    from mcdenoise.render.emission import split_channels, split_integrator

    return split_channels(_render(scene, sensor, spp, seed, integrator or split_integrator(scene)))


def render_emission(scene, sensor, spp: int, seed: int, integrator=None) -> dict[str, np.ndarray]:
    """First-hit emission alone (:data:`mcdenoise.render.emission.EMISSION_MEAN`), from camera rays only
    (:class:`FrameRenderer` renders it through a sensor with the :data:`EMISSION_SAMPLER`)."""
    from mcdenoise.render.emission import emission_integrator, emission_mean_channels

    return emission_mean_channels(_render(scene, sensor, spp, seed, integrator or emission_integrator()))


def _color_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(COLOR)}


def _feature_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    names = ALBEDO + NORMAL + DEPTH
    if data.shape[-1] != len(names):
        raise SceneError(f"expected {len(names)} channels from the aov integrator, got {data.shape[-1]}")
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(names)}


class FrameRenderer:
    """Color and feature passes of one scene, through sensors that move from view to view.

    The images are those of :func:`render_color` and :func:`render_features` with a
    sensor of their own (the same samples, to float rounding). On the JIT variants (LLVM,
    CUDA) each kind of render call (color or features, at a given spp) is traced a few
    times and then replayed for new seeds and camera poses (``drjit.freeze``), which saves
    the tracing that every plain ``mitsuba.render`` call repeats. Each kind has a sensor of
    its own, since a render leaves its sample count and film channels in the sensor and a
    change of them would force a new trace. Should a replay ever fail, that pass goes on
    with plain calls.
    """

    def __init__(self, scene, camera: Camera, width: int, height: int, pixel_filter: str = "box", freeze: bool | None = None):
        import mitsuba as mi

        self.scene = scene
        self.features_by = feature_integrator()
        self._split_by = self._emission_by = None  # made on first use
        self._sensor_args = (width, height, pixel_filter)
        self._camera = camera
        freeze = REPLAY_RENDER_CALLS if freeze is None else freeze
        self._freeze = freeze and mi.variant().startswith(("llvm_", "cuda_"))
        self._passes: dict[tuple[str, int], list] = {}  # (kind, spp) -> [sensor, its parameters, frozen render or None]

    @property
    def recordings(self) -> int:
        """How many times render calls were traced for replay (0: plain calls only)."""
        return sum(frozen.n_recordings for _, _, frozen in self._passes.values() if frozen is not None)

    def move(self, camera: Camera) -> None:
        """Point every sensor at ``camera`` (pose, field of view and clip planes)."""
        import mitsuba as mi

        if camera == self._camera:
            return
        for _, params, _ in self._passes.values():
            params["to_world"] = mi.Transform4f(np.array(camera.to_world))
            for key in ("x_fov", "near_clip", "far_clip"):
                if getattr(camera, key) != getattr(self._camera, key):
                    params[key] = getattr(camera, key)
            params.update()
        self._camera = camera

    def color(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Radiance channels (R, G, B), as :func:`render_color`."""
        return _color_channels(self._render("color", spp, seed, None))

    def features(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Albedo, normal and depth channels, as :func:`render_features`."""
        return _feature_channels(self._render("features", spp, seed, self.features_by))

    def color_split(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Color and the emission seen in its samples, as :func:`render_color_split`."""
        from mcdenoise.render.emission import split_channels, split_integrator

        if self._split_by is None:
            self._split_by = split_integrator(self.scene)
        return split_channels(self._render("color_split", spp, seed, self._split_by))

    def emission(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """First-hit emission alone, as :func:`render_emission`."""
        from mcdenoise.render.emission import emission_integrator, emission_mean_channels

        if self._emission_by is None:
            self._emission_by = emission_integrator()
        return emission_mean_channels(self._render("emission", spp, seed, self._emission_by))

    def _render(self, kind: str, spp: int, seed: int, integrator) -> np.ndarray:
        import drjit as dr
        import mitsuba as mi

        if (kind, spp) not in self._passes:
            sampler = EMISSION_SAMPLER if kind == "emission" else "independent"
            sensor = make_sensor(self.scene, self._camera, *self._sensor_args, sampler=sampler)
            frozen = dr.freeze(_frozen_render) if self._freeze and spp >= 1 else None
            self._passes[kind, spp] = [sensor, mi.traverse(sensor), frozen]
        entry = self._passes[kind, spp]
        sensor, _, frozen = entry
        if frozen is not None:
            try:
                return np.array(frozen(self.scene, sensor, integrator, int(spp), mi.UInt32(int(seed))), dtype=np.float32)
            except Exception:
                entry[2] = None  # a scene that cannot be replayed: plain calls for this pass from now on
        return _render(self.scene, sensor, spp, seed, integrator)


def _frozen_render(scene, sensor, integrator, spp, seed):
    import mitsuba as mi

    return mi.render(scene, sensor=sensor, integrator=integrator, spp=spp, seed=seed)


def render_frame(scene, sensor, spp: int, seed: int, feature_seed: int) -> Frame:
    """Color (seed ``seed``) and auxiliary features (seed ``feature_seed``) of one frame."""
    return Frame(channels={**render_color(scene, sensor, spp, seed), **render_features(scene, sensor, spp, feature_seed)})
