"""What the emission split costs to render, per shared scene, as ratios against a plain 4 spp frame.

    python benchmarks/emission_cost.py

For each scene, at the quality benchmark's size (65,536 pixels, box filter, the scene's camera),
it times in the same run: a plain 4 spp color render (``mitsuba.render`` with the scene's
integrator), the split color render (the same, with the emission seen in its samples as AOVs), and
the emission pass alone at 64 and 256 spp (camera rays to their first hit, through the stratified
sampler that render-pairs uses for it). Each time is the
median of 5 warm runs. Writes results/emission_cost.json.
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from mcdenoise.render.emission import emission_integrator, split_integrator
from mcdenoise.render.renderer import EMISSION_SAMPLER, load_scene, make_sensor, resolve_size, scene_camera, scene_resolution

HERE = Path(__file__).parent
SHARED_SCENES = HERE.parent.parent / "shared" / "scenes"


def _median_seconds(render, runs: int = 5) -> float:
    render(0)  # warm: traces and compiles the kernels
    times = []
    for run in range(1, runs + 1):
        start = time.perf_counter()
        render(run)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_scene(scene_path: Path, pixels: int) -> dict:
    """Seconds of each render of one scene, and their ratios to the plain 4 spp frame."""
    import mitsuba as mi

    scene, variant = load_scene(scene_path, "auto")
    width, height = resolve_size(scene_resolution(scene), None, pixels)
    camera = scene_camera(scene, scene_path)
    sensor = make_sensor(scene, camera, width, height, "box")
    stratified = make_sensor(scene, camera, width, height, "box", sampler=EMISSION_SAMPLER)  # as render-pairs' emission pass
    split, emission = split_integrator(scene), emission_integrator()

    def timed(integrator, spp, through=sensor):
        return _median_seconds(lambda seed: np.array(mi.render(scene, sensor=through, integrator=integrator, spp=spp, seed=seed + 1)))

    seconds = {"plain 4 spp": timed(None, 4), "split 4 spp": timed(split, 4)}
    for spp in (64, 256):
        seconds[f"emission {spp} spp"] = timed(emission, spp, stratified)
    plain = seconds["plain 4 spp"]
    return {"variant": variant, "size": [width, height], "seconds": seconds, "ratio": {k: v / plain for k, v in seconds.items()}}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "emission_cost.json")
    args = parser.parse_args(argv)
    results = {"machine": f"{platform.machine()} CPU", "scenes": {}}
    for scene_path in sorted(SHARED_SCENES.glob("*/scene.xml")):
        record = measure_scene(scene_path, args.pixels)
        results["scenes"][scene_path.parent.name] = record
        ratios = ", ".join(f"{k} {v:.2f}x" for k, v in record["ratio"].items() if k != "plain 4 spp")
        print(f"{scene_path.parent.name:24s} plain 4 spp {record['seconds']['plain 4 spp']:.3f} s; {ratios}", flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
