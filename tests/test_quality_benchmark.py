"""A tiny run of the quality benchmark, as a command on a step budget: it runs end to end, writes
its files, and every trained row beats the noisy input."""

import json
import os
import subprocess
import sys

from conftest import REPO

STEPS = 300


def test_quick_quality_benchmark_runs_and_denoising_beats_noisy(tmp_path):
    command = [
        sys.executable,
        "benchmarks/quality.py",
        "--quick",
        "--steps",
        str(STEPS),
        "--out",
        tmp_path / "out",
        "--cache",
        tmp_path / "cache",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(list(map(str, command)), cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "quality.json").read_text())
    rows = results[0]["rows"]
    assert set(rows) >= {"noisy 4 spp", "OIDN 2.5", f"N2N {STEPS} steps", f"base + {STEPS} steps", "base"}
    noisy = rows["noisy 4 spp"]["psnr_t"]
    assert rows[f"N2N {STEPS} steps"]["psnr_t"] > noisy + 1.0
    assert rows[f"N2N {STEPS} steps"]["steps"] == rows[f"base + {STEPS} steps"]["steps"] == STEPS
    assert rows[f"base + {STEPS} steps"]["psnr_t"] > rows["base"]["psnr_t"] > noisy + 1.0
    assert rows["noisy 4 spp"]["spp_equivalent"] is not None
    assert (tmp_path / "out" / "quality.md").read_text().count("| mitsuba_cbox | box |") == len(rows)
    assert (tmp_path / "out" / "crops" / "mitsuba_cbox_box.png").stat().st_size > 0
