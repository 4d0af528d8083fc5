"""Benchmark: does ``--prior auto`` tell box-filtered frames from the others (issue 20)?

    python benchmarks/noise_correlation.py                 # the five shared scenes, 2/4/16 spp
    python benchmarks/noise_correlation.py --spp 4 --pixels 16384

Renders each scene's own camera with the box filter and with the scene's own pixel filter
(a gaussian in every shared scene) at each spp, and reads both frames of the pair with
:func:`mcdenoise.denoise.noise_correlation.neighbour_difference_ratio`, guided by their albedo and normal. ``--prior auto`` gives
OIDN's output to a frame below :data:`~mcdenoise.denoise.noise_correlation.CORRELATED_RATIO`
and the plain base to the others; which of the two wins on each track is quality.py's record.
The threshold was set from the tuning scenes; the held-out ones (quality.HELD_OUT) are listed apart.

Writes OUT/noise_correlation-PIXELSpx.json and .md.
"""

import argparse
import datetime
import json
import sys
from pathlib import Path

from mcdenoise.config import PairJob
from mcdenoise.denoise.noise_correlation import guide_of
from mcdenoise.denoise.noise_correlation import CORRELATED_RATIO, neighbour_difference_ratio
from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.render.job import render_pairs

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from quality import HELD_OUT, SHARED_SCENES  # noqa: E402

SCENES = ("mitsuba_cbox", "mitsuba_docs_glass", "mitsuba_docs_normalmap", "bitterli_veach_mis", "mitsuba_matpreview")
SEED = 77


def measure(scene: str, pixel_filter: str, spp: int, args) -> dict:
    """Both frames' ratios for one scene, filter and spp (rendered into the cache once)."""
    folder = args.cache / "noise_correlation" / f"{scene}-{args.pixels}px-{pixel_filter}-{spp}spp"
    job = PairJob(views=1, pairs=1, spp=spp, seed=SEED, pixels=args.pixels, pixel_filter=pixel_filter)
    render_pairs(SHARED_SCENES / scene / "scene.xml", folder, job)
    frames = [read_exr(folder / frame_name(0, 0, side)) for side in "ab"]
    ratios = [round(neighbour_difference_ratio(frame.stack(COLOR), guide_of(frame)), 4) for frame in frames]
    expected = pixel_filter != "box"
    chosen = [ratio >= CORRELATED_RATIO for ratio in ratios]
    return {"scene": scene, "filter": pixel_filter, "spp": spp, "ratios": ratios, "correct": sum(c == expected for c in chosen)}


def table(records: list[dict], meta: dict) -> str:
    lines = [
        f"Noise correlation, {meta['machine']}, {meta['date']} (`{meta['command']}`): "
        f"neighbour_difference_ratio (guided by albedo and normal) for both frames of each pair; at or above {CORRELATED_RATIO} reads as "
        "correlated noise, so `--prior auto` takes the plain base, below it OIDN.",
        "",
        "| scene | filter | spp | ratio, frame a | ratio, frame b | read right |",
        "|---|---|---|---|---|---|",
    ]
    for r in records:
        name = r["scene"] + (" (held out)" if r["scene"] in HELD_OUT else "")
        lines.append(f"| {name} | {r['filter']} | {r['spp']} | {r['ratios'][0]:.3f} | {r['ratios'][1]:.3f} | {r['correct']} of 2 |")
    right = sum(r["correct"] for r in records)
    lines += ["", f"Read right: {right} of {2 * len(records)} frames."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=list(SCENES))
    parser.add_argument("--spp", nargs="+", type=int, default=[2, 4, 16])
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "noise_correlation")
    args = parser.parse_args(argv)
    command = "python benchmarks/noise_correlation.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command.strip()}
    records = []
    for scene in args.scenes:
        for pixel_filter in ("box", "scene"):
            for spp in args.spp:
                records.append(measure(scene, pixel_filter, spp, args))
                print(records[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"noise_correlation-{args.pixels}px.json").write_text(json.dumps({**meta, "records": records}, indent=1))
    (args.out / f"noise_correlation-{args.pixels}px.md").write_text(table(records, meta))
    print(table(records, meta))
    return records


if __name__ == "__main__":
    main()
