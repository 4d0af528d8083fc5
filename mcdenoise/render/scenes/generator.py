"""Random Mitsuba 3 scenes, deterministic by seed, for training a base model.

Each scene is a Python dict in Mitsuba's ``load_dict`` layout (transforms are
:class:`Matrix4` values): a floor and sometimes walls (or, in about a third of
the scenes, a closed room lit from inside, where most light arrives
indirectly, as in a Cornell box), two to eight built-in
shapes (sphere, cube, cylinder, disk, rectangle) with diffuse, textured,
plastic, glass or metal materials, one to three lights (area, point,
directional, environment), a path tracer and a perspective camera aimed at
the objects. Small, very bright area lights are common on purpose: they make
the highlights and fireflies that a denoiser must handle.
"""

import math
from dataclasses import dataclass

import numpy as np

_SHAPES = ("sphere", "cube", "cylinder", "disk", "rectangle")
_FLAT_SHAPES = ("disk", "rectangle")
_METALS = ("Au", "Ag", "Cu", "Al", "Cr")
_PIXEL_FILTERS = ("box", "gaussian", "tent")


@dataclass(frozen=True)
class Matrix4:
    """A 4x4 affine transform, row-major (Mitsuba's ``to_world``)."""

    rows: tuple[tuple[float, ...], ...]

    @classmethod
    def of(cls, matrix: np.ndarray) -> "Matrix4":
        """Wrap a (4, 4) array."""
        return cls(tuple(tuple(float(v) for v in row) for row in matrix))


