"""Cornell-style boxes built in Blender, saved as small ``.blend`` files: the Blender test and benchmark scenes.

    python -m mcdenoise.render.scenes.blender_box OUT.blend [VARIANT]

Built by code, so the repository holds no binary scene and its licence is the project's own:
a white floor, ceiling and back wall, a red left and a green right wall, an area light under
the ceiling, seen by a perspective camera; its light comes mostly by bounces off the walls, so a
few spp are visibly noisy. The variants (:data:`VARIANTS`) differ in what stands in the box:
- ``box``: a glossy cube and a diffuse sphere;
- ``glass``: a glass sphere on a glossy floor, under a smaller, brighter light (caustics);
- ``metal``: a rough gold sphere, a mirror cube and a checker-textured floor.
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


#: The scenes that :func:`build_blender_box` builds.
VARIANTS = ("box", "glass", "metal")


def _glass(bpy):
    material = bpy.data.materials.new("glass")
    shader = material.node_tree.nodes["Principled BSDF"]
    shader.inputs["Transmission Weight"].default_value = 1.0
    shader.inputs["Roughness"].default_value = 0.0
    shader.inputs["IOR"].default_value = 1.5
    return material


def _checker(bpy, name: str):
    material = _material(bpy, name, (0.8, 0.8, 0.8))
    nodes, links = material.node_tree.nodes, material.node_tree.links
    checker = nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = 8.0
    checker.inputs["Color1"].default_value = (0.8, 0.8, 0.8, 1.0)
    checker.inputs["Color2"].default_value = (0.1, 0.1, 0.12, 1.0)
    links.new(checker.outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
    return material


def _metal(bpy, name: str, color, roughness: float):
    material = _material(bpy, name, color, roughness=roughness)
    material.node_tree.nodes["Principled BSDF"].inputs["Metallic"].default_value = 1.0
    return material


def build_blender_box(path, variant: str = "box", width: int = 96, height: int = 96) -> Path:
    """Build the box scene ``variant`` (:data:`VARIANTS`) and save it, compressed, as ``path``
    (atomically); returns the path. Replaces whatever bpy had open."""
    import math

    bpy = import_bpy()
    with captured_native_output():
        bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    white = _material(bpy, "white", (0.73, 0.73, 0.73))
    red = _material(bpy, "red", (0.63, 0.07, 0.05))
    green = _material(bpy, "green", (0.12, 0.45, 0.09))
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose {', '.join(VARIANTS)}")
    floor = {"box": white, "glass": _material(bpy, "glossy floor", (0.6, 0.6, 0.6), roughness=0.2), "metal": _checker(bpy, "checker")}
    _plane(bpy, "floor", (0, 0, 0), (0, 0, 0), 2, floor[variant])
    _plane(bpy, "ceiling", (0, 0, 2), (math.pi, 0, 0), 2, white)
    _plane(bpy, "back", (0, 1, 1), (math.pi / 2, 0, 0), 2, white)
    _plane(bpy, "left", (-1, 0, 1), (0, math.pi / 2, 0), 2, red)
    _plane(bpy, "right", (1, 0, 1), (0, -math.pi / 2, 0), 2, green)
    light_size, strength = (0.25, 120.0) if variant == "glass" else (0.5, 30.0)
    _plane(bpy, "light", (0, 0, 1.98), (math.pi, 0, 0), light_size, _material(bpy, "light", (0, 0, 0), emission=strength))
    cube, sphere = {
        "box": (_material(bpy, "glossy", (0.8, 0.8, 0.8), roughness=0.25), white),
        "glass": (white, _glass(bpy)),
        "metal": (_metal(bpy, "mirror", (0.9, 0.9, 0.9), 0.0), _metal(bpy, "gold", (1.0, 0.77, 0.34), 0.35)),
    }[variant]
    bpy.ops.mesh.primitive_cube_add(size=0.6, location=(0.35, 0.3, 0.3), rotation=(0, 0, 0.4))
    bpy.context.object.data.materials.append(cube)
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.3, location=(-0.35, -0.2, 0.3), segments=32, ring_count=16)
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(sphere)
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
    print(build_blender_box(sys.argv[1], *sys.argv[2:3]))
