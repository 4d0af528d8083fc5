"""EXR reading and writing: round trips, channel names, float32, bad files."""

import os

import numpy as np
import OpenEXR
import pytest

from mcdenoise.errors import ExrError
from mcdenoise.features import ALL_CHANNELS
from mcdenoise.io.exr import Frame, read_exr, write_exr


def test_round_trip_keeps_channels_values_and_attributes(tmp_path):
    rng = np.random.default_rng(0)
    channels = {name: rng.random((5, 7), dtype=np.float32) * 100 for name in ALL_CHANNELS + ("extra.A",)}
    write_exr(tmp_path / "f.exr", Frame(channels, {"mcdenoise.seed": 1234, "note": "hello"}))
    frame = read_exr(tmp_path / "f.exr")
    assert set(frame.channels) == set(channels)
    for name, data in channels.items():
        assert frame.channels[name].dtype == np.float32
        np.testing.assert_array_equal(frame.channels[name], data)
    assert frame.attributes["mcdenoise.seed"] == 1234
    assert frame.attributes["note"] == "hello"


def test_written_channels_are_float32_on_disk(tmp_path):
    write_exr(tmp_path / "f.exr", Frame({n: np.zeros((2, 3), np.float32) for n in ("R", "G", "B")}))
    with OpenEXR.File(str(tmp_path / "f.exr"), separate_channels=True) as exr:
        assert {n: c.pixels.dtype for n, c in exr.channels().items()} == {n: np.float32 for n in "RGB"}


def test_half_float_channels_are_read_as_float32(tmp_path):
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    pixels = {n: np.full((3, 4), 0.5, np.float16) for n in "RGB"}
    with OpenEXR.File(header, pixels) as exr:
        exr.write(str(tmp_path / "half.exr"))
    frame = read_exr(tmp_path / "half.exr")
    assert frame.channels["R"].dtype == np.float32 and frame.channels["R"][0, 0] == 0.5


@pytest.mark.parametrize("content", [b"", b"not an exr at all", b"v/1\x01" + b"\x00" * 40])
def test_bad_files_raise_a_typed_error_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.exr"
    path.write_bytes(content)
    with pytest.raises(ExrError, match="bad.exr"):
        read_exr(path)


def test_truncated_file_raises(tmp_path):
    write_exr(tmp_path / "f.exr", Frame({n: np.ones((64, 64), np.float32) for n in "RGB"}))
    data = (tmp_path / "f.exr").read_bytes()
    (tmp_path / "cut.exr").write_bytes(data[: len(data) // 2])
    with pytest.raises(ExrError, match="cut.exr"):
        read_exr(tmp_path / "cut.exr")


def test_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(ExrError):
        write_exr(tmp_path / "f.exr", Frame({"R": np.ones((2, 2), np.float32), "G": np.ones((3, 3), np.float32)}))
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        write_exr(tmp_path / "f.exr", Frame({"R": np.zeros((2, 2), np.float32)}))
    finally:
        os.umask(mask)
    assert (tmp_path / "f.exr").stat().st_mode & 0o777 == 0o644  # not mkstemp's owner-only 0o600
