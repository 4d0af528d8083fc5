"""How far a single 1e6-bright firefly reaches in mcdenoise's output.

    python benchmarks/firefly.py MODEL.pt FRAME.exr [--threshold 0.05]

Puts a 1e6 firefly at the frame's centre, denoises with and without it, and
reports the largest distance (Chebyshev, in pixels) at which the output
changed by more than THRESHOLD relative to the clean output (+0.01).
Writes benchmarks/results/firefly.json.
"""

import argparse
import datetime
import json
from pathlib import Path

import numpy as np

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.io.exr import read_exr

RESULTS = Path(__file__).parent / "results"


def damage_radius(denoiser: Denoiser, channels: np.ndarray, threshold: float = 0.05) -> int:
    """Chebyshev distance of the farthest pixel that a central 1e6 firefly changes by more than ``threshold``."""
    clean = denoiser(channels)
    y, x = channels.shape[0] // 2, channels.shape[1] // 2
    fired_input = channels.copy()
    fired_input[y, x, :3] = 1e6
    fired = denoiser(fired_input)
    changed = np.argwhere(np.abs(fired - clean).max(axis=-1) > threshold * (clean.max(axis=-1) + 0.01))
    return int(np.abs(changed - [y, x]).max()) if len(changed) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("frame")
    parser.add_argument("--threshold", type=float, default=0.05)
    args = parser.parse_args()
    denoiser = Denoiser.load(args.model, device="cpu")
    channels = read_exr(args.frame).stack(denoiser.features.channels)
    record = {
        "date": datetime.date.today().isoformat(),
        "model": args.model,
        "frame": args.frame,
        "size": list(channels.shape[:2]),
        "threshold": args.threshold,
        "radius_px": damage_radius(denoiser, channels, args.threshold),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "firefly.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
