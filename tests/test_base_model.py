"""The bundled base model: it ships, denoises out of the box, and fine-tuning from it beats starting over."""

import numpy as np
import pytest

from mcdenoise.config import TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.errors import ModelError
from mcdenoise.features import COLOR
from mcdenoise.io.bundled import BASE_MODEL, BUNDLED_MODELS, resolve_model
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.optim import FINE_TUNE_LEARNING_RATE
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t

from conftest import run_cli


def _test_frame(test_dir):
    return test_dir / frame_name(0, 0, "a"), read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)


@pytest.mark.parametrize("name", BUNDLED_MODELS)
def test_bundled_models_ship_as_weights_with_provenance(name):
    checkpoint = load_checkpoint(BUNDLED_MODELS[name])
    assert checkpoint.training is None  # weights only, a few MB
    assert BUNDLED_MODELS[name].stat().st_size < 8 * 2**20
    provenance = checkpoint.provenance
    assert provenance["targets"].startswith("noisy") and provenance["steps"] > 0
    assert provenance["command"].startswith(("python tools/train_base.py", "python benchmarks/train_base.py"))  # where it was then


@pytest.mark.parametrize("name", BUNDLED_MODELS)
def test_bundled_models_improve_a_real_4spp_frame(test_dir, name):
    source, reference = _test_frame(test_dir)
    noisy = read_exr(source).stack(COLOR)
    denoised = Denoiser.load(name)(source)
    assert psnr_t(denoised, reference) > psnr_t(noisy, reference) + 2.0


def test_the_fast_model_is_the_narrower_network():
    widths = {name: load_checkpoint(path).model_config.width for name, path in BUNDLED_MODELS.items()}
    assert widths["fast"] < widths["base"]


def test_apply_with_the_fast_model_by_name(test_dir, tmp_path):
    source, _ = _test_frame(test_dir)
    out = tmp_path / "denoised.exr"
    result = run_cli("apply", source, "--model", "fast", "-o", out)
    assert result.returncode == 0, result.stderr
    assert read_exr(out).attributes["mcdenoise.model"] == BUNDLED_MODELS["fast"].name


def test_apply_routed_to_the_base_uses_the_base_model(test_dir, tmp_path):
    source, reference = _test_frame(test_dir)
    out = tmp_path / "denoised.exr"
    result = run_cli("apply", source, "--route", "base", "-o", out)
    assert result.returncode == 0, result.stderr
    frame = read_exr(out)
    assert frame.attributes["mcdenoise.model"] == BASE_MODEL.name
    assert psnr_t(frame.stack(COLOR), reference) > psnr_t(read_exr(source).stack(COLOR), reference) + 2.0


def test_fine_tuning_from_base_beats_scratch_for_the_same_steps(train_dir, test_dir, tmp_path):
    source, reference = _test_frame(test_dir)
    scores = {}
    for init in ("base", "scratch"):
        config = TrainConfig(steps=150, crop=32, init=init, checkpoint_seconds=1e9, score_seconds=1e9)
        train([train_dir], tmp_path / f"{init}.pt", config, show_progress=False, log=lambda *a: None)
        scores[init] = psnr_t(Denoiser.load(tmp_path / f"{init}.pt", device="cpu")(source), reference)
    assert scores["base"] > scores["scratch"] + 1.0, scores


def test_train_fine_tunes_the_base_model_by_default(train_dir, tmp_path):
    result = run_cli("train", train_dir, "--out", tmp_path / "m.pt", "--steps", "2")
    assert result.returncode == 0, result.stderr
    assert "fine-tuning from the base model" in result.stdout and "peak learning rate 0.002" in result.stdout
    assert load_checkpoint(tmp_path / "m.pt").peak_learning_rate == FINE_TUNE_LEARNING_RATE
    resumed = run_cli("train", train_dir, "--out", tmp_path / "m.pt", "--steps", "3")
    assert "resuming" in resumed.stdout and "peak learning rate 0.002" in resumed.stdout  # keeps its peak
    saved, base = (load_checkpoint(p).model_config for p in (tmp_path / "m.pt", BASE_MODEL))
    assert saved == base
    result = run_cli("train", train_dir, "--out", tmp_path / "w.pt", "--steps", "2", "--width", "8")
    assert result.returncode == 0 and "fine-tuning" not in result.stdout  # another shape starts from scratch
    assert "peak learning rate 0.001" in result.stdout


def test_init_with_other_features_fails_in_one_line(train_dir, tmp_path):
    result = run_cli("train", train_dir, "--out", tmp_path / "m.pt", "--steps", "2", "--features", "albedo", "--init", "base")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--init scratch" in result.stderr
    assert not (tmp_path / "m.pt").exists()


def test_base_model_denoises_through_the_mitsuba_plugin_without_a_model(scene_path):
    import mitsuba as mi

    mi.set_variant("scalar_rgb")
    import mcdenoise.mitsuba  # noqa: F401  (registers the plugin)

    text = scene_path.read_text().replace('value="meshes/', f'value="{scene_path.parent}/meshes/')
    start, end = text.index("<integrator"), text.index("</integrator>") + len("</integrator>")
    load = lambda integrator: mi.load_string(text[:start] + integrator + text[end:], res=32, spp=4)  # noqa: E731
    denoised = np.array(mi.render(load('<integrator type="mcdenoise"><integrator type="path"/></integrator>'), spp=4, seed=3))
    assert denoised.shape == (32, 32, 3) and np.isfinite(denoised).all()


def test_a_bundled_model_missing_from_the_install_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(BUNDLED_MODELS, "fast", tmp_path / "fast_model.pt")
    with pytest.raises(ModelError, match="bundled fast model is missing from this install"):
        resolve_model("fast")
    assert resolve_model(tmp_path / "mine.pt") == tmp_path / "mine.pt"  # any other name is a path
