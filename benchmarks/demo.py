"""Time `mcdenoise demo` end to end and record its scores.

    python benchmarks/demo.py [--minutes 6]

Writes benchmarks/results/demo.json: machine, date, wall time, and PSNR_T of
the 4 spp input, the base model alone, mcdenoise's fine-tuned output and Intel OIDN's output (pyoidn, albedo +
normal, hdr, quality high; `pip install pyoidn`) on the same held-out frame,
against the 2048 spp reference.
"""

import argparse
import datetime
import json
import shutil
import tempfile
import time
from pathlib import Path

import pyoidn

from mcdenoise.demo import run_demo
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.metrics import psnr_t

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=6.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mcdenoise-demo-"))
    start = time.monotonic()
    try:
        result = run_demo(work, minutes=args.minutes, show_progress=True, log=print)
        wall = time.monotonic() - start
        noisy = read_exr(work / "test" / frame_name(0, 0, "a"))
        reference = read_exr(work / "test" / frame_name(0, None, "ref")).stack(COLOR)
        oidn = pyoidn.denoise(noisy.stack(COLOR), noisy.stack(ALBEDO), noisy.stack(NORMAL), hdr=True, quality="high")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": cpu_model(),
        "train_minutes": args.minutes,
        "wall_seconds": round(wall, 1),
        "noisy_psnr_t": round(result.noisy_psnr, 2),
        "denoised_psnr_t": round(result.denoised_psnr, 2),
        "gain_db": round(result.denoised_psnr - result.noisy_psnr, 2),
        "base_model_psnr_t": None if result.base_psnr is None else round(result.base_psnr, 2),
        "oidn_psnr_t": round(psnr_t(oidn, reference), 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "demo.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
