"""Frames that Mitsuba 3 and Blender's Cycles write themselves, as docs/renderers.md tells their users
to render them (two seeds, their own AOV names), go through the loop: train refuses a pair of one
seed in one line, learns from pairs of two, and the model denoises a frame of another seed."""

import json
import sys

import numpy as np
import pytest

from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.metrics import psnr_t
from mcdenoise.native_output import captured_native_output

from conftest import run_cli

STEPS = ("--steps", 40, "--crop", 32, "--batch", 4)
SIZE = 64


def _loop(folder, frame, color_channels, reference, tmp_path) -> tuple[float, float]:
    """Train on ``folder`` from the base, apply the model to ``frame``; PSNR_T of the noisy and the denoised color."""
    result = run_cli("train", folder, "--out", tmp_path / "m.pt", *STEPS)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "frame.denoised.exr"
    applied = run_cli("apply", frame, "--model", tmp_path / "m.pt", "-o", out)
    assert applied.returncode == 0, applied.stderr
    noisy, denoised = read_exr(frame).stack(color_channels), read_exr(out).stack(color_channels)
    return psnr_t(noisy, reference), psnr_t(denoised, reference)


def _refused_as_one_seed(folder, tmp_path) -> None:
    result = run_cli("train", folder, "--out", tmp_path / "same.pt", *STEPS)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "seed" in lines[0], result.stderr
    assert not (tmp_path / "same.pt").exists()


@pytest.fixture(scope="module")
def mitsuba_frames(tmp_path_factory):
    """The Cornell box rendered by Mitsuba 3 itself through its ``aov`` integrator (albedo, shading
    normal, depth) with a box filter, written by ``mi.Bitmap.write``: 4 spp frames of seeds 1 to 9,
    and a 1024 spp reference."""
    import mitsuba as mi

    from mcdenoise.render.variants import set_variant

    set_variant("auto")
    scene = mi.cornell_box()
    scene["sensor"]["film"] = {"type": "hdrfilm", "width": SIZE, "height": SIZE, "rfilter": {"type": "box"}, "component_format": "float32"}
    scene["integrator"] = {"type": "aov", "aovs": "albedo:albedo,normal:sh_normal,depth:depth", "img": {"type": "path"}}
    scene = mi.load_dict(scene)
    out = tmp_path_factory.mktemp("mitsuba")
    for seed, spp in [(seed, 4) for seed in range(1, 10)] + [(1000, 1024)]:
        mi.render(scene, spp=spp, seed=seed)
        scene.sensors()[0].film().bitmap().write(str(out / f"seed{seed}.exr"))
    return out


def test_mitsuba_frames_go_through_the_loop(mitsuba_frames, tmp_path):
    assert {"depth.T", "normal.X", "albedo.R"} <= set(read_exr(mitsuba_frames / "seed1.exr").channels)  # Mitsuba's own names
    entries = [
        {"a": str(mitsuba_frames / f"seed{s}.exr"), "b": str(mitsuba_frames / f"seed{s + 1}.exr"), "view": "box"} for s in (1, 3, 5, 7)
    ]
    listed = tmp_path / "listed"
    listed.mkdir()
    (listed / "pairs.json").write_text(json.dumps(entries))
    reference = read_exr(mitsuba_frames / "seed1000.exr").stack(COLOR)
    noisy, denoised = _loop(listed, mitsuba_frames / "seed9.exr", COLOR, reference, tmp_path)
    assert denoised > noisy + 3.0, (noisy, denoised)
    (listed / "pairs.json").write_text(json.dumps([{"a": entries[0]["a"], "b": entries[0]["a"]}]))
    _refused_as_one_seed(listed, tmp_path)


@pytest.fixture(scope="module")
def cycles_frames(tmp_path_factory):
    """The box rendered by Blender's Cycles itself (``render(write_still=True)``) into multilayer EXRs
    with its Denoising Data passes: two views as pairs of seeds 1 and 2 named NAME_a.exr and
    NAME_b.exr, a pair of one seed, a frame of seed 3 and a 256 spp reference of the first view."""
    if sys.version_info[:2] != (3, 11):
        pytest.skip("bpy 5.0.1 (the [blender] extra) is built for Python 3.11 only")
    import mcdenoise.blender
    from mcdenoise.render.blender import BlenderScene
    from mcdenoise.render.scenes.blender_box import build_blender_box

    out = tmp_path_factory.mktemp("cycles")
    scene = BlenderScene(build_blender_box(out / "box.blend"))
    settings, cycles = scene.scene.render, scene.scene.cycles
    settings.engine, settings.resolution_x, settings.resolution_y, settings.resolution_percentage = "CYCLES", SIZE, SIZE, 100
    cycles.device, cycles.use_denoising, cycles.use_adaptive_sampling = "CPU", False, False
    mcdenoise.blender.prepare_output(scene.scene)  # a 32-bit multilayer EXR with the Denoising Data passes
    camera = scene.scene.camera
    start = tuple(camera.location)
    frames = [("pairs/cam0_a", 0.0, 1, 4), ("pairs/cam0_b", 0.0, 2, 4), ("pairs/cam1_a", 0.3, 1, 4), ("pairs/cam1_b", 0.3, 2, 4)]
    frames += [("same/cam0_a", 0.0, 1, 4), ("same/cam0_b", 0.0, 1, 4), ("frame", 0.0, 3, 4), ("reference", 0.0, 1000, 256)]
    for name, shift, seed, samples in frames:
        camera.location = (start[0] + shift, start[1], start[2])
        cycles.seed, cycles.samples = seed, samples
        settings.filepath = str(out / f"{name}.exr")
        with captured_native_output():
            scene.bpy.ops.render.render(write_still=True)
    return out


def test_cycles_frames_go_through_the_loop(cycles_frames, tmp_path):
    combined = [f"ViewLayer.Combined.{c}" for c in COLOR]
    assert "ViewLayer.Denoising Albedo.R" in read_exr(cycles_frames / "frame.exr").channels  # Blender's own names
    reference = read_exr(cycles_frames / "reference.exr").stack(combined)
    noisy, denoised = _loop(cycles_frames / "pairs", cycles_frames / "frame.exr", combined, reference, tmp_path)
    assert denoised > noisy + 3.0, (noisy, denoised)
    _refused_as_one_seed(cycles_frames / "same", tmp_path)
    assert np.isfinite(reference).all()
