"""A Mitsuba 3 scene as mcdenoise renders it: loading, its camera, camera moves and sensors.

Any ``scene.xml`` works whatever its resolution parameters are called: the scene
is loaded as written, and mcdenoise renders through a sensor of its own that
copies the scene camera's pose and field of view, with the film we need (chosen
size, box or the scene's own pixel filter, float32).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcdenoise.errors import SceneError
from mcdenoise.render.variants import set_variant

#: Mitsuba ``aov`` integrator entry of each auxiliary feature (features.AUX_CHANNELS order).
AOV_SOURCES = {"albedo": "albedo:albedo", "normal": "normal:sh_normal", "depth": "depth:depth"}
_SIZE_MULTIPLE = 8


@dataclass(frozen=True)
class Camera:
    """A pinhole camera pose: 4x4 camera-to-world matrix and horizontal field of view."""

    to_world: tuple[tuple[float, ...], ...]
    x_fov: float
    near_clip: float
    far_clip: float


def first_line(error: Exception) -> str:
    """The last line of a (Mitsuba) error's message: the one that says what went wrong."""
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
        raise SceneError(f"{path}: Mitsuba could not load the scene: {first_line(error)}") from None
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
    """The film size to render: ``size`` as given, else about ``pixels`` pixels at the
    scene's aspect ratio (each side a multiple of 8; at least 64 pixels), else (None or 0) the native size."""
    if size is not None:
        return int(size[0]), int(size[1])
    if pixels:
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
