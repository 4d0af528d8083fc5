"""Procedurally generated Mitsuba scenes: unlimited, licence-free training data for the base model."""

from pathlib import Path

from mcdenoise.io.files import atomic_output, ensure_writable_directory
from mcdenoise.render.scenes.generator import Matrix4, generate_scene, random_material
from mcdenoise.render.scenes.mitsuba_xml import scene_xml

__all__ = ["Matrix4", "generate_scene", "random_material", "scene_xml", "write_generated_scenes", "generated_scene_dir"]


def generated_scene_dir(out_dir, seed: int) -> Path:
    """Folder of the generated scene with ``seed`` under ``out_dir``."""
    return Path(out_dir) / f"generated{seed:05d}"


def write_generated_scenes(out_dir, count: int, first_seed: int = 0) -> list[Path]:
    """Write scenes ``first_seed`` ... ``first_seed + count - 1`` as ``OUT/generatedSSSSS/scene.xml``.

    Returns the scene files. Existing files with the same content are left
    alone; every file is written atomically.
    """
    root = ensure_writable_directory(out_dir)
    paths = []
    for seed in range(first_seed, first_seed + count):
        path = generated_scene_dir(root, seed) / "scene.xml"
        text = scene_xml(generate_scene(seed))
        if not (path.is_file() and path.read_text() == text):
            path.parent.mkdir(exist_ok=True)
            with atomic_output(path) as temporary:
                Path(temporary).write_text(text)
        paths.append(path)
    return paths
