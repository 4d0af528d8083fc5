"""Blender: render-pairs of a .blend with Cycles (real renders through bpy), training on them, and
apply on a frame that Blender itself wrote as a multi-part multilayer EXR."""

import sys

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.features import ALBEDO, COLOR, DEPTH, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.files import read_json
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t
from mcdenoise.native_output import captured_native_output
from mcdenoise.render.blender import BlenderRenderer, BlenderScene
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes.blender_box import build_blender_box

from conftest import run_cli

# bpy 5.0.1 is built for Python 3.11 only; there, the [blender] extra must have installed it.
if sys.version_info[:2] != (3, 11):
    pytest.skip("bpy 5.0.1 (the [blender] extra) is built for Python 3.11 only", allow_module_level=True)


@pytest.fixture(scope="module")
def blend(tmp_path_factory):
    return build_blender_box(tmp_path_factory.mktemp("blend") / "box.blend")


@pytest.fixture(scope="module")
def blender_pairs(tmp_path_factory, blend):
    """8 jittered views of the box as one 4 spp pair each, 64x64, rendered by Cycles."""
    out = tmp_path_factory.mktemp("blender_pairs")
    render_pairs(blend, out, PairJob(views=8, pairs=1, size=(64, 64)))
    return out


@pytest.fixture(scope="module")
def blender_frame(tmp_path_factory, blend):
    """What a Blender user hands over: the scene's camera at 4 spp as Blender writes a multilayer EXR
    by default (a part per pass), Cycles' denoising data passes on, and a 1024 spp reference."""
    out = tmp_path_factory.mktemp("blender_frame")
    scene = BlenderScene(blend)
    renderer = BlenderRenderer(scene, 64, 64)
    reference = renderer.color(1024, 5)
    settings = scene.scene.render
    settings.image_settings.use_exr_interleave = False  # Blender 5's default: a multi-part file
    settings.filepath = str(out / "frame.exr")
    scene.scene.cycles.samples, scene.scene.cycles.seed = 4, 77
    with captured_native_output():
        scene.bpy.ops.render.render(write_still=True)
    return out / "frame.exr", np.stack([reference[c] for c in COLOR], axis=-1)


def test_render_pairs_of_a_blend_records_seeds_and_writes_cycles_features(blender_pairs):
    manifest = read_json(blender_pairs / "manifest.json")
    assert manifest["settings"]["filter"] == "box" and len(manifest["frames"]) == 16
    seeds = {record["seed"] for record in manifest["frames"].values()}
    assert len(seeds) == 16  # every frame its own seed
    a, b = (read_exr(blender_pairs / frame_name(0, 0, side)) for side in "ab")
    assert a.attributes["mcdenoise.variant"].startswith("cycles-cpu")
    assert not np.array_equal(a.stack(COLOR), b.stack(COLOR))
    assert not np.array_equal(a.stack(ALBEDO + NORMAL), b.stack(ALBEDO + NORMAL))  # each frame its own render's passes
    assert a.attributes["mcdenoise.feature_seed"] == a.attributes["mcdenoise.seed"]
    normal, depth = a.stack(NORMAL), a.channels["depth.Z"]
    hit = depth > 0
    assert hit.mean() > 0.9  # the box fills nearly all of the frame
    lengths = np.linalg.norm(normal[hit], axis=-1)
    assert np.median(lengths) > 0.98
    centre = normal[30:34, 30:34].reshape(-1, 3).mean(0)  # the back wall, straight ahead
    assert centre[2] < -0.95 and abs(centre[0]) < 0.2 and abs(centre[1]) < 0.2, centre  # camera space, z into the scene
    assert 0.0 <= a.stack(ALBEDO)[hit].min() and np.median(a.stack(ALBEDO)[hit]) < 1.0
    other_view = read_exr(blender_pairs / frame_name(1, 0, "a"))
    assert not np.array_equal(other_view.channels["depth.Z"], depth)  # the camera moved


