"""The scene generator: deterministic by seed, and every generated scene renders."""

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.errors import SceneError
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes import generate_scene, scene_xml, write_generated_scenes

#: Enough seeds to meet every shape, material and light kind at least once.
SEEDS = 24


def _types(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        found.add(node.get("type"))
        for value in node.values():
            found |= _types(value)
    return found


def test_same_seed_same_scene_and_file():
    assert generate_scene(3) == generate_scene(3)
    assert scene_xml(generate_scene(3)) == scene_xml(generate_scene(3))


def test_different_seeds_differ():
    texts = {scene_xml(generate_scene(seed)) for seed in range(SEEDS)}
    assert len(texts) == SEEDS


def test_the_generator_covers_every_kind():
    kinds = set().union(*(_types(generate_scene(seed)) for seed in range(SEEDS)))
    for expected in ("sphere", "cube", "cylinder", "disk", "rectangle", "diffuse", "checkerboard", "roughplastic",
                     "dielectric", "roughconductor", "area", "point", "constant", "directional"):  # fmt: skip
        assert expected in kinds


def test_closed_rooms_occur_and_hold_their_camera_and_lights():
    closed = [generate_scene(seed) for seed in range(SEEDS) if "ceiling" in generate_scene(seed)]
    assert 3 <= len(closed) <= SEEDS - 3
    for scene in closed:
        half = abs(scene["wall_left"]["to_world"].rows[0][3])
        top = scene["ceiling"]["to_world"].rows[1][3]
        camera = np.array(scene["camera"]["to_world"].rows)[:3, 3]
        assert np.all(np.abs(camera[[0, 2]]) < half) and -1.0 < camera[1] < top
        assert not {"directional", "constant"} & _types(scene)  # no light from outside the room


def test_unknown_plugin_type_is_refused():
    with pytest.raises(SceneError, match="plugin type 'teapot'"):
        scene_xml({"type": "scene", "thing": {"type": "teapot"}})


def test_every_generated_scene_renders(tmp_path):
    files = write_generated_scenes(tmp_path / "scenes", SEEDS)
    assert write_generated_scenes(tmp_path / "scenes", SEEDS) == files  # rewriting is idempotent
    lit = 0
    for seed, scene_file in enumerate(files):
        out = tmp_path / "pairs" / str(seed)
        render_pairs(scene_file, out, PairJob(views=1, pairs=1, spp=2, size=(32, 32), pixel_filter="scene"), show_progress=False)
        frame = read_exr(out / frame_name(0, 0, "a"))
        color = frame.stack(COLOR)
        assert np.isfinite(color).all() and (color >= 0).all(), scene_file
        assert np.isfinite(frame.stack(ALBEDO)).all() and np.isfinite(frame.stack(NORMAL)).all()
        lit += color.mean() > 1e-4
    assert lit >= SEEDS - 2  # the camera looks at lit objects (a rare scene may be mostly shadow)