def look_at(origin, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """Mitsuba's look-at camera-to-world matrix (the camera looks along its +z)."""
    origin, target, up = (np.asarray(v, dtype=np.float64) for v in (origin, target, up))
    forward = target - origin
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    if np.linalg.norm(left) < 1e-6:  # looking straight along ``up``
        left = np.cross((1.0, 0.0, 0.0), forward)
    left /= np.linalg.norm(left)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = left, np.cross(forward, left), forward, origin
    return matrix


def _rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation (from a normalised Gaussian quaternion)."""
    q = rng.normal(size=4)
    w, x, y, z = q / max(np.linalg.norm(q), 1e-9)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _placement(rotation: np.ndarray, scale, position) -> Matrix4:
    matrix = np.eye(4)
    matrix[:3, :3] = rotation @ np.diag(np.broadcast_to(np.asarray(scale, dtype=np.float64), (3,)))
    matrix[:3, 3] = position
    return Matrix4.of(matrix)


def _facing(normal, position, size: float) -> Matrix4:
    """A rectangle or disk (normal +z in its own frame) centred at ``position``, facing ``normal``."""
    return Matrix4.of(
        look_at(position, np.asarray(position) + np.asarray(normal), up=_any_perpendicular(normal)) @ np.diag([size, size, 1, 1])
    )


def _any_perpendicular(direction) -> np.ndarray:
    direction = np.asarray(direction, dtype=np.float64)
    other = (0.0, 1.0, 0.0) if abs(direction[1]) < 0.9 else (1.0, 0.0, 0.0)
    return np.cross(direction, other)


def _rgb(value) -> dict:
    return {"type": "rgb", "value": [round(float(v), 4) for v in value]}


def _color(rng: np.random.Generator, low: float = 0.05, high: float = 0.9) -> list[float]:
    """A random reflectance: a hue, a saturation and a brightness, so greys and strong colours both occur."""
    base = rng.uniform(low, high)
    tint = rng.uniform(0, 1, 3)
    saturation = rng.uniform(0, 0.8)
    return list(np.clip(base * ((1 - saturation) + saturation * tint / max(tint.max(), 1e-6)), 0.01, 0.95))


def _reflectance(rng: np.random.Generator):
    if rng.uniform() < 0.3:
        scale = float(rng.choice([2.0, 4.0, 8.0, 16.0]))
        return {
            "type": "checkerboard",
            "color0": _rgb(_color(rng)),
            "color1": _rgb(_color(rng)),
            "to_uv": Matrix4.of(np.diag([scale, scale, 1.0, 1.0])),
        }
    return _rgb(_color(rng))


def random_material(rng: np.random.Generator) -> dict:
    """A diffuse, plastic, glass or metal BSDF with random parameters."""
    kind = rng.choice(
        [
            "diffuse",
            "diffuse",
            "roughplastic",
            "plastic",
            "dielectric",
            "roughdielectric",
            "conductor",
            "roughconductor",
        ]
    )
    if kind == "diffuse":
        return {"type": "diffuse", "reflectance": _reflectance(rng)}
    if kind == "plastic":
        return {"type": "plastic", "diffuse_reflectance": _rgb(_color(rng))}
    if kind == "roughplastic":
        return {
            "type": "roughplastic",
            "distribution": "ggx",
            "alpha": round(float(rng.uniform(0.05, 0.4)), 4),
            "diffuse_reflectance": _reflectance(rng),
        }
    if kind == "dielectric":
        return {"type": "dielectric", "int_ior": round(float(rng.uniform(1.3, 1.8)), 4)}
    if kind == "roughdielectric":
        return {
            "type": "roughdielectric",
            "distribution": "ggx",
            "alpha": round(float(rng.uniform(0.05, 0.3)), 4),
            "int_ior": round(float(rng.uniform(1.3, 1.8)), 4),
        }
    material = str(rng.choice(_METALS))
    if kind == "conductor":
        return {"type": "conductor", "material": material}
    return {
        "type": "roughconductor",
        "distribution": "ggx",
        "alpha": round(float(rng.uniform(0.05, 0.5)), 4),
        "material": material,
    }


def _two_sided(bsdf: dict) -> dict:
    return (
        {"type": "twosided", "material": bsdf}
        if bsdf["type"] in ("diffuse", "plastic", "roughplastic", "conductor", "roughconductor")
        else bsdf
    )


def _objects(rng: np.random.Generator) -> tuple[dict, list[np.ndarray]]:
    objects, centres = {}, []
    for index in range(int(rng.integers(2, 9))):
        kind = str(rng.choice(_SHAPES))
        size = rng.uniform(0.15, 0.6)
        centre = np.array([rng.uniform(-1.2, 1.2), -1.0 + size * rng.uniform(0.6, 2.5), rng.uniform(-1.2, 1.2)])
        if kind == "cube":
            stretch = size * rng.uniform(0.6, 1.4, 3)
        elif kind == "cylinder":  # Mitsuba's cylinder may only be stretched along its axis
            radius = size * rng.uniform(0.4, 1.0)
            stretch = (radius, radius, size * rng.uniform(0.8, 2.5))
        else:
            stretch = size
        shape = {"type": kind, "to_world": _placement(_rotation(rng), stretch, centre)}
        material = random_material(rng)
        shape["bsdf"] = _two_sided(material) if kind in _FLAT_SHAPES else material
        objects[f"object{index}"] = shape
        centres.append(centre)
    return objects, centres


def _room(rng: np.random.Generator) -> dict:
    room = {
        "floor": {
            "type": "rectangle",
            "to_world": _facing((0, 1, 0), (0, -1, 0), 12.0),
            "bsdf": _two_sided(random_material(rng) if rng.uniform() < 0.3 else {"type": "diffuse", "reflectance": _reflectance(rng)}),
        }
    }
    for index in range(int(rng.integers(0, 3))):
        angle = rng.uniform(0, 2 * math.pi)
        normal = np.array([math.cos(angle), 0.0, math.sin(angle)])
        room[f"wall{index}"] = {
            "type": "rectangle",
            "to_world": _facing(normal, -normal * rng.uniform(2.5, 4.0) + np.array([0, 1.5, 0]), 6.0),
            "bsdf": _two_sided({"type": "diffuse", "reflectance": _reflectance(rng)}),
        }
    return room


@dataclass(frozen=True)
class _Box:
    """The inside of a closed room: floor at y = -1, walls at x, z = +-half, ceiling at y = top."""

    half: float
    top: float

    def inside(self, point, margin: float = 0.25) -> np.ndarray:
        """``point`` moved into the room, ``margin`` away from every surface."""
        limit = self.half - margin
        x, y, z = point
        return np.array([np.clip(x, -limit, limit), np.clip(y, -1.0 + margin, self.top - margin), np.clip(z, -limit, limit)])


def _closed_room(rng: np.random.Generator, box: _Box) -> dict:
    """Floor, ceiling and four walls, each diffuse (sometimes textured), facing in."""
    middle = (box.top - 1.0) / 2
    planes = {
        "floor": ((0, 1, 0), (0, -1.0, 0)),
        "ceiling": ((0, -1, 0), (0, box.top, 0)),
        "wall_left": ((1, 0, 0), (-box.half, middle, 0)),
        "wall_right": ((-1, 0, 0), (box.half, middle, 0)),
        "wall_back": ((0, 0, 1), (0, middle, -box.half)),
        "wall_front": ((0, 0, -1), (0, middle, box.half)),
    }
    size = max(box.half, (box.top + 1.0) / 2)
    return {
        name: {
            "type": "rectangle",
            "to_world": _facing(normal, centre, size),
            "bsdf": _two_sided({"type": "diffuse", "reflectance": _reflectance(rng)}),
        }
        for name, (normal, centre) in planes.items()
    }


def _ceiling_light(rng: np.random.Generator, box: _Box) -> dict:
    """A rectangular area light just under the ceiling, facing down."""
    size = rng.uniform(0.2, 0.8)
    position = (rng.uniform(-0.5, 0.5) * box.half, box.top - 0.01, rng.uniform(-0.5, 0.5) * box.half)
    radiance = np.array(_color(rng, 0.6, 1.0)) * rng.uniform(3.0, 20.0) / (size * size)
    return {"type": "rectangle", "to_world": _facing((0, -1, 0), position, size), "emitter": {"type": "area", "radiance": _rgb(radiance)}}


def _lights(rng: np.random.Generator, box: _Box | None = None) -> dict:
    """One to three lights; in a closed room, only lights inside it (no distant ones)."""
    lights, has_infinite = {}, False
    if box is not None:
        lights["light_ceiling"] = _ceiling_light(rng, box)
    kinds = ["small_area", "area", "point"] + ([] if box is not None else ["directional", "environment"])
    for index in range(int(rng.integers(0 if box is not None else 1, 4 if box is None else 3))):
        kind = rng.choice(kinds)
        if kind in ("directional", "environment"):
            if has_infinite:  # Mitsuba allows one environment (infinitely distant) emitter per scene
                kind = "point"
            has_infinite = True
        tint = np.array(_color(rng, 0.6, 1.0))
        direction = np.array([rng.uniform(-1, 1), rng.uniform(0.4, 1.0), rng.uniform(-1, 1)])
        direction /= np.linalg.norm(direction)
        position = direction * rng.uniform(2.0, 4.5)
        if box is not None:
            position = box.inside(position, margin=0.4)
        if kind in ("small_area", "area"):
            radius = rng.uniform(0.03, 0.15) if kind == "small_area" else rng.uniform(0.3, 1.0)
            power = rng.uniform(3.0, 20.0) / (radius * radius)  # similar total power whatever the size
            shape = "sphere" if rng.uniform() < 0.5 else "rectangle"
            to_world = _placement(np.eye(3), radius, position) if shape == "sphere" else _facing(-direction, position, radius)
            lights[f"light{index}"] = {
                "type": shape,
                "to_world": to_world,
                "emitter": {"type": "area", "radiance": _rgb(tint * power)},
            }
        elif kind == "point":
            lights[f"light{index}"] = {
                "type": "point",
                "to_world": _placement(np.eye(3), 1.0, position),
                "intensity": _rgb(tint * rng.uniform(5, 40)),
            }
        elif kind == "directional":
            lights[f"light{index}"] = {
                "type": "directional",
                "to_world": Matrix4.of(look_at((0, 0, 0), -direction, _any_perpendicular(direction))),
                "irradiance": _rgb(tint * rng.uniform(1, 5)),
            }
        else:
            lights[f"light{index}"] = {"type": "constant", "radiance": _rgb(tint * rng.uniform(0.1, 1.0))}
    return lights


def _camera(rng: np.random.Generator, centres: list[np.ndarray], box: _Box | None = None) -> dict:
    target = np.mean(centres, axis=0) + rng.normal(0, 0.2, 3)
    azimuth, elevation = rng.uniform(0, 2 * math.pi), rng.uniform(math.radians(5), math.radians(55))
    distance = rng.uniform(3.0, 6.0)
    offset = distance * np.array([math.cos(elevation) * math.cos(azimuth), math.sin(elevation), math.cos(elevation) * math.sin(azimuth)])
    origin = target + offset
    origin[1] = max(origin[1], -0.8)  # stay above the floor
    if box is not None:
        origin = box.inside(origin, margin=0.1)
    return {
        "type": "perspective",
        "fov": round(float(rng.uniform(30, 65)), 3),
        "fov_axis": "x",
        "to_world": Matrix4.of(look_at(origin, target)),
        "sampler": {"type": "independent"},
        "film": {"type": "hdrfilm", "width": 256, "height": 256, "rfilter": {"type": str(rng.choice(_PIXEL_FILTERS))}},
    }


def generate_scene(seed: int) -> dict:
    """A random scene in Mitsuba's ``load_dict`` layout; the same seed always gives the same scene."""
    rng = np.random.default_rng([seed, 0x6D63])  # a stream of our own, whatever else uses the seed
    closed = rng.uniform() < 1 / 3
    box = _Box(half=float(rng.uniform(2.5, 4.0)), top=float(rng.uniform(2.0, 3.5))) if closed else None
    scene = {"type": "scene", "integrator": {"type": "path", "max_depth": int(rng.integers(4, 9) if box is None else rng.integers(6, 11))}}
    scene.update(_room(rng) if box is None else _closed_room(rng, box))
    objects, centres = _objects(rng)
    scene.update(objects)
    scene.update(_lights(rng, box))
    scene["camera"] = _camera(rng, centres, box)
    return scene