def test_a_rerun_resumes_and_other_settings_are_refused(blender_pairs, blend):
    before = {p.name: p.stat().st_mtime_ns for p in blender_pairs.glob("*.exr")}
    result = run_cli("render-pairs", blend, "--out", blender_pairs, "--views", 8, "--pairs", 1, "--size", "64x64")
    assert result.returncode == 0, result.stderr
    assert {p.name: p.stat().st_mtime_ns for p in blender_pairs.glob("*.exr")} == before
    result = run_cli("render-pairs", blend, "--out", blender_pairs, "--views", 8, "--pairs", 1, "--size", "64x64", "--spp", 8)
    assert result.returncode == 1 and "spp" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_training_on_blender_pairs_then_applying_to_blenders_own_file(blender_pairs, blender_frame, tmp_path):
    frame, reference = blender_frame
    model = tmp_path / "box.pt"
    result = run_cli("train", blender_pairs, "--out", model, "--steps", 60, "--crop", 32, "--batch", 4)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "frame.denoised.exr"
    result = run_cli("apply", frame, "--model", model, "-o", out)
    assert result.returncode == 0, result.stderr
    source, denoised = read_exr(frame), read_exr(out)
    assert set(source.channels) < set(denoised.channels)  # every pass kept, the noisy image added
    combined = [f"ViewLayer.Combined.{c}" for c in COLOR]
    np.testing.assert_array_equal(denoised.stack([f"ViewLayer.Noisy Image.{c}" for c in COLOR]), source.stack(combined))
    assert psnr_t(denoised.stack(combined), reference) > psnr_t(source.stack(combined), reference) + 3.0


def test_a_blend_without_bpy_or_that_cannot_open_is_one_line(blend, tmp_path, monkeypatch):
    (tmp_path / "broken.blend").write_bytes(b"not a blend file")
    result = run_cli("render-pairs", tmp_path / "broken.blend", "--out", tmp_path / "out", "--views", 1, "--pairs", 1)
    assert result.returncode == 1 and "broken.blend" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = run_cli("render-pairs", blend, "--out", tmp_path / "out", "--split-emission")
    assert result.returncode == 1 and "Mitsuba" in result.stderr
    monkeypatch.setitem(sys.modules, "bpy", None)  # what an import of a package that is not installed does
    result = run_cli("render-pairs", blend, "--out", tmp_path / "out", "--views", 1, "--pairs", 1)
    assert result.returncode == 1 and "pip install 'mcdenoise[blender]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_passes_match_a_hand_checked_pixel(blend, tmp_path):
    """The back wall, straight ahead of the scene's own camera: white (0.73) and diffuse, facing
    the camera, 3.85 away (from y = -2.85 to y = 1), less the near clip plane's 0.1."""
    render_pairs(blend, tmp_path, PairJob(views=1, pairs=1, spp=16, size=(64, 64)))
    frame = read_exr(tmp_path / frame_name(0, 0, "a"))
    centre = lambda names: frame.stack(names)[30:34, 30:34].reshape(-1, len(names)).mean(0)  # noqa: E731
    np.testing.assert_allclose(centre(ALBEDO), [0.73] * 3, atol=0.01)
    np.testing.assert_allclose(centre(NORMAL), [0.0, 0.0, -1.0], atol=1e-3)
    np.testing.assert_allclose(centre(DEPTH), [3.85 - 0.1], atol=0.01)


def test_the_hook_denoises_what_blender_writes_and_trains_on_the_open_scene(blend, blender_frame, tmp_path):
    import mcdenoise.blender

    _, reference = blender_frame
    scene = BlenderScene(blend)  # opens the box, as a user's session has it
    model = mcdenoise.blender.train_on_scene(tmp_path / "box.pt", minutes=0, views=4, pairs=1, pixels=4096, steps=20, crop=32, batch=4)
    assert model.is_file()
    assert scene.bpy.data.filepath == str(blend)  # the open session was left as it was
    settings = scene.scene.render
    settings.engine, settings.resolution_x, settings.resolution_y, settings.resolution_percentage = "CYCLES", 64, 64, 100
    scene.scene.cycles.samples, scene.scene.cycles.seed, scene.scene.cycles.use_denoising = 4, 78, False
    settings.filepath = str(tmp_path / "still.exr")
    mcdenoise.blender.denoise_renders("base", device="cpu")
    try:
        with captured_native_output():
            scene.bpy.ops.render.render(write_still=True)
    finally:
        mcdenoise.blender.stop_denoising()
    assert not any(h.__name__ == "mcdenoise_denoise_written_frame" for h in scene.bpy.app.handlers.render_write)
    denoised = read_exr(tmp_path / "still.denoised.exr")
    combined = [f"ViewLayer.Combined.{c}" for c in COLOR]
    noisy = read_exr(tmp_path / "still.exr").stack(combined)
    assert psnr_t(denoised.stack(combined), reference) > psnr_t(noisy, reference) + 3.0
