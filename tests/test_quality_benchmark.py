"""A tiny run of the quality benchmark, as a command on a step budget: it runs end to end, writes
its files, every trained row beats the noisy input, the base that corrects OIDN starts as OIDN
and stays near it, and adapting to the frame's two halves beats them unadapted."""

import json
import os
import subprocess
import sys

from conftest import REPO

STEPS = 300
ADAPT_STEPS = 100


def test_quick_quality_benchmark_runs_and_denoising_beats_noisy(tmp_path):
    command = [
        sys.executable,
        "benchmarks/quality.py",
        "--quick",
        "--steps",
        str(STEPS),
        "--adapt",
        str(ADAPT_STEPS),
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
    # The OIDN base is the plain one made to start as OIDN (none is bundled yet): exactly OIDN untrained. Fine-tuned on
    # this tiny set (8 views of 64x64) it can fit noise (0.51 dB below OIDN when written), but must not collapse.
    oidn = rows["OIDN 2.5"]["psnr_t"]
    assert abs(rows["base-oidn"]["psnr_t"] - oidn) < 0.01
    assert rows[f"base-oidn + {STEPS} steps"]["psnr_t"] > oidn - 1.5
    # Adapting to the test frame's own halves: a gain for the plain base, no collapse for the OIDN base.
    adapted = f"halves + adapt {ADAPT_STEPS} steps"
    assert rows[f"base, {adapted}"]["psnr_t"] > rows["base, halves"]["psnr_t"]
    assert rows[f"base-oidn, {adapted}"]["psnr_t"] > rows["base-oidn, halves"]["psnr_t"] - 1.0
    assert rows[f"base, {adapted}, merged"]["psnr_t"] > noisy + 1.0
    tables = json.loads((tmp_path / "out" / "tables" / "quality.json").read_text())  # benchmarks/table.py's format
    assert tables["provenance"]["command"].startswith("python benchmarks/quality.py --quick")
    psnr = next(t for t in tables["tables"] if t["title"] == "PSNR_T, dB")
    assert psnr["columns"][1:] == list(rows) and [r[0] for r in psnr["rows"]] == ["mitsuba_cbox"]
    assert "| mitsuba_cbox |" in (tmp_path / "out" / "quality.md").read_text()
    assert (tmp_path / "out" / "crops" / "mitsuba_cbox_box.png").stat().st_size > 0
