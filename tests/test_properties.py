"""Property-based tests (hypothesis): tiling and EXR round trips hold for any size and setting,
and the file readers fail only with our typed errors, whatever bytes they are given.

The numbers of generated cases are recorded in tests/README.md.
"""

import json
import os
from dataclasses import asdict

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcdenoise.config import UNetConfig
from mcdenoise.errors import ExrError, JobError
from mcdenoise.features import FeatureSet
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import FORMAT, RenderSettings, frame_name, read_pairs_directory
from mcdenoise.learn.encode import exposure_scale
from mcdenoise.learn.infer import denoise_array
from mcdenoise.learn.model import UNet

#: More cases with MCDENOISE_LONG_TESTS=1 (the long run recorded in tests/README.md).
SCALE = 20 if os.environ.get("MCDENOISE_LONG_TESTS") else 1
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(1)
    model = UNet(UNetConfig(in_channels=9, width=4, depth=2))
    torch.nn.init.normal_(model.out.weight, std=0.2)
    return model.eval()


@settings(max_examples=60 * SCALE, **COMMON)
@given(
    height=st.integers(1, 120),
    width=st.integers(1, 120),
    tile=st.integers(1, 128),
    overlap=st.one_of(st.none(), st.integers(0, 64)),
    seed=st.integers(0, 2**16),
    precision=st.sampled_from(["fp32", "bf16"]),
)
def test_tiled_equals_untiled_for_any_size_tile_and_overlap(small_model, height, width, tile, overlap, seed, precision):
    rng = np.random.default_rng(seed)
    frame = rng.random((height, width, 9), dtype=np.float32) * np.array([4, 4, 4, 1, 1, 1, 2, 2, 2], np.float32)
    whole = denoise_array(small_model, FeatureSet(), frame, tile=4096, precision=precision)
    tiled = denoise_array(small_model, FeatureSet(), frame, tile=tile, overlap=overlap, precision=precision)
    assert tiled.shape == (height, width, 3)
    assert np.abs(tiled - whole).max() <= 1e-4


_channel_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}(\.[A-Za-z0-9]{1,3})?", fullmatch=True)


@settings(max_examples=60 * SCALE, **COMMON)
@given(
    names=st.sets(_channel_name, min_size=1, max_size=6),
    height=st.integers(1, 24),
    width=st.integers(1, 24),
    seed=st.integers(0, 2**16),
)
def test_exr_round_trip_for_any_channel_set_and_size(tmp_path_factory, names, height, width, seed):
    rng = np.random.default_rng(seed)
    channels = {n: (rng.standard_normal((height, width)) * 10).astype(np.float32) for n in names}
    path = tmp_path_factory.mktemp("rt") / "f.exr"
    write_exr(path, Frame(channels))
    frame = read_exr(path)
    assert set(frame.channels) == set(names)
    for name in names:
        np.testing.assert_array_equal(frame.channels[name], channels[name])


@pytest.fixture(scope="module")
def valid_exr_bytes(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("seed") / "seed.exr"
    write_exr(path, Frame({n: rng.random((9, 11), dtype=np.float32) for n in ("R", "G", "B", "albedo.R")}, {"note": "x"}))
    return path.read_bytes()


@settings(max_examples=500 * SCALE, **COMMON)
@given(data=st.data())
def test_exr_reader_fuzz_raises_only_typed_errors(tmp_path_factory, valid_exr_bytes, data):
    mode = data.draw(st.sampled_from(["random", "mutate", "truncate"]))
    if mode == "random":
        blob = data.draw(st.binary(max_size=400))
    elif mode == "truncate":
        blob = valid_exr_bytes[: data.draw(st.integers(0, len(valid_exr_bytes)))]
    else:
        blob = bytearray(valid_exr_bytes)
        for _ in range(data.draw(st.integers(1, 8))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    path = tmp_path_factory.mktemp("fuzz") / "f.exr"
    path.write_bytes(blob)
    try:
        frame = read_exr(path)
    except ExrError:
        return
    assert all(c.dtype == np.float32 and c.ndim == 2 for c in frame.channels.values())


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**10) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _valid_manifest():
    settings = RenderSettings(False, 0, None, "scene.xml", "0" * 64, 4, 1, 1, 0.05, 16, 16, "box")
    record = {"view": 0, "pair": 0, "seed": 5, "feature_seed": 6, "spp": 4, "variant": "scalar_rgb"}
    frames = {frame_name(0, 0, s): {**record, "side": s} for s in "ab"}
    return {"format": FORMAT, "settings": asdict(settings), "cameras": {"0": {"x_fov": 40.0}}, "frames": frames}


@settings(max_examples=500 * SCALE, **COMMON)
@given(data=st.data())
def test_manifest_reader_fuzz_raises_only_typed_errors(tmp_path_factory, data):
    mode = data.draw(st.sampled_from(["bytes", "json", "mutate"]))
    if mode == "bytes":
        blob = data.draw(st.binary(max_size=300))
    elif mode == "json":
        blob = json.dumps(data.draw(_json_value)).encode()
    else:
        manifest = _valid_manifest()
        part = data.draw(st.sampled_from(["frames", "settings", "cameras"]))
        record = manifest["frames"][frame_name(0, 0, "a")] if part == "frames" else manifest[part]
        record[data.draw(st.sampled_from(sorted(record) + ["extra"]))] = data.draw(_json_value)
        blob = json.dumps(manifest).encode()
    directory = tmp_path_factory.mktemp("manifest")
    (directory / "manifest.json").write_bytes(blob)
    try:
        pairs = read_pairs_directory(directory)
    except JobError:
        return
    assert isinstance(pairs.views, tuple)
    for view in pairs.views:  # a manifest that reads must also list its views without error
        assert all(a.name.endswith("_a.exr") and b.name.endswith("_b.exr") for a, b in view.pairs)


@settings(max_examples=60 * SCALE, **COMMON)
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    seed=st.integers(0, 2**16),
    spoiled=st.integers(0, 5),
)
def test_exposure_scale_follows_the_numpy_percentile_definition(height, width, seed, spoiled):
    rng = np.random.default_rng(seed)
    color = (rng.exponential(0.5, (height, width, 3)) ** 2).astype(np.float32)
    for _ in range(spoiled):  # NaN, infinite and negative values count as 0
        color[rng.integers(height), rng.integers(width), rng.integers(3)] = rng.choice([np.nan, np.inf, -np.inf, -1.0])
    clean = np.nan_to_num(np.maximum(color, 0), nan=0.0, posinf=0.0).astype(np.float64)
    luminance = clean @ np.array([0.2126, 0.7152, 0.0722])
    expected = 0.18 / max(np.minimum(luminance, np.percentile(luminance, 99)).mean(), 1e-4)
    assert exposure_scale(color) == pytest.approx(expected, rel=1e-5)
    assert exposure_scale(torch.from_numpy(color)) == exposure_scale(color)
