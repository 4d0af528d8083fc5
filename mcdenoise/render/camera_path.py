"""Camera moves of a sequence (``mcdenoise render-sequence``): where the camera is at each frame.

A move starts at the scene's own camera (frame 0 is exactly it) and ends after
``frames - 1`` steps:

- ``still``: every frame is the scene's camera (a turntable-style shot, or a still
  frame re-rendered with new seeds);
- ``orbit``: the camera turns by :attr:`~mcdenoise.config.CameraPath.degrees` in all
  around the vertical axis through its target, still looking at it;
- ``dolly``: the camera moves towards its target by
  :attr:`~mcdenoise.config.CameraPath.dolly` of the distance;
- a keyframes file (JSON, see :func:`read_keyframes`): the frames are spread evenly
  from the first key to the last, each pose interpolated between its two keys.

The target is the point on the camera's line of sight nearest the centre of the
scene's bounding box, and the vertical axis is the camera's own up direction.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcdenoise.config import CameraMove as _Move
from mcdenoise.config import CameraPath, choices
from mcdenoise.errors import ConfigError
from mcdenoise.render.scene import Camera


@dataclass(frozen=True)
class Keyframe:
    """A camera pose of a keyframes file: eye position, the point looked at, up, and horizontal field of view."""

    origin: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float]
    x_fov: float | None = None  # None: the scene camera's


def look_at(origin, target, up) -> np.ndarray:
    """The 4x4 camera-to-world matrix of a camera at ``origin`` looking at ``target``, as Mitsuba builds
    it: columns left, up, forward (+z, into the scene) and the position."""
    origin, target, up = (np.asarray(v, dtype=np.float64) for v in (origin, target, up))
    forward = target - origin
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    if np.linalg.norm(left) < 1e-9:
        raise ConfigError(f"{{path}}: the camera at {origin.tolist()} looks along its own up direction {up.tolist()}", "path")
    left /= np.linalg.norm(left)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = left, np.cross(forward, left), forward, origin
    return matrix


def read_keyframes(path: Path) -> list[Keyframe]:
    """The keyframes of a JSON file: a list (or ``{"keyframes": [...]}``) of at least two objects with
    ``origin`` and ``target`` (3 numbers each), and optionally ``up`` (default ``[0, 1, 0]``) and ``fov``
    (horizontal degrees; default the scene camera's). Raises :class:`ConfigError` naming the file."""
    where = f"{{path}} {path}"
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such keyframes file; choose {', '.join(choices(_Move))} or a keyframes JSON file", "path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{where}: the keyframes file cannot be read ({error})", "path") from None
    keys = data.get("keyframes") if isinstance(data, dict) else data
    if not isinstance(keys, list) or len(keys) < 2:
        raise ConfigError(f"{where}: a keyframes file needs a list of at least two keyframes", "path")
    frames = []
    for index, key in enumerate(keys):

        def vector(name, default=None, key=key, index=index):
            value = key.get(name, default) if isinstance(key, dict) else None
            if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int | float) for v in value)):
                raise ConfigError(f"{where}, keyframe {index}: '{name}' must be a list of 3 numbers", "path")
            return tuple(float(v) for v in value)

        fov = key.get("fov") if isinstance(key, dict) else None
        if fov is not None and not (isinstance(fov, int | float) and 0 < fov < 180):
            raise ConfigError(f"{where}, keyframe {index}: 'fov' must be a number of degrees between 0 and 180", "path")
        frame = Keyframe(vector("origin"), vector("target"), vector("up", [0.0, 1.0, 0.0]), None if fov is None else float(fov))
        look_at(frame.origin, frame.target, frame.up)  # a pose that cannot be built is an error here, not mid-sequence
        frames.append(frame)
    return frames


def target_of(camera: Camera, centre) -> np.ndarray:
    """The point on the camera's line of sight nearest ``centre`` (at least the near clip plane ahead)."""
    matrix = np.array(camera.to_world)
    origin, forward = matrix[:3, 3], matrix[:3, 2] / np.linalg.norm(matrix[:3, 2])
    along = float(np.dot(np.asarray(centre, dtype=np.float64) - origin, forward))
    if not math.isfinite(along) or along <= camera.near_clip:
        along = 1.0
    return origin + along * forward


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)


def _camera(matrix: np.ndarray, base: Camera, x_fov: float | None = None) -> Camera:
    pose = tuple(tuple(float(x) for x in row) for row in matrix)
    return Camera(pose, base.x_fov if x_fov is None else x_fov, base.near_clip, base.far_clip)


def camera_at(path: CameraPath, base: Camera, centre, frame: int, frames: int, keyframes: list[Keyframe] | None = None) -> Camera:
    """The camera of ``frame`` (0 to ``frames - 1``) of a sequence that moves along ``path``, starting
    at ``base``, the scene's camera; ``centre`` is the middle of the scene's bounding box, and
    ``keyframes`` the poses of a keyframes ``path`` (:func:`read_keyframes`)."""
    progress = frame / (frames - 1) if frames > 1 else 0.0
    matrix = np.array(base.to_world, dtype=np.float64)
    if path.move == "still":
        return base
    if path.move == "orbit":
        target = target_of(base, centre)
        turn = _rotation(matrix[:3, 1], math.radians(path.degrees * progress))
        moved = matrix.copy()
        moved[:3, :3] = turn @ matrix[:3, :3]
        moved[:3, 3] = target + turn @ (matrix[:3, 3] - target)
        return _camera(moved, base)
    if path.move == "dolly":
        target = target_of(base, centre)
        moved = matrix.copy()
        moved[:3, 3] = matrix[:3, 3] + path.dolly * progress * (target - matrix[:3, 3])
        return _camera(moved, base)
    if not keyframes:
        raise ConfigError(f"{{path}} {path.move!r}: no keyframes were read", "path")
    position = progress * (len(keyframes) - 1)
    index = min(int(position), len(keyframes) - 2)
    weight = position - index
    first, second = keyframes[index], keyframes[index + 1]

    def mix(a, b):
        return (1 - weight) * np.asarray(a, dtype=np.float64) + weight * np.asarray(b, dtype=np.float64)

    fovs = [k.x_fov if k.x_fov is not None else base.x_fov for k in (first, second)]
    return _camera(
        look_at(mix(first.origin, second.origin), mix(first.target, second.target), mix(first.up, second.up)), base, float(mix(*fovs))
    )
