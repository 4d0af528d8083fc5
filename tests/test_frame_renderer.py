"""FrameRenderer: sensors moved from view to view, with render calls replayed on the JIT
variants, give the images of plain renders through a sensor of each view's own (the same
samples; a replayed kernel may round differently, hence the float32-rounding tolerance)."""

import numpy as np
import pytest

from mcdenoise.render.renderer import FrameRenderer, color_channels, feature_channels, feature_integrator, render_pass
from mcdenoise.render.scene import jitter_camera, load_scene, make_sensor, scene_camera

SIZE = (48, 32)


def _views(scene, scene_path, count=7):
    base = scene_camera(scene, scene_path)
    rng = np.random.default_rng(3)
    return [base] + [jitter_camera(base, scene, 0.05, rng) for _ in range(count)] + [base]


def render_color(scene, sensor, spp, seed):
    return color_channels(render_pass(scene, sensor, spp, seed))


def render_features(scene, sensor, spp, seed):
    return feature_channels(render_pass(scene, sensor, spp, seed, feature_integrator()))


def _assert_same(got: dict, want: dict, what: str) -> None:
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=f"{what}, {name}")


@pytest.mark.parametrize("pixel_filter", ["box", "scene"])
def test_a_moving_renderer_matches_plain_renders_of_every_view(scene_path, pixel_filter):
    scene, variant = load_scene(scene_path, "auto")
    views = _views(scene, scene_path)
    renderer = FrameRenderer(scene, views[0], *SIZE, pixel_filter)
    normals, recordings = [], []
    for i, camera in enumerate(views):
        renderer.move(camera)
        sensor = make_sensor(scene, camera, *SIZE, pixel_filter)
        for spp, seed in ((4, 10 + i), (8, 50 + i)):
            got = renderer.color(spp, seed)
            _assert_same(got, render_color(scene, sensor, spp, seed), f"view {i}, {spp} spp")
        features = renderer.features(4, 90)  # one seed for every view: only the camera differs
        _assert_same(features, render_features(scene, sensor, 4, 90), f"view {i} features")
        normals.append(features["normal.X"])
        recordings.append(renderer.recordings)
    assert not np.array_equal(normals[0], normals[1]), "the moved sensor should see the scene differently"
    if variant.startswith(("llvm_", "cuda_")):
        # A few traces per kind of call (color at 4 and at 8 spp, features), while drjit learns
        # which inputs change from call to call; then only replays, not a trace per frame.
        assert recordings[0] > 0 and recordings[-4] == recordings[-1], recordings


def test_a_failing_replay_falls_back_to_plain_renders(scene_path):
    scene, _ = load_scene(scene_path, "auto")
    camera = scene_camera(scene, scene_path)
    renderer = FrameRenderer(scene, camera, *SIZE)

    def broken(*args):
        raise RuntimeError("replay failed")

    renderer.color(4, 6)
    for entry in renderer._passes.values():
        entry[2] = broken
    got = renderer.color(4, 7)
    want = render_color(scene, make_sensor(scene, camera, *SIZE), 4, 7)
    _assert_same(got, want, "after a failed replay")
    assert renderer.recordings == 0


def test_plain_calls_when_replay_is_off(scene_path):
    scene, _ = load_scene(scene_path, "auto")
    camera = scene_camera(scene, scene_path)
    renderer = FrameRenderer(scene, camera, *SIZE, replay=False)
    _assert_same(renderer.color(4, 1), render_color(scene, make_sensor(scene, camera, *SIZE), 4, 1), "plain calls")
    assert renderer.recordings == 0 and not renderer.replays
