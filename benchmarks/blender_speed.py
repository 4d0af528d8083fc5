"""Benchmark: what render-pairs of a .blend costs against plain Cycles renders of the same frames (issue 21).

    python benchmarks/blender_speed.py                 # the box scene, 256x256, 4 spp, 8 pairs

Times, in one process and in turns (plain, then render-pairs, three times; the medians are kept):
- plain: ``bpy.ops.render.render(write_still=True)`` of the same scene, size, spp and output
  (multilayer EXR with the denoising data passes), twice per pair, as a user would render two seeds;
- render-pairs: :func:`mcdenoise.render.job.render_pairs` of the same number of pairs into a new
  folder (the renders, reading them back and writing the frames, the manifest and the lock).
The target is at most 1.15x. Writes OUT/blender_speed.json, its table OUT/tables/blender-speed.json
(benchmarks/table.py) and OUT/blender-speed.md.
"""

import argparse
import datetime
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from table import Provenance, Table, Tables, write_tables

from mcdenoise.config import PairJob
from mcdenoise.learn.device import cpu_model
from mcdenoise.native_output import captured_native_output
from mcdenoise.render.blender import BlenderRenderer, BlenderScene
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes.blender_box import build_blender_box

HERE = Path(__file__).parent


def plain_renders(blend: Path, size: int, spp: int, count: int, folder: Path) -> float:
    """Seconds for ``count`` plain Cycles renders, each written as a multilayer EXR."""
    scene = BlenderScene(blend)
    BlenderRenderer(scene, size, size)  # the same settings as render-pairs: Cycles, no denoiser, the passes on
    scene.scene.cycles.samples = spp
    start = time.perf_counter()
    for seed in range(1, count + 1):
        scene.scene.cycles.seed = seed
        scene.scene.render.filepath = str(folder / f"plain{seed}.exr")
        with captured_native_output():
            scene.bpy.ops.render.render(write_still=True)
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--spp", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    command = "python benchmarks/blender_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    plain, pairs = [], []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        blend = build_blender_box(folder / "box.blend")
        for repeat in range(args.repeats):
            plain.append(plain_renders(blend, args.size, args.spp, 2 * args.pairs, folder))
            start = time.perf_counter()
            job = PairJob(views=args.pairs, pairs=1, spp=args.spp, size=(args.size, args.size))
            render_pairs(blend, folder / f"pairs{repeat}", job)
            pairs.append(time.perf_counter() - start)
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": cpu_model(),
        "command": command.strip(),
        "size": args.size,
        "spp": args.spp,
        "pairs": args.pairs,
        "plain_seconds": [round(t, 3) for t in plain],
        "render_pairs_seconds": [round(t, 3) for t in pairs],
        "ratio": round(statistics.median(pairs) / statistics.median(plain), 3),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "blender_speed.json").write_text(json.dumps(record, indent=1))
    write_tables(args.out, "blender-speed", tables(record, Provenance.of(record, "../blender_speed.json")))
    return record


def tables(record: dict, provenance: Provenance) -> Tables:
    """The medians of both measures and their ratio."""
    row = (record["size"], record["spp"], record["pairs"], statistics.median(record["plain_seconds"]))
    row += (statistics.median(record["render_pairs_seconds"]), record["ratio"])
    columns = ("width and height", "spp", "pairs", "plain renders s", "render-pairs s", "ratio")
    table = Table(f"Medians of {len(record['plain_seconds'])} turns", columns, (row,), ("", "", "", "{:.1f}", "{:.1f}", "{:.3f}x"))
    return Tables("Blender: render-pairs of a .blend against plain Cycles renders", provenance, (table,))


if __name__ == "__main__":
    main()
