"""A Cornell-style box built in Blender, saved as a small ``.blend``: the Blender test and demo scene.

    python -m mcdenoise.render.scenes.blender_box OUT.blend

Built by code, so the repository holds no binary scene and its licence is the project's own:
a white floor, ceiling and back wall, a red left and a green right wall, an area light under
the ceiling, a glossy cube and a diffuse sphere, seen by a perspective camera. Its light
comes mostly by bounces off the walls, so a few spp are visibly noisy.
"""

import sys
from pathlib import Path

from mcdenoise.io.files import atomic_output
from mcdenoise.native_output import captured_native_output
from mcdenoise.render.blender import import_bpy


def _material(bpy, name: str, color, roughness: float = 1.0, emission: float = 0.0):
    material = bpy.data.materials.new(name)
    shader = material.node_tree.nodes["Principled BSDF"]
    shader.inputs["Base Color"].default_value = (*color, 1.0)
    shader.inputs["Roughness"].default_value = roughness
    if emission:
        shader.inputs["Emission Color"].default_value = (1.0, 0.9, 0.75, 1.0)
        shader.inputs["Emission Strength"].default_value = emission
    return material


def _plane(bpy, name: str, location, rotation, size: float, material) -> None:
    bpy.ops.mesh.primitive_plane_add(size=size, location=location, rotation=rotation)
    bpy.context.object.name = name
    bpy.context.object.data.materials.append(material)


def build_blender_box(path, width: int = 96, height: int = 96) -> Path:
    """Build the box scene and save it, compressed, as ``path`` (atomically); returns the path.
    Replaces whatever bpy had open."""
    import math

    bpy = import_bpy()
    with captured_native_output():
        bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    white = _material(bpy, "white", (0.73, 0.73, 0.73))
    red = _material(bpy, "red", (0.63, 0.07, 0.05))
    green = _material(bpy, "green", (0.12, 0.45, 0.09))
    _plane(bpy, "floor", (0, 0, 0), (0, 0, 0), 2, white)
    _plane(bpy, "ceiling", (0, 0, 2), (math.pi, 0, 0), 2, white)
    _plane(bpy, "back", (0, 1, 1), (math.pi / 2, 0, 0), 2, white)
    _plane(bpy, "left", (-1, 0, 1), (0, math.pi / 2, 0), 2, red)
    _plane(bpy, "right", (1, 0, 1), (0, -math.pi / 2, 0), 2, green)
    _plane(bpy, "light", (0, 0, 1.98), (math.pi, 0, 0), 0.5, _material(bpy, "light", (0, 0, 0), emission=30.0))
    bpy.ops.mesh.primitive_cube_add(size=0.6, location=(0.35, 0.3, 0.3), rotation=(0, 0, 0.4))
    bpy.context.object.data.materials.append(_material(bpy, "glossy", (0.8, 0.8, 0.8), roughness=0.25))
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.3, location=(-0.35, -0.2, 0.3), segments=24, ring_count=12)
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(white)
    bpy.ops.object.camera_add(location=(0, -2.85, 1), rotation=(math.pi / 2, 0, 0))
    scene.camera = bpy.context.object
    scene.camera.data.lens = 35
    scene.world = bpy.data.worlds.new("black")
    scene.world.color = (0, 0, 0)
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = width, height, 100
    scene.cycles.samples = 16
    scene.cycles.use_denoising = False
    bpy.context.preferences.filepaths.save_version = 0  # no FILE.blend1 backup beside it
    path = Path(path)
    with atomic_output(path) as temporary, captured_native_output():
        bpy.ops.wm.save_as_mainfile(filepath=str(temporary), compress=True, copy=True)
    return path


if __name__ == "__main__":
    print(build_blender_box(sys.argv[1]))
