"""Features in files of their own, as OIDN's tools and many renderers write them: train, apply and
eval read them from pairs.json objects, from --albedo/--normal/--depth patterns with {frame}, and
by the naming convention X.albedo.exr beside X.exr; a missing or mismatched file gets one line."""

import json

import pytest

from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t

from conftest import run_cli

STEPS = ("--steps", 40, "--crop", 32, "--batch", 4)
#: mcdenoise's channels of each feature, and the plain R, G, B that an OIDN-style file holds instead.
FEATURES = {"albedo": ALBEDO, "normal": NORMAL}


def split(frame_path, color_path, feature_path) -> dict:
    """Write the frame at ``frame_path`` as OIDN's tools take it: the color alone in ``color_path``,
    each feature's R, G, B in ``feature_path(feature)``; returns the files by feature, color included."""
    frame = read_exr(frame_path)
    write_exr(color_path, Frame({c: frame.channels[c] for c in COLOR}))
    files = {"color": color_path}
    for feature, names in FEATURES.items():
        files[feature] = feature_path(feature)
        write_exr(files[feature], Frame({c: frame.channels[n] for c, n in zip(COLOR, names, strict=True)}))
    return files


@pytest.fixture(scope="module")
def separate(tmp_path_factory, train_dir, test_dir):
    """Four views of the Cornell box as pairs of separate files named in a renderer's own way
    (``cam0_a.exr``, ``cam0_a_alb.exr``, ``cam0_a_nrm.exr``), listed in pairs.json as objects; and
    the test view split alike, with its reference."""
    out = tmp_path_factory.mktemp("separate")
    suffix = {"albedo": "alb", "normal": "nrm"}
    entries = []
    for view in range(4):
        entry = {"view": f"cam{view}"}
        for side in "ab":
            files = split(
                train_dir / frame_name(view, 0, side),
                out / f"cam{view}_{side}.exr",
                lambda f, v=view, s=side: out / f"cam{v}_{s}_{suffix[f]}.exr",
            )
            entry[side] = {feature: file.name for feature, file in files.items()}
        entries.append(entry)
    (out / "pairs.json").write_text(json.dumps(entries))
    held = split(test_dir / frame_name(0, 0, "a"), out / "shot.exr", lambda f: out / f"shot_{suffix[f]}.exr")
    return out, held


def _expect_one_line(result, *fragments):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_train_reads_pairs_json_objects_and_apply_the_same_files(separate, test_dir, tmp_path):
    folder, held = separate
    result = run_cli("train", folder, "--out", tmp_path / "m.pt", *STEPS)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "shot.denoised.exr"
    applied = run_cli(
        "apply", held["color"], "--model", tmp_path / "m.pt", "--albedo", held["albedo"], "--normal", held["normal"], "-o", out
    )
    assert applied.returncode == 0, applied.stderr
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)
    noisy = read_exr(held["color"]).stack(COLOR)
    assert psnr_t(read_exr(out).stack(COLOR), reference) > psnr_t(noisy, reference) + 2.0
    assert set(read_exr(out).channels) == set(COLOR)  # the color file's own channels, nothing added


def test_train_and_apply_take_feature_file_patterns(separate, tmp_path):
    folder, _ = separate
    named = tmp_path / "named"
    named.mkdir()
    for view in range(2):
        for side in "ab":
            for suffix in ("", "_alb", "_nrm"):
                (named / f"cam{view}_{side}{suffix}.exr").write_bytes((folder / f"cam{view}_{side}{suffix}.exr").read_bytes())
    patterns = ("--albedo", "{frame}_alb.exr", "--normal", "{frame}_nrm.exr")
    assert run_cli("train", named, "--out", tmp_path / "m.pt", *STEPS).returncode == 1  # no features without the patterns
    result = run_cli("train", named, "--out", tmp_path / "m.pt", *patterns, *STEPS)
    assert result.returncode == 0, result.stderr
    frames = [named / "cam0_a.exr", named / "cam1_a.exr"]
    applied = run_cli("apply", *frames, "--model", tmp_path / "m.pt", *patterns)
    assert applied.returncode == 0, applied.stderr
    assert all((named / f"cam{view}_a.denoised.exr").is_file() for view in range(2))
    one_file = run_cli("apply", *frames, "--model", tmp_path / "m.pt", "--albedo", named / "cam0_a_alb.exr", "--normal", "{frame}_nrm.exr")
    _expect_one_line(one_file, "--albedo", "one frame", "{frame}")


