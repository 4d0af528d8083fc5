"""The emission split: color rendered with its first-hit emission beside it (the same samples), and
a pass of first-hit emission alone. Real renders of the bundled Cornell box, whose ceiling light
is seen directly."""

import numpy as np
import pytest

from mcdenoise.features import COLOR, EMISSION_MEAN, SEEN_EMISSION, without_emission
from mcdenoise.render.emission import emission_integrator, emission_mean_channels, split_channels, split_integrator
from mcdenoise.render.renderer import EMISSION_SAMPLER, color_channels, render_pass
from mcdenoise.render.scene import load_scene, make_sensor, scene_camera

SIZE = (64, 64)


@pytest.fixture(scope="module")
def cbox(scene_path):
    scene, _ = load_scene(scene_path, "auto")
    return scene, make_sensor(scene, scene_camera(scene, scene_path), *SIZE, "box")


def render_color(scene, sensor, spp, seed):
    return color_channels(render_pass(scene, sensor, spp, seed))


def render_color_split(scene, sensor, spp, seed):
    return split_channels(render_pass(scene, sensor, spp, seed, split_integrator(scene)))


def render_emission(scene, sensor, spp, seed):
    return emission_mean_channels(render_pass(scene, sensor, spp, seed, emission_integrator()))


def _stack(channels: dict, names) -> np.ndarray:
    return np.stack([channels[n] for n in names], -1).astype(np.float64)


def test_the_split_color_is_the_plain_color_of_the_same_seed(cbox):
    scene, sensor = cbox
    split = render_color_split(scene, sensor, 4, seed=21)
    plain = render_color(scene, sensor, 4, seed=21)
    np.testing.assert_allclose(_stack(split, COLOR), _stack(plain, COLOR), rtol=1e-5, atol=1e-6)


def test_color_minus_its_seen_emission_holds_no_light(cbox):
    scene, sensor = cbox
    split = render_color_split(scene, sensor, 4, seed=22)
    color, seen = _stack(split, COLOR), _stack(split, SEEN_EMISSION)
    assert (color - seen).min() >= -1e-4 * max(color.max(), 1.0)
    light = seen.mean(-1) > 1.0
    assert 0 < light.mean() < 0.05, "the ceiling light covers a few percent of the frame"
    assert np.median(color[light].mean(-1)) > 5.0, "where the light is seen, the color is bright"
    rest = without_emission(color, seen)
    assert np.median(rest[light].mean(-1)) < 1.0, "without the light, those pixels are dim"
    assert np.all(seen[seen.mean(-1) <= 1.0] == 0.0), "nothing else in the Cornell box emits"


def test_the_emission_pass_is_an_unbiased_estimate_of_the_seen_emission(cbox):
    scene, sensor = cbox
    mean = _stack(render_emission(scene, sensor, 256, seed=5), EMISSION_MEAN)
    seen = [_stack(render_color_split(scene, sensor, 4, seed=s), SEEN_EMISSION) for s in range(30, 46)]
    # The light's total in the frame: 16 frames of 4 spp against one of 256 spp, within 2% (the
    # edge pixels' coverage noise of 64 spp is far smaller).
    assert np.mean([s.sum() for s in seen]) == pytest.approx(mean.sum(), rel=0.02)
    # Away from the light's edges, both are exact: the light's inner pixels and the rest.
    inner = (mean.mean(-1) > 0.999 * mean.mean(-1).max()) | (mean.mean(-1) == 0)
    np.testing.assert_allclose(seen[0][inner], mean[inner], rtol=1e-4)


def test_adding_back_the_emission_restores_the_frame():
    rng = np.random.default_rng(0)
    color = rng.gamma(1.0, 1.0, (8, 8, 3))
    seen = np.where(rng.random((8, 8, 1)) < 0.2, color * 0.9, 0.0)
    np.testing.assert_allclose(without_emission(color, seen) + seen, color)


def test_a_moving_renderer_splits_as_plain_renders_do(cbox, scene_path):
    from mcdenoise.render.renderer import FrameRenderer
    from mcdenoise.render.scene import jitter_camera

    scene, _ = cbox
    base = scene_camera(scene, scene_path)
    rng = np.random.default_rng(4)
    renderer = FrameRenderer(scene, base, *SIZE, "box")
    for i, camera in enumerate([base] + [jitter_camera(base, scene, 0.05, rng) for _ in range(4)]):
        renderer.move(camera)
        sensor = make_sensor(scene, camera, *SIZE, "box")
        got, want = renderer.color_split(4, 60 + i), render_color_split(scene, sensor, 4, 60 + i)
        for name in COLOR + SEEN_EMISSION:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=f"view {i}, {name}")
        stratified = make_sensor(scene, camera, *SIZE, "box", sampler=EMISSION_SAMPLER)
        got, want = renderer.emission(16, 70 + i), render_emission(scene, stratified, 16, 70 + i)
        for name in EMISSION_MEAN:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=f"view {i}, {name}")


def test_the_stratified_emission_pass_converges_faster_than_independent_samples(cbox, scene_path):
    scene, _ = cbox
    camera = scene_camera(scene, scene_path)
    truth = _stack(render_emission(scene, make_sensor(scene, camera, *SIZE, "box"), 4096, seed=1), EMISSION_MEAN)

    def error(sampler, seed):
        sensor = make_sensor(scene, camera, *SIZE, "box", sampler=sampler)
        estimate = _stack(render_emission(scene, sensor, 64, seed=seed), EMISSION_MEAN)
        return np.mean((estimate - truth) ** 2)

    # Over a few seeds, stratified 64 spp is several times closer to the 4096 spp estimate.
    assert np.mean([error(EMISSION_SAMPLER, s) for s in (2, 3, 4)]) < 0.5 * np.mean([error("independent", s) for s in (2, 3, 4)])
