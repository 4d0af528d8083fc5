"""Sweep of the temporal blend's settings on a sequence that benchmarks/sequence.py has rendered and denoised live.

    python benchmarks/sequence.py --scenes mitsuba_matpreview --offline-minutes 0.2 --reference-spp 512 \\
        --budget-per-frame 0 --steps-per-frame 3 --cache /tmp/seq/cache --out /tmp/seq/out
    python benchmarks/temporal_sweep.py /tmp/seq/cache/mitsuba_matpreview-65536px/orbit-60 --camera orbit

Reads the live run's frames, denoised frames and the references in FOLDER (``SCENE-PIXELSpx/CAMERA-FRAMES`` of
the sequence benchmark's cache), and prints, for OIDN, live, and live blended by
:class:`mcdenoise.denoise.temporal.TemporalFilter` at each weight, clamp margin, history kernel and view tolerance
(with each frame's noise from its two halves, as live blends; 0: without it), the mean PSNR_T of the scored frames
from ``--settled`` on and the flicker of those frames (as sequence.py measures them). The blend's defaults were
chosen with it on scenes kept out of the sequence benchmark (docs/experiments.md).
"""

import argparse
import itertools
import statistics
from pathlib import Path

from sequence import sequence_flicker

from mcdenoise.denoise.temporal import TemporalFilter, noise_variance
from mcdenoise.features import ALBEDO, COLOR, MOTION, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.live import denoised_name
from mcdenoise.metrics import psnr_t


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--camera", choices=["still", "orbit"], required=True)
    parser.add_argument("--settled", type=int, default=30)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.15, 0.2, 0.3])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--kernels", nargs="+", default=["bilinear", "catmull-rom"])
    parser.add_argument(
        "--view-tolerances", type=float, nargs="+", default=[1.5], help="the blend's view_tolerance; 0: without the frame's noise"
    )
    args = parser.parse_args(argv)
    live_dir = next(args.folder.glob("live-*"))
    count = len(list(live_dir.glob("frame*.denoised.exr")))
    firsts = [read_exr(live_dir / frame_name(t, 0, "a")) for t in range(count)]
    seconds = [read_exr(live_dir / frame_name(t, 0, "b")) for t in range(count)]
    live = [read_exr(live_dir / denoised_name(t)).stack(COLOR) for t in range(count)]
    merged = [(a.stack(COLOR) + b.stack(COLOR)) / 2 for a, b in zip(firsts, seconds, strict=True)]
    oidn = [oidn_denoise(m, a.stack(ALBEDO), a.stack(NORMAL)) for m, a in zip(merged, firsts, strict=True)]
    still = args.camera == "still"
    references = args.folder / "references"
    scored = [t for t in range(args.settled, count) if still or (references / frame_name(t, None, "ref")).is_file()]
    refs = {t: read_exr(references / frame_name(0 if still else t, None, "ref")).stack(COLOR) for t in scored}
    motions = [a.stack(MOTION) for a in firsts]

    def report(name: str, frames) -> None:
        score = statistics.fmean(psnr_t(frames[t], refs[t]) for t in scored)
        flicker = sequence_flicker(frames[args.settled :], motions[args.settled :], still)
        print(f"{name:40s} PSNR_T {score:6.3f} dB  flicker {flicker:.5f}", flush=True)

    print(f"{args.folder}: {count} frames, scored {scored}")
    report("OIDN 2.5", oidn)
    report("live", live)
    noises = [noise_variance(a.stack(COLOR), b.stack(COLOR)) for a, b in zip(firsts, seconds, strict=True)]
    for kernel, weight, margin, tolerance in itertools.product(args.kernels, args.weights, args.margins, args.view_tolerances):
        blend = TemporalFilter(weight, margin, kernel=kernel, view_tolerance=tolerance)
        frames = [blend(d, f, noise=n if tolerance else None) for d, f, n in zip(live, firsts, noises, strict=True)]
        report(f"live + temporal {kernel} w={weight} m={margin} v={tolerance}", frames)


if __name__ == "__main__":
    main()
