"""A tiny run of benchmarks/quality.py: it runs end to end, and denoising beats the noisy input."""

import json

from conftest import load_benchmark


def test_quick_quality_benchmark_runs_and_denoising_beats_noisy(tmp_path):
    results = load_benchmark("quality").main(["--quick", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    saved = json.loads((tmp_path / "out" / "quality.json").read_text())
    assert saved == json.loads(json.dumps(results))
    rows = results[0]["rows"]
    assert set(rows) >= {"noisy 4 spp", "OIDN 2.5", "N2N 0.333333 min"}
    assert rows["N2N 0.333333 min"]["psnr_t"] > rows["noisy 4 spp"]["psnr_t"]
    assert rows["base + 0.333333 min"]["psnr_t"] > rows["noisy 4 spp"]["psnr_t"]
    assert rows["base"]["psnr_t"] > rows["noisy 4 spp"]["psnr_t"]
    assert rows["noisy 4 spp"]["spp_equivalent"] is not None
    assert (tmp_path / "out" / "quality.md").read_text().count("| mitsuba_cbox | box |") == len(rows)
    assert (tmp_path / "out" / "crops" / "mitsuba_cbox_box.png").stat().st_size > 0
