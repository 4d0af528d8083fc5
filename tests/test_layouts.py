"""Any renderer's layout: Blender multilayer view layers, other AOV names, OIDN-style separate
feature files; the output keeps the input's layout. Real renders, renamed as other tools name them."""

import numpy as np
import pytest

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALBEDO, COLOR, DEPTH, NORMAL
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name

from conftest import run_cli

BLENDER_PASSES = {COLOR: "Combined", ALBEDO: "Denoising Albedo", NORMAL: "Denoising Normal", DEPTH: "Denoising Depth"}


@pytest.fixture(scope="module")
def noisy(test_dir):
    return read_exr(test_dir / frame_name(0, 0, "a"))


@pytest.fixture(scope="module")
def expected(noisy):
    """The base model's output for the frame in mcdenoise's own layout."""
    return Denoiser.load("base", device="cpu", precision="fp32").denoise_frame(noisy)


def _blender_channels(frame: Frame, layer: str, color_pass: str = "Combined") -> dict:
    channels = {}
    for names, blender_pass in BLENDER_PASSES.items():
        blender_pass = color_pass if names == COLOR else blender_pass
        for name in names:
            channels[f"{layer}.{blender_pass}.{name.split('.')[-1]}"] = frame.channels[name]
    channels[f"{layer}.Combined.A"] = np.ones(frame.shape, np.float32)
    return channels


def _apply(*args):
    return run_cli("apply", *args, "--route", "base", "--precision", "fp32")


