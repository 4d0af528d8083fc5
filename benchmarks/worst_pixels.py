"""Where a model's relMSE on the quality benchmark's test frame comes from: the share of its worst
pixels, and the worst pixel's values beside the reference's and OIDN's.

    python benchmarks/worst_pixels.py mitsuba_cbox benchmarks/cache/models/mitsuba_cbox-box-base-10-p4.pt

Reads the box track's cached 4 spp test frame and reference of ``python benchmarks/quality.py``.
"""

import argparse
from pathlib import Path

import numpy as np
import pyoidn
from cached_frames import CACHE, load_test_frame

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL


def relative_errors(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-pixel relMSE terms, (H, W): the mean over channels of (x - ref)^2 / (ref^2 + 0.01)."""
    x, r = image.astype(np.float64), reference.astype(np.float64)
    return ((x - r) ** 2 / (r**2 + 0.01)).mean(-1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scene", help="scene folder name, e.g. mitsuba_cbox")
    parser.add_argument("model", type=Path)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--pixels", type=int, default=65536)
    args = parser.parse_args(argv)
    frame, reference = load_test_frame(args.cache / f"{args.scene}-{args.pixels}px" / "box" / "test")
    output = Denoiser.load(args.model, device="cpu").denoise_frame(frame)
    oidn = pyoidn.denoise(frame.stack(COLOR), frame.stack(ALBEDO), frame.stack(NORMAL), hdr=True, quality="high")
    errors = relative_errors(output, reference)
    ranked = np.sort(errors.ravel())[::-1]
    print(f"relMSE {errors.mean():.5f} over {errors.size} pixels")
    for fraction in (0.001, 0.01, 0.1):
        count = max(1, int(errors.size * fraction))
        print(f"worst {fraction:.1%} ({count} pixels): {ranked[:count].sum() / ranked.sum():.1%} of it")
    y, x = np.unravel_index(np.argmax(errors), errors.shape)
    print(f"worst pixel ({y}, {x}): {errors[y, x] / errors.sum():.1%} of it; mean RGB reference {reference[y, x].mean():.3g}, ", end="")
    print(f"input {frame.stack(COLOR)[y, x].mean():.3g}, this model {output[y, x].mean():.3g}, OIDN {oidn[y, x].mean():.3g}")


if __name__ == "__main__":
    main()
