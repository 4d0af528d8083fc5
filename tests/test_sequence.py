"""render-sequence: the frames of a camera move through the bundled Cornell box (real renders), their
seeds, their motion to the frame before, resuming, and one-line errors."""

import json
import math

import numpy as np
import pytest

from mcdenoise.config import CameraPath, PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.errors import ConfigError
from mcdenoise.features import MOTION
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import Manifest, frame_name, read_manifest
from mcdenoise.render.job import render_pairs
from mcdenoise.render.motion import ray_directions
from mcdenoise.render.scene import Camera
from mcdenoise.reprojection import warp_previous

from conftest import run_cli

SIZE = 64


def _sequence(out, frames: int, path: CameraPath, **job) -> Manifest:
    return render_pairs(DEMO_SCENE, out, PairJob(views=frames, pairs=1, size=(SIZE, SIZE), path=path, **job))


def _cameras(manifest: Manifest) -> list[Camera]:
    cameras = manifest.cameras
    return [Camera(tuple(map(tuple, c["to_world"])), c["x_fov"], c["near_clip"], c["far_clip"]) for _, c in sorted(cameras.items())]


def _hits(frame, camera: Camera) -> np.ndarray:
    """The first hit of each pixel, from the camera and the frame's depth (rays start on the near clip plane)."""
    depth = frame.channels["depth.Z"].astype(np.float64)
    directions = ray_directions(camera, SIZE, SIZE)
    matrix = np.array(camera.to_world)
    return matrix[:3, 3] + directions * (depth + camera.near_clip / (directions @ matrix[:3, 2]))[..., None]


@pytest.fixture(scope="module")
def orbit(tmp_path_factory):
    out = tmp_path_factory.mktemp("orbit")
    return out, _sequence(out, 3, CameraPath("orbit", degrees=16.0))


def test_a_still_sequence_has_new_seeds_every_frame_and_no_motion(tmp_path):
    manifest = _sequence(tmp_path, 3, CameraPath("still"))
    seeds = [record.seed for record in manifest.frames.values()]
    assert len(seeds) == 6 and len(set(seeds)) == 6  # two frames a step, every one its own seed
    assert len({json.dumps(c) for c in manifest.cameras.values()}) == 1
    frames = [read_exr(tmp_path / frame_name(view, 0, "a")) for view in range(3)]
    for frame in frames:
        assert all(np.array_equal(frame.channels[name], np.zeros((SIZE, SIZE), np.float32)) for name in MOTION)
    assert not np.array_equal(frames[1].stack(("R", "G", "B")), frames[2].stack(("R", "G", "B")))


def test_a_sideways_move_shifts_the_back_wall_by_the_expected_pixels(tmp_path):
    """The camera steps 20 units to its left, still looking straight ahead: the back wall (z = 559.2,
    1359.2 ahead) was f * 20 / 1359.2 pixels further left in the frame before."""
    keys = tmp_path / "keys.json"
    origin, target = np.array([278.0, 273.0, -800.0]), np.array([278.0, 273.0, 0.0])
    step = np.array([20.0, 0.0, 0.0])  # +x is the camera's left here (it looks along +z with y up)
    keys.write_text(json.dumps([{"origin": list(o), "target": list(t)} for o, t in ((origin, target), (origin + step, target + step))]))
    manifest = _sequence(tmp_path / "out", 2, CameraPath(str(keys)))
    x_fov = manifest.cameras[1]["x_fov"]
    focal = SIZE / 2 / math.tan(math.radians(x_fov) / 2)
    expected = -focal * 20.0 / (559.2 + 800.0)
    frame = read_exr(tmp_path / "out" / frame_name(1, 0, "a"))
    wall = frame.channels["motion.X"][20:44, 20:44]  # the back wall, between the two blocks' tops
    assert np.median(wall) == pytest.approx(expected, rel=0.03), (np.median(wall), expected)
    assert np.abs(frame.channels["motion.Y"][20:44, 20:44]).max() < 0.05


