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


def test_eval_with_the_other_half_ranks_outputs_of_one_half_as_the_reference_does(test_dir, tmp_path):
    first, second = test_dir / frame_name(0, 0, "a"), test_dir / frame_name(0, 0, "b")
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack("RGB")
    outputs = {"noisy": first}
    for route in ("oidn", "base"):
        outputs[route] = tmp_path / f"{route}.exr"
        assert run_cli("apply", first, "--route", route, "-o", outputs[route]).returncode == 0
    oidn = read_exr(outputs["oidn"])
    for name, gain in (("oidn, too bright", 1.3), ("oidn, too dark", 0.8)):
        outputs[name] = tmp_path / f"{gain}.exr"
        write_exr(outputs[name], Frame({c: oidn.channels[c] * gain for c in "RGB"}))
    estimates = {}
    for name, path in outputs.items():
        result = run_cli("eval", path, "--other-half", second, "--json")
        assert result.returncode == 0, result.stderr
        estimates[name] = json.loads(result.stdout)["held_out_error"]
    truth = {name: rel_mse(read_exr(path).stack("RGB"), reference) for name, path in outputs.items()}
    assert sorted(estimates, key=estimates.get) == sorted(truth, key=truth.get), (estimates, truth)


def test_eval_with_the_other_half_refuses_what_it_cannot_estimate(test_dir, tmp_path):
    first, second = test_dir / frame_name(0, 0, "a"), test_dir / frame_name(0, 0, "b")
    both = tmp_path / "both.exr"
    assert run_cli("apply", first, "--other-half", second, "--route", "oidn", "-o", both).returncode == 0
    for args, message in (
        ((both, "--other-half", second), "made from both halves"),
        ((first, "--other-half", first), "the same color"),
        ((first, "--other-half", second, "--ref", second), "one of the two"),
        ((first,), "one of the two"),
    ):
        result = run_cli("eval", *args)
        assert result.returncode != 0 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    nan = read_exr(second)
    nan.channels["R"][3, 4] = np.nan
    write_exr(tmp_path / "nan.exr", nan)
    result = run_cli("eval", first, "--other-half", tmp_path / "nan.exr")
    assert result.returncode == 1 and "NaN" in result.stderr


def test_eval_channels_describe_the_frame_and_the_reference_is_read_by_itself(test_dir, tmp_path):
    frame = read_exr(test_dir / frame_name(0, 0, "a"))
    renamed = tmp_path / "beauty.exr"
    write_exr(renamed, Frame({f"beauty.{c}": frame.channels[c] for c in "RGB"}))
    reference = test_dir / frame_name(0, None, "ref")
    result = run_cli("eval", renamed, "--channels", "color=beauty", "--ref", reference, "--json")
    assert result.returncode == 0, result.stderr
    expected = run_cli("eval", test_dir / frame_name(0, 0, "a"), "--ref", reference, "--json")
    assert json.loads(result.stdout)["psnr_t"] == json.loads(expected.stdout)["psnr_t"]
