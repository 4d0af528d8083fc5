"""Bring your own pairs: train learns from folders of frames that another renderer wrote, named
NAME_a.exr/NAME_b.exr or listed in pairs.json, with the same checks as render-pairs output."""

import json
import shutil

import numpy as np
import pytest

from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t

from conftest import run_cli

STEPS = ("--steps", 40, "--crop", 32, "--batch", 4)


def _blender(frame: Frame) -> Frame:
    """The frame as Blender names a view layer's passes."""
    passes = {"R": "Combined.R", "G": "Combined.G", "B": "Combined.B", "depth.Z": "Denoising Depth.Z"}
    for c in "RGB":
        passes[f"albedo.{c}"] = f"Denoising Albedo.{c}"
    for a in "XYZ":
        passes[f"normal.{a}"] = f"Denoising Normal.{a}"
    return Frame({f"ViewLayer.{passes[k]}": v for k, v in frame.channels.items() if k in passes})


@pytest.fixture(scope="module")
def own_pairs(tmp_path_factory, train_dir, test_dir):
    """Four views of the Cornell box as Blender-style files named by the NAME_a/NAME_b pattern, and the
    test view with its reference as shot_ref.exr."""
    out = tmp_path_factory.mktemp("own")
    for view in range(4):
        for side in "ab":
            write_exr(out / f"cam{view}_{side}.exr", _blender(read_exr(train_dir / frame_name(view, 0, side))))
    return out


def test_train_learns_from_named_pairs_of_another_renderer_and_scores_their_reference(own_pairs, test_dir, tmp_path):
    validate = tmp_path / "validate"
    validate.mkdir()
    for side, name in (("a", "shot_a.exr"), ("b", "shot_b.exr")):
        write_exr(validate / name, _blender(read_exr(test_dir / frame_name(0, 0, side))))
    shutil.copy(test_dir / frame_name(0, None, "ref"), validate / "shot_ref.exr")
    result = run_cli("train", own_pairs, "--validate", validate, "--out", tmp_path / "m.pt", *STEPS)
    assert result.returncode == 0, result.stderr
    assert "40 steps" in result.stdout and "validate/shot" in result.stdout, result.stdout
    out = tmp_path / "shot.denoised.exr"
    assert run_cli("apply", validate / "shot_a.exr", "--model", tmp_path / "m.pt", "-o", out).returncode == 0
    reference = read_exr(validate / "shot_ref.exr").stack(("R", "G", "B"))
    denoised = read_exr(out).stack([f"ViewLayer.Combined.{c}" for c in "RGB"])
    noisy = read_exr(validate / "shot_a.exr").stack([f"ViewLayer.Combined.{c}" for c in "RGB"])
    assert psnr_t(denoised, reference) > psnr_t(noisy, reference) + 2.0


def test_a_pairs_list_groups_pairs_into_views(own_pairs, tmp_path):
    entries = [
        {"a": str(own_pairs / f"cam{v}_a.exr"), "b": str(own_pairs / f"cam{v}_b.exr"), "view": "box" if v < 2 else "other"}
        for v in range(4)
    ]
    (tmp_path / "pairs.json").write_text(json.dumps(entries))
    result = run_cli("train", tmp_path, "--out", tmp_path / "m.pt", *STEPS)
    assert result.returncode == 0, result.stderr


def _expect_one_line(result, *fragments):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_bad_folders_of_pairs_get_one_line(own_pairs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _expect_one_line(run_cli("train", empty, "--out", tmp_path / "m.pt", *STEPS), "NAME_a.exr", "pairs.json")
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(own_pairs / "cam0_a.exr", lone / "cam0_a.exr")
    _expect_one_line(run_cli("train", lone, "--out", tmp_path / "m.pt", *STEPS), "cam0_b.exr")
    same = tmp_path / "same"
    same.mkdir()
    for side in "ab":
        shutil.copy(own_pairs / "cam0_a.exr", same / f"cam0_{side}.exr")
    _expect_one_line(run_cli("train", same, "--out", tmp_path / "m.pt", *STEPS), "the same image", "two different seeds")
    sizes = tmp_path / "sizes"
    sizes.mkdir()
    shutil.copy(own_pairs / "cam0_a.exr", sizes / "cam0_a.exr")
    small = read_exr(own_pairs / "cam0_b.exr")
    write_exr(sizes / "cam0_b.exr", Frame({k: v[:32, :48] for k, v in small.channels.items()}))
    _expect_one_line(run_cli("train", sizes, "--out", tmp_path / "m.pt", *STEPS), "48x32")
    listed = tmp_path / "listed"
    listed.mkdir()
    (listed / "pairs.json").write_text(json.dumps([{"a": "x.exr", "b": "y.exr"}]))
    _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "x.exr", "missing")
    (listed / "pairs.json").write_text(json.dumps({"a": "x.exr"}))
    _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "pairs.json", "list")
    for entry, fault in (
        ({"a": ["x.exr"], "b": "y.exr"}, "'a' must be a file's path (a string) or an object of files"),
        ({"a": "x.exr"}, "no 'b'"),
        ("x.exr", "not an object"),
        ({"a": "x.exr", "b": "y.exr", "ref": "r.exr"}, "unknown field 'ref'"),
        ({"a": "x.exr", "b": "y.exr", "view": [1]}, "'view' must be a name"),
    ):
        (listed / "pairs.json").write_text(json.dumps([{"a": "p.exr", "b": "q.exr"}, entry]))
        _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "pairs.json: entry 2", fault)
    flat = tmp_path / "flat"
    flat.mkdir()
    for side in "ab":
        frame = read_exr(own_pairs / f"cam0_{side}.exr")
        write_exr(flat / f"cam0_{side}.exr", Frame({k: v for k, v in frame.channels.items() if "Albedo" not in k}))
    _expect_one_line(run_cli("train", flat, "--out", tmp_path / "m.pt", *STEPS), "albedo", "--channels albedo=GROUP")
    assert not (tmp_path / "m.pt").exists()
    assert np.isfinite(read_exr(own_pairs / "cam0_a.exr").stack(["ViewLayer.Combined.R"])).all()
