"""render-pairs on real Mitsuba renders: seeds, independence, EXR layout, resume, options."""

import json
import re

import numpy as np
import pytest

from mcdenoise.config import PairJob
from mcdenoise.errors import JobError
from mcdenoise.features import ALL_CHANNELS
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name, frame_seed, read_manifest, read_pairs_directory, write_manifest
from mcdenoise.render.job import render_pairs

from conftest import SHARED_SCENES, run_cli


def test_seeds_are_distinct_nonzero_and_recorded(train_dir):
    manifest = json.loads((train_dir / "manifest.json").read_text())
    seeds = [record["seed"] for record in manifest["frames"].values()]
    assert len(seeds) == 32 and len(set(seeds)) == 32 and 0 not in seeds
    for name, record in manifest["frames"].items():
        attributes = read_exr(train_dir / name).attributes
        assert attributes["mcdenoise.seed"] == record["seed"]
        assert attributes["mcdenoise.spp"] == 4
        assert attributes["mcdenoise.resolution"] == "64x64"
        assert attributes["mcdenoise.variant"] == record["variant"]
        assert len(attributes["mcdenoise.scene_sha256"]) == 64
    settings = manifest["settings"]
    assert settings["spp"] == 4 and settings["width"] == 64 and settings["scene"].endswith("scene.xml")


def test_frames_have_the_benchmark_channels_in_float32(train_dir):
    frame = read_exr(train_dir / frame_name(0, 0, "a"))
    assert set(frame.channels) == set(ALL_CHANNELS)
    assert all(c.dtype == np.float32 and c.shape == (64, 64) for c in frame.channels.values())
    normal = frame.stack(("normal.X", "normal.Y", "normal.Z"))
    assert np.abs(normal).max() <= 1.0 + 1e-4
    albedo = frame.stack(("albedo.R", "albedo.G", "albedo.B"))
    assert 0.0 <= albedo.min() and albedo.max() <= 1.0


def test_pair_frames_differ_but_agree_in_mean(scene_path, tmp_path):
    render_pairs(scene_path, tmp_path, PairJob(views=1, pairs=4, size=(48, 48)), show_progress=False)
    a = np.stack([read_exr(tmp_path / frame_name(0, p, "a")).stack("RGB") for p in range(4)])
    b = np.stack([read_exr(tmp_path / frame_name(0, p, "b")).stack("RGB") for p in range(4)])
    assert np.mean(a != b) > 0.5  # independent noise: most pixels differ
    # Means agree: a two-sample z-test on per-pixel luminance differences.
    diff = (a - b).mean(axis=-1).ravel()
    z = diff.mean() / (diff.std(ddof=1) / np.sqrt(diff.size))
    assert abs(z) < 4.0


def test_a_pair_shares_one_feature_pass_with_its_own_seed(train_dir):
    a, b = (read_exr(train_dir / frame_name(3, 0, side)) for side in "ab")
    features = [c for c in ALL_CHANNELS if c not in ("R", "G", "B")]
    assert all(np.array_equal(a.channels[c], b.channels[c]) for c in features)
    assert not np.array_equal(a.channels["R"], b.channels["R"])
    seed = a.attributes["mcdenoise.feature_seed"]
    assert seed == b.attributes["mcdenoise.feature_seed"]
    assert seed not in (a.attributes["mcdenoise.seed"], b.attributes["mcdenoise.seed"])


def test_seed_is_never_the_default_zero_and_sides_differ():
    seeds = {frame_seed(base, v, p, s) for base in (0, 1) for v in range(5) for p in range(5) for s in ("a", "b", "ref")}
    assert 0 not in seeds and len(seeds) == 2 * 5 * 5 * 3


def test_resume_skips_finished_pairs(scene_path, tmp_path):
    job = PairJob(pairs=1, views=3, size=(32, 32))
    render_pairs(scene_path, tmp_path, job, show_progress=False)
    kept = tmp_path / frame_name(0, 0, "a")
    kept_stamp = kept.stat().st_mtime_ns
    # Lose one pair, as after a crash between its render and the manifest update.
    lost = tmp_path / frame_name(2, 0, "b")
    lost_data = read_exr(lost).channels["R"]
    lost.unlink()
    render_pairs(scene_path, tmp_path, job, show_progress=False)
    assert kept.stat().st_mtime_ns == kept_stamp
    np.testing.assert_array_equal(read_exr(lost).channels["R"], lost_data)  # same seed, same image
    assert not list(tmp_path.glob("*.partial*"))