def test_the_naming_convention_finds_features_beside_the_color(separate, tmp_path):
    folder, held = separate
    convention = tmp_path / "convention"
    convention.mkdir()
    for view in range(2):
        for side in "ab":
            files = split_again(folder, f"cam{view}_{side}", convention)
            assert files["albedo"].name == f"cam{view}_{side}.albedo.exr"
    result = run_cli("train", convention, "--out", tmp_path / "m.pt", *STEPS)  # NAME_a.exr + NAME_a.albedo.exr, ...
    assert result.returncode == 0, result.stderr
    shot = split_again(folder, "shot", convention)
    applied = run_cli("apply", shot["color"], "--model", tmp_path / "m.pt")
    assert applied.returncode == 0, applied.stderr
    assert (convention / "shot.denoised.exr").is_file()


def split_again(folder, name: str, out) -> dict:
    """Copy ``folder``'s ``NAME.exr``, ``NAME_alb.exr`` and ``NAME_nrm.exr`` into ``out`` under the naming convention."""
    files = {"color": out / f"{name}.exr", "albedo": out / f"{name}.albedo.exr", "normal": out / f"{name}.normal.exr"}
    for feature, source in (("color", ""), ("albedo", "_alb"), ("normal", "_nrm")):
        files[feature].write_bytes((folder / f"{name}{source}.exr").read_bytes())
    return files


def test_eval_takes_the_same_layout_flags(separate, test_dir):
    _, held = separate
    reference = test_dir / frame_name(0, None, "ref")
    result = run_cli("eval", held["color"], "--ref", reference, "--albedo", held["albedo"], "--normal", held["normal"], "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["psnr_t"] > 10


def test_missing_or_mismatched_feature_files_get_one_line(separate, tmp_path):
    folder, held = separate
    listed = tmp_path / "listed"
    listed.mkdir()
    entries = json.loads((folder / "pairs.json").read_text())[:1]
    for side in "ab":
        for feature, name in entries[0][side].items():
            entries[0][side][feature] = str(folder / name)
    entries[0]["a"]["albedo"] = "gone_alb.exr"
    (listed / "pairs.json").write_text(json.dumps(entries))
    _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "gone_alb.exr", "missing")
    small = tmp_path / "small_alb.exr"
    write_exr(small, Frame({c: v[:32, :48] for c, v in read_exr(held["albedo"]).channels.items()}))
    entries[0]["a"]["albedo"] = str(small)
    (listed / "pairs.json").write_text(json.dumps(entries))
    _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "small_alb.exr", "48x32")
    for frame, fault in (
        ({"colour": "x.exr"}, "'a' has no 'color' file"),
        ({"color": "x.exr", "alb": "y.exr"}, "unknown field 'alb'"),
        ({"color": "x.exr", "normal": 3}, "a.normal must be a file's path"),
    ):
        (listed / "pairs.json").write_text(json.dumps([{"a": frame, "b": "y.exr"}]))
        _expect_one_line(run_cli("train", listed, "--out", tmp_path / "m.pt", *STEPS), "pairs.json: entry 1", fault)
    assert not (tmp_path / "m.pt").exists()
    depthless = run_cli("apply", held["color"], "--model", "base", "--depth", tmp_path / "no_depth.exr")
    _expect_one_line(depthless, "no_depth.exr")
