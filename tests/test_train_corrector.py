"""train --corrector: a kernel corrector of OIDN trained across a scene's pairs, a model file of its
own kind that apply and Denoiser.load take, resumed when rerun (real renders)."""

import numpy as np
import pytest

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.scene_corrector import SceneCorrector
from mcdenoise.errors import ModelError
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.bundled import resolve_model
from mcdenoise.io.checkpoint import CorrectorModel, load_checkpoint, load_model_file
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.metrics import psnr_t

from conftest import run_cli

STEPS = 30


@pytest.fixture(scope="module")
def corrector(tmp_path_factory, train_dir, test_dir):
    """A corrector trained for STEPS steps on the 16 views of ``train_dir``, scored on ``test_dir``."""
    path = tmp_path_factory.mktemp("corrector") / "scene.pt"
    result = run_cli("train", train_dir, "--out", path, "--corrector", "--steps", STEPS, "--validate", test_dir)
    assert result.returncode == 0, result.stderr
    assert f"a corrector of OIDN, {STEPS} steps" in result.stdout and "corrected" in result.stdout
    return path


def test_a_trained_corrector_corrects_a_new_frame_of_the_scene_close_to_oidn(corrector, test_dir, tmp_path):
    model = load_model_file(corrector)
    assert isinstance(model, CorrectorModel) and model.step == STEPS and model.aux == ("albedo", "normal")
    assert set(next(iter(model.validation.values()))) == {"oidn", "corrected"}
    frame = test_dir / frame_name(0, 0, "a")
    out = tmp_path / "out.exr"
    assert run_cli("apply", frame, "--model", corrector, "-o", out).returncode == 0
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)
    noisy = read_exr(frame)
    oidn = oidn_denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL))
    color = read_exr(out).stack(COLOR)
    assert np.isfinite(color).all() and not np.array_equal(color, oidn)
    # It starts as 98 % OIDN and moves only where the scene's other frames say so.
    assert psnr_t(color, reference) > psnr_t(oidn, reference) - 0.5, (psnr_t(color, reference), psnr_t(oidn, reference))


def test_the_hook_loads_a_corrector_and_takes_arrays(corrector, test_dir):
    denoiser = Denoiser.load(corrector)
    assert isinstance(denoiser, SceneCorrector)
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    from_arrays = denoiser(frame.stack(COLOR), albedo=frame.stack(ALBEDO), normal=frame.stack(NORMAL))
    np.testing.assert_allclose(from_arrays, denoiser(test_dir / frame_name(0, 0, "a")), rtol=1e-5, atol=1e-6)


def test_rerunning_resumes_and_a_corrector_is_refused_where_a_network_is_needed(corrector, train_dir, tmp_path):
    copy, base = tmp_path / "copy.pt", tmp_path / "base.pt"
    copy.write_bytes(corrector.read_bytes())
    base.write_bytes(resolve_model("base").read_bytes())
    result = run_cli("train", train_dir, "--out", copy, "--corrector", "--steps", STEPS + 5)
    assert result.returncode == 0 and f"{STEPS + 5} steps" in result.stdout, result.stderr
    assert load_model_file(copy).step == STEPS + 5
    again = run_cli("train", train_dir, "--out", copy, "--corrector", "--steps", STEPS + 5)
    assert again.returncode == 0 and "already trained, 35 steps" in again.stdout and "nan" not in again.stdout, again.stdout
    with pytest.raises(ModelError, match="corrector"):
        load_checkpoint(copy)
    for args, message in (
        (("train", train_dir, "--out", tmp_path / "m.pt", "--init", copy, "--steps", 1), "corrector"),
        (("train", train_dir, "--out", tmp_path / "c.pt", "--corrector", "--prior", "oidn", "--steps", 1), "--prior"),
        (("train", train_dir, "--out", copy, "--steps", 1), "holds a corrector"),
        (("train", train_dir, "--out", base, "--corrector", "--steps", 1), "another model"),
    ):
        result = run_cli(*args)
        assert result.returncode == 1 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "c.pt").exists()


def test_a_corrector_takes_no_other_half(corrector, test_dir, tmp_path):
    first, second = test_dir / frame_name(0, 0, "a"), test_dir / frame_name(0, 0, "b")
    result = run_cli("apply", first, "--model", corrector, "--other-half", second, "-o", tmp_path / "o.exr")
    assert result.returncode == 1 and "--other-half" in result.stderr and not (tmp_path / "o.exr").exists()
