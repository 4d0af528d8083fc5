"""apply: output beside the input, other channels and header kept, clear errors."""

import numpy as np
import pytest

from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name

from conftest import run_cli


def _frame_with_extras(test_dir, tmp_path):
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    channels = dict(frame.channels)
    channels["extra.A"] = np.full(frame.shape, 0.25, np.float32)
    path = tmp_path / "shot.exr"
    write_exr(path, Frame(channels, {**frame.attributes, "studio.shot": "sq010"}))
    return path


def test_apply_keeps_extra_channels_and_header(trained_model, test_dir, tmp_path):
    source = _frame_with_extras(test_dir, tmp_path)
    before = source.read_bytes()
    result = run_cli("apply", source, "--model", trained_model)
    assert result.returncode == 0, result.stderr
    output = read_exr(tmp_path / "shot.denoised.exr")
    original = read_exr(source)
    assert set(output.channels) == set(original.channels)
    np.testing.assert_array_equal(output.channels["extra.A"], original.channels["extra.A"])
    np.testing.assert_array_equal(output.channels["depth.Z"], original.channels["depth.Z"])
    assert not np.array_equal(output.channels["R"], original.channels["R"])
    assert output.attributes["studio.shot"] == "sq010"
    assert output.attributes["mcdenoise.seed"] == original.attributes["mcdenoise.seed"]
    assert source.read_bytes() == before  # the input is untouched


def test_missing_aux_channel_gives_a_clear_error(trained_model, test_dir, tmp_path):
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    channels = {k: v for k, v in frame.channels.items() if not k.startswith("normal.")}
    write_exr(tmp_path / "no_normal.exr", Frame(channels))
    result = run_cli("apply", tmp_path / "no_normal.exr", "--model", trained_model)
    assert result.returncode == 1
    assert "normal.X, normal.Y, normal.Z" in result.stderr and "no_normal.exr" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "no_normal.denoised.exr").exists()


def test_denoiser_takes_numpy_torch_and_paths_alike(trained_model, test_dir):
    import torch

    from mcdenoise.denoise.hook import Denoiser

    denoiser = Denoiser.load(trained_model)
    path = test_dir / frame_name(0, 0, "a")
    frame = read_exr(path)
    stacked = frame.stack(denoiser.features.channels)
    from_path = denoiser(path)
    from_numpy = denoiser(frame.stack("RGB"), albedo=frame.stack(["albedo.R", "albedo.G", "albedo.B"]), normal=stacked[..., 6:9])
    from_torch = denoiser(torch.from_numpy(stacked))
    assert isinstance(from_torch, torch.Tensor) and from_torch.shape == (64, 64, 3)
    np.testing.assert_array_equal(from_path, from_numpy)
    np.testing.assert_array_equal(from_path, from_torch.numpy())


def test_strict_denoiser_refuses_a_tensor_with_nan_color(trained_model, test_dir):
    import torch

    from mcdenoise.denoise.hook import Denoiser
    from mcdenoise.errors import PixelError

    denoiser = Denoiser.load(trained_model, strict=True)
    stacked = torch.from_numpy(read_exr(test_dir / frame_name(0, 0, "a")).stack(denoiser.features.channels))
    stacked[3, 4, 1] = float("nan")
    with pytest.raises(PixelError, match="1 color values"):
        denoiser(stacked)
