"""Time `mcdenoise demo` end to end and record its scores.

    python benchmarks/demo.py [--minutes 6]

Writes benchmarks/results/demo.json, its table tables/demo.json (benchmarks/table.py) and demo.md: machine, date,
command, wall time, and PSNR_T of
the 4 spp input, the base model alone, mcdenoise's fine-tuned output and Intel OIDN's output (pyoidn, albedo +
normal, hdr, quality high; `pip install pyoidn`) on the same held-out frame,
against the 2048 spp reference.
"""

import argparse
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyoidn
from table import Provenance, Table, Tables, write_tables

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
        "command": "python benchmarks/demo.py" + "".join(f" {a}" for a in sys.argv[1:]),
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
    write_tables(RESULTS, "demo", tables(record, Provenance.of(record, "../demo.json")))


def tables(record: dict, provenance: Provenance) -> Tables:
    """The demo's scores, its gain and its wall time."""
    minutes = f"{record['train_minutes']:g}"
    labels = (
        ("noisy_psnr_t", "noisy input"),
        ("base_model_psnr_t", "the bundled base model alone"),
        ("denoised_psnr_t", f"mcdenoise, the base fine-tuned {minutes} min on the scene's noisy pairs"),
        ("oidn_psnr_t", "Intel OIDN, same frame, same run"),
    )
    rows = tuple((label, record.get(key)) for key, label in labels if key in record)
    note = f"Gain over the input: {record['gain_db']:+.2f} dB; wall time of the whole demo: {record['wall_seconds']:.1f} s."
    table = Table("PSNR_T, dB, on the demo's test frame", ("", "PSNR_T, dB"), rows, ("", "{:.2f}"), (note,))
    return Tables("Demo: `mcdenoise demo`, end to end", provenance, (table,))


if __name__ == "__main__":
    main()
