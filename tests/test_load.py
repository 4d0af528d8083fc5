"""Load: apply over many frames in one process keeps memory flat (growth under 10% after warm-up).

100 frames by default; 500 with MCDENOISE_LONG_TESTS=1, the figure recorded in tests/README.md
and by `python benchmarks/apply_load.py` in benchmarks/results/apply_load.json.
"""

import os

from conftest import load_benchmark

FRAMES = 500 if os.environ.get("MCDENOISE_LONG_TESTS") else 100


def test_apply_over_many_frames_keeps_memory_flat(tmp_path):
    record = load_benchmark("apply_load").run(FRAMES, 32, tmp_path)
    assert record["failures"] == 0
    assert record["growth_percent"] < 10.0, record
