"""mcdenoise eval: the benchmark's metrics for any frame against a reference."""

import json

import numpy as np

from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t, rel_mse, smape

from conftest import run_cli


def test_eval_scores_a_frame_against_its_reference(test_dir):
    noisy, reference = test_dir / frame_name(0, 0, "a"), test_dir / frame_name(0, None, "ref")
    result = run_cli("eval", noisy, "--ref", reference, "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    a, r = read_exr(noisy).stack("RGB"), read_exr(reference).stack("RGB")
    assert scores["psnr_t"] == psnr_t(a, r) and scores["rel_mse"] == rel_mse(a, r) and scores["smape"] == smape(a, r)
    assert 0 < scores["flip"] < 1
    perfect = json.loads(run_cli("eval", reference, "--ref", reference, "--json").stdout)
    assert perfect["psnr_t"] > 150 and perfect["rel_mse"] == 0 and perfect["flip"] == 0


def test_metrics_rank_a_better_image_higher():
    rng = np.random.default_rng(0)
    reference = rng.random((32, 32, 3)).astype(np.float32)
    close, far = reference + 0.01, reference + 0.1
    assert psnr_t(close, reference) > psnr_t(far, reference)
    assert rel_mse(close, reference) < rel_mse(far, reference) and smape(close, reference) < smape(far, reference)


def test_eval_of_mismatched_frames_gives_one_line_errors(test_dir, tmp_path):
    write_exr(tmp_path / "small.exr", Frame({c: np.ones((8, 8), np.float32) for c in "RGB"}))
    result = run_cli("eval", tmp_path / "small.exr", "--ref", test_dir / frame_name(0, None, "ref"))
    assert result.returncode == 1 and "differs from the reference" in result.stderr
    write_exr(tmp_path / "gray.exr", Frame({"Y": np.ones((8, 8), np.float32)}))
    result = run_cli("eval", tmp_path / "gray.exr", "--ref", tmp_path / "small.exr")
    assert result.returncode == 1 and "missing channels R, G, B" in result.stderr
    assert "Traceback" not in result.stderr