def test_a_blender_view_layer_is_found_and_the_output_keeps_its_passes(noisy, expected, tmp_path):
    source = tmp_path / "shot.exr"
    write_exr(source, Frame(_blender_channels(noisy, "ViewLayer")))
    result = _apply(source, "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    out = read_exr(tmp_path / "out.exr")
    denoised = out.stack([f"ViewLayer.Combined.{c}" for c in COLOR])
    np.testing.assert_allclose(denoised, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out.stack([f"ViewLayer.Noisy Image.{c}" for c in COLOR]), noisy.stack(COLOR))
    assert set(out.channels) == set(read_exr(source).channels) | {f"ViewLayer.Noisy Image.{c}" for c in COLOR}


def test_blenders_noisy_image_is_read_before_its_denoised_combined(noisy, expected, tmp_path):
    channels = _blender_channels(noisy, "ViewLayer", color_pass="Noisy Image")
    channels.update({f"ViewLayer.Combined.{c}": np.zeros(noisy.shape, np.float32) for c in COLOR})  # Cycles' own denoised
    write_exr(tmp_path / "shot.exr", Frame(channels))
    assert _apply(tmp_path / "shot.exr", "-o", tmp_path / "out.exr").returncode == 0
    out = read_exr(tmp_path / "out.exr")
    np.testing.assert_allclose(out.stack([f"ViewLayer.Combined.{c}" for c in COLOR]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out.stack([f"ViewLayer.Noisy Image.{c}" for c in COLOR]), noisy.stack(COLOR))


def test_two_view_layers_need_layer_and_a_wrong_one_is_named(noisy, expected, tmp_path):
    channels = {**_blender_channels(noisy, "Front"), **_blender_channels(noisy, "Back")}
    write_exr(tmp_path / "two.exr", Frame(channels))
    result = _apply(tmp_path / "two.exr", "-o", tmp_path / "out.exr")
    assert result.returncode == 1 and "Front" in result.stderr and "Back" in result.stderr and "--layer" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out.exr").exists()
    result = _apply(tmp_path / "two.exr", "--layer", "Side", "-o", tmp_path / "out.exr")
    assert result.returncode == 1 and "no view layer 'Side'" in result.stderr
    assert _apply(tmp_path / "two.exr", "--layer", "Back", "-o", tmp_path / "out.exr").returncode == 0
    out = read_exr(tmp_path / "out.exr")
    np.testing.assert_allclose(out.stack([f"Back.Combined.{c}" for c in COLOR]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out.stack([f"Front.Combined.{c}" for c in COLOR]), noisy.stack(COLOR))


def test_other_aov_names_are_found_or_mapped_with_channels(noisy, expected, tmp_path):
    renamed = {f"beauty.{c}": noisy.channels[c] for c in COLOR}
    renamed.update({f"diffuse_albedo.{c}": noisy.channels[f"albedo.{c}"] for c in COLOR})
    renamed.update({f"Nw.{a}": noisy.channels[f"normal.{a}"] for a in "XYZ"})
    write_exr(tmp_path / "aov.exr", Frame(renamed))
    result = _apply(tmp_path / "aov.exr", "-o", tmp_path / "out.exr")
    assert result.returncode == 1 and "--channels" in result.stderr and "beauty.R" in result.stderr
    result = _apply(tmp_path / "aov.exr", "--channels", "color=beauty,normal=Nw", "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    out = read_exr(tmp_path / "out.exr")
    assert set(out.channels) == set(renamed)  # diffuse_albedo was found by its name; nothing added
    np.testing.assert_allclose(out.stack([f"beauty.{c}" for c in COLOR]), expected, rtol=1e-5, atol=1e-6)


def test_a_bad_channels_option_is_one_line(noisy, tmp_path):
    source = tmp_path / "f.exr"
    write_exr(source, noisy)
    for mapping in ("color", "shine=beauty"):
        result = _apply(source, "--channels", mapping, "-o", tmp_path / "out.exr")
        assert result.returncode == 1 and "--channels takes FEATURE=GROUP" in result.stderr, result.stderr
    result = _apply(source, "--channels", "albedo=nothing", "-o", tmp_path / "out.exr")
    assert result.returncode == 1 and "no channels nothing.*" in result.stderr and not (tmp_path / "out.exr").exists()


def test_features_from_separate_files_as_oidn_takes_them(noisy, expected, tmp_path):
    write_exr(tmp_path / "color.exr", Frame({c: noisy.channels[c] for c in COLOR}))
    write_exr(tmp_path / "albedo.exr", Frame({c: noisy.channels[f"albedo.{c}"] for c in COLOR}))
    write_exr(tmp_path / "normal.exr", Frame({c: noisy.channels[n] for c, n in zip(COLOR, NORMAL, strict=True)}))
    files = ("--albedo", tmp_path / "albedo.exr", "--normal", tmp_path / "normal.exr")
    result = _apply(tmp_path / "color.exr", *files, "-o", tmp_path / "out.exr")
    assert result.returncode == 0, result.stderr
    out = read_exr(tmp_path / "out.exr")
    assert set(out.channels) == set(COLOR)
    np.testing.assert_allclose(out.stack(COLOR), expected, rtol=1e-5, atol=1e-6)
    result = _apply(tmp_path / "color.exr", *files, "-o", tmp_path / "albedo.exr")
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    write_exr(tmp_path / "small.exr", Frame({c: np.ones((8, 8), np.float32) for c in COLOR}))
    result = _apply(
        tmp_path / "color.exr", "--albedo", tmp_path / "small.exr", "--normal", tmp_path / "normal.exr", "-o", tmp_path / "o.exr"
    )
    assert result.returncode == 1 and "8x8" in result.stderr and not (tmp_path / "o.exr").exists()


def test_eval_reads_a_blender_files_combined_pass(noisy, test_dir, tmp_path):
    write_exr(tmp_path / "shot.exr", Frame(_blender_channels(noisy, "ViewLayer")))
    reference = test_dir / frame_name(0, None, "ref")
    ours = run_cli("eval", test_dir / frame_name(0, 0, "a"), "--ref", reference, "--json")
    blender = run_cli("eval", tmp_path / "shot.exr", "--ref", reference, "--json")
    assert blender.returncode == 0 and blender.stdout == ours.stdout, blender.stderr