def test_resume_with_other_settings_is_refused(scene_path, tmp_path):
    render_pairs(scene_path, tmp_path, PairJob(views=1, pairs=1, size=(32, 32)), show_progress=False)
    with pytest.raises(JobError, match="other settings"):
        render_pairs(scene_path, tmp_path, PairJob(views=1, pairs=1, size=(32, 32), spp=8), show_progress=False)


def test_the_manifest_is_read_and_written_back_to_the_same_bytes(train_dir, tmp_path):
    write_manifest(tmp_path, read_manifest(train_dir))
    assert (tmp_path / "manifest.json").read_bytes() == (train_dir / "manifest.json").read_bytes()


@pytest.mark.parametrize(
    ("part", "key", "value", "fault"),
    [
        ("frames", "spp", "4", "frame entry 'view000_pair000_a.exr' is malformed (spp)"),
        ("frames", "extra", 1, "frame entry 'view000_pair000_a.exr' is malformed (extra)"),
        ("settings", "width", 1.5, "its settings are malformed (width)"),
        ("cameras", "first", {}, "its cameras are malformed"),
    ],
)
def test_a_malformed_manifest_names_the_field(train_dir, tmp_path, part, key, value, fault):
    manifest = json.loads((train_dir / "manifest.json").read_text())
    (manifest["frames"][frame_name(0, 0, "a")] if part == "frames" else manifest[part])[key] = value
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(JobError, match=re.escape(fault) + ".*render the set again"):
        read_pairs_directory(tmp_path)


def test_views_move_the_camera_and_references_are_written(test_dir, train_dir):
    manifest = json.loads((train_dir / "manifest.json").read_text())
    poses = {json.dumps(c["to_world"]) for c in manifest["cameras"].values()}
    assert len(poses) == 16
    reference = read_exr(test_dir / frame_name(0, None, "ref"))
    assert reference.attributes["mcdenoise.spp"] == 512


def test_cli_size_filter_and_help(scene_path, tmp_path):
    result = run_cli(
        "render-pairs", scene_path, "--out", tmp_path / "r", "--views", 1, "--pairs", 1, "--pixels", 1024, "--filter", "scene", "--spp", 2
    )
    assert result.returncode == 0, result.stderr
    frame = read_exr(tmp_path / "r" / frame_name(0, 0, "a"))
    assert frame.shape == (32, 32)
    assert frame.attributes["mcdenoise.filter"] == "scene"
    assert "--reference-spp" in run_cli("render-pairs", "--help").stdout


@pytest.mark.skipif(not SHARED_SCENES.is_dir(), reason="needs ../shared/scenes beside the repository")
@pytest.mark.parametrize("name", sorted(p.parent.name for p in SHARED_SCENES.glob("*/scene.xml")))
def test_every_shared_scene_renders_pairs_at_16384_pixels(name, tmp_path):
    manifest = render_pairs(SHARED_SCENES / name / "scene.xml", tmp_path, PairJob(views=1, pairs=1, pixels=16384), show_progress=False)
    settings = manifest.settings
    assert abs(settings.width * settings.height - 16384) < 16384 * 0.1
    assert settings.width % 8 == 0 and settings.height % 8 == 0
    a = read_exr(tmp_path / frame_name(0, 0, "a")).stack("RGB")
    assert np.isfinite(a).all() and a.mean() > 0


def test_the_defaults_are_the_recommended_training_set():
    from mcdenoise.cli import build_parser

    job = PairJob()
    assert (job.views, job.pairs, job.spp, job.pixels) == (32, 4, 4, 65536)
    args = vars(build_parser().parse_args(["render-pairs", "scene.xml", "--out", "out"]))
    assert tuple(args[f"job.{name}"] for name in ("views", "pairs", "spp", "pixels", "pixel_filter")) == (
        job.views,
        job.pairs,
        job.spp,
        job.pixels,
        job.pixel_filter,
    )
