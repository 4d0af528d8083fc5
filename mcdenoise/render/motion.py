"""Screen-space motion of a sequence's frames: where each pixel's first hit was in the frame before.

Mitsuba 3 has no motion-vector output, so the motion is reprojection: each pixel's
first hit, found from the camera and the pixel's depth (distance along its ray from
the near clip plane, as Mitsuba's ``aov`` integrator writes it), is projected through
the previous frame's camera. Where the ray hits nothing, its direction alone is
reprojected, as for a point infinitely far away. The scene itself must not move.

Pixel coordinates run right (x) and down (y) from the image's top-left corner, and a
pixel's centre is at (i + 0.5, j + 0.5): the motion of pixel (i, j) is
(``motion.X``, ``motion.Y``), and the previous frame holds its first hit at
(i + 0.5 + motion.X, j + 0.5 + motion.Y), as :func:`mcdenoise.reprojection.warp_previous`
reads it.
"""

import math

import numpy as np

from mcdenoise.features import MOTION
from mcdenoise.render.scene import Camera


def _frame_axes(camera: Camera, width: int, height: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The camera's 4x4 camera-to-world matrix, its position, and the half-extents of the image
    plane at distance 1 (Mitsuba's perspective camera: x to the left, y up, z into the scene)."""
    matrix = np.array(camera.to_world, dtype=np.float64)
    half_x = math.tan(math.radians(camera.x_fov) / 2)
    return matrix, matrix[:3, 3], half_x, half_x * height / width


def ray_directions(camera: Camera, width: int, height: int) -> np.ndarray:
    """(H, W, 3) unit world-space directions of the rays through the pixels' centres."""
    matrix, _, half_x, half_y = _frame_axes(camera, width, height)
    u = (np.arange(width) + 0.5) / width
    v = (np.arange(height) + 0.5) / height
    local = np.empty((height, width, 3))
    local[..., 0] = (1 - 2 * u)[None, :] * half_x
    local[..., 1] = (1 - 2 * v)[:, None] * half_y
    local[..., 2] = 1.0
    world = local @ matrix[:3, :3].T
    return world / np.linalg.norm(world, axis=-1, keepdims=True)


def project(camera: Camera, width: int, height: int, points: np.ndarray, directions_only: bool = False) -> np.ndarray:
    """(..., 2) pixel coordinates (x, y) of world ``points`` (..., 3) seen by ``camera``; NaN where a
    point is behind it. With ``directions_only``, ``points`` are directions, seen infinitely far away."""
    matrix, origin, half_x, half_y = _frame_axes(camera, width, height)
    relative = points if directions_only else points - origin
    local = relative @ np.linalg.inv(matrix[:3, :3]).T
    z = local[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (1 - local[..., 0] / z / half_x) / 2 * width
        y = (1 - local[..., 1] / z / half_y) / 2 * height
    behind = ~(z > 1e-9)
    x[behind] = np.nan
    y[behind] = np.nan
    return np.stack([x, y], axis=-1)


def motion_to_previous(depth: np.ndarray, camera: Camera, previous: Camera, width: int, height: int) -> dict[str, np.ndarray]:
    """The ``motion.X`` and ``motion.Y`` channels of a frame seen by ``camera`` whose depth is ``depth``
    (H, W; 0 where the ray hit nothing), the frame before having been seen by ``previous``. Pixels whose
    first hit was behind the previous camera get NaN; an unmoved camera gives exactly 0."""
    if camera == previous:
        return {name: np.zeros((height, width), np.float32) for name in MOTION}
    directions = ray_directions(camera, width, height)
    forward = np.array(camera.to_world, dtype=np.float64)[:3, 2]
    forward /= np.linalg.norm(forward)
    # Mitsuba's rays start on the near clip plane, and depth is measured from there.
    along = depth.astype(np.float64) + camera.near_clip / np.maximum(directions @ forward, 1e-6)
    hits = np.array(camera.to_world, dtype=np.float64)[:3, 3] + directions * along[..., None]
    where = project(previous, width, height, hits)
    far = project(previous, width, height, directions, directions_only=True)
    missed = ~(depth > 0)
    where[missed] = far[missed]
    centres = np.stack(np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5), axis=-1)
    motion = (where - centres).astype(np.float32)
    return {name: np.ascontiguousarray(motion[..., i]) for i, name in enumerate(MOTION)}