def test_the_motion_of_an_orbit_leads_back_to_the_same_surface_points(orbit):
    """Each pixel's first hit, read in the frame before where the motion points, is the same point: across
    the line of sight (along it, 4 spp of depth are noisy on slanted walls), within a tenth of a pixel's
    footprint for the median pixel and within one for most (edges and the light's misses aside)."""
    out, manifest = orbit
    cameras = _cameras(manifest)
    for view in (1, 2):
        frame, before = (read_exr(out / frame_name(v, 0, "a")) for v in (view, view - 1))
        motion = frame.stack(MOTION)
        assert np.nanmean(np.abs(motion[..., 0])) > 0.5  # the camera did move
        here = _hits(frame, cameras[view])
        there, inside = warp_previous(_hits(before, cameras[view - 1]), motion[..., 0], motion[..., 1])
        hit = inside & (frame.channels["depth.Z"] > 0)
        footprint = frame.channels["depth.Z"] * 2 * math.tan(math.radians(cameras[view].x_fov) / 2) / SIZE
        sight = ray_directions(cameras[view], SIZE, SIZE)
        apart = there - here
        across = apart - np.sum(apart * sight, axis=-1, keepdims=True) * sight
        error = np.linalg.norm(across, axis=-1) / np.maximum(footprint, 1e-6)
        assert np.median(error[hit]) < 0.1 and np.mean(error[hit] < 1.0) > 0.9, (np.median(error[hit]), np.mean(error[hit] < 1.0))


def test_a_sequence_resumes_and_refuses_another_move(orbit, tmp_path):
    out, manifest = orbit
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.exr")}
    (out / frame_name(2, 0, "b")).unlink()  # as if the job had been killed before its last frame was written
    result = run_cli("render-sequence", DEMO_SCENE, "--out", out, "--frames", 3, "--path", "orbit", "--degrees", 16, "--size", "64x64")
    assert result.returncode == 0, result.stderr
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.exr")}
    redone = sorted(name for name in after if after[name] != before.get(name))
    assert redone == [frame_name(2, 0, "a"), frame_name(2, 0, "b")]  # only the unfinished pair
    assert read_manifest(out).frames == manifest.frames
    result = run_cli("render-sequence", DEMO_SCENE, "--out", out, "--frames", 3, "--path", "dolly", "--size", "64x64")
    assert result.returncode == 1 and "path" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_chosen_frames_render_as_in_the_whole_sequence_and_the_rest_follows(orbit, tmp_path):
    """render_pairs(views=...) renders those frames alone, each as the whole job renders it (its camera,
    seeds and motion to the frame before); a later run renders the rest; a view outside the job is refused."""
    out, manifest = orbit
    job = PairJob(views=3, pairs=1, size=(SIZE, SIZE), path=CameraPath("orbit", degrees=16.0))
    chosen = render_pairs(DEMO_SCENE, tmp_path, job, views=[2])
    assert sorted(chosen.frames) == [frame_name(2, 0, side) for side in "ab"]
    for side in "ab":
        ours, theirs = (read_exr(folder / frame_name(2, 0, side)) for folder in (tmp_path, out))
        assert set(ours.channels) == set(theirs.channels)
        for name in ours.channels:
            np.testing.assert_allclose(ours.channels[name], theirs.channels[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert render_pairs(DEMO_SCENE, tmp_path, job).frames.keys() == manifest.frames.keys()
    with pytest.raises(ConfigError, match="views"):
        render_pairs(DEMO_SCENE, tmp_path / "other", job, views=[3])
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "no such keyframes file"),
        ("not json", "cannot be read"),
        ('[{"origin": [0, 0, 0], "target": [0, 0, 1]}]', "at least two keyframes"),
        ('[{"origin": [0, 0, 0], "target": [0, 0, 1]}, {"origin": [0, 0], "target": [0, 0, 1]}]', "'origin' must be a list of 3"),
        ('[{"origin": [0, 0, 0], "target": [0, 1, 0]}, {"origin": [0, 0, 0], "target": [0, 0, 1]}]', "looks along its own up"),
    ],
)
def test_a_bad_keyframes_file_is_one_line_and_leaves_no_output(tmp_path, content, fragment):
    keys = tmp_path / "keys.json"
    if content is not None:
        keys.write_text(content)
    result = run_cli("render-sequence", DEMO_SCENE, "--out", tmp_path / "out", "--frames", 2, "--path", keys, "--size", "32x32")
    assert result.returncode == 1 and fragment in result.stderr, result.stderr
    assert "--path" in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
