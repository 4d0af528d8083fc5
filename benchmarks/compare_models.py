"""PSNR_T and relMSE of models alone (no fine-tuning) on the quality benchmark's cached test frames.

    python benchmarks/compare_models.py base fast /tmp/other.pt

Reads the 4 spp test frames and references that ``python benchmarks/quality.py`` caches under
benchmarks/cache (box track; with --track scene, the scene's own pixel filter), so it takes
seconds: a quick way to compare candidate base models.
"""

import argparse
from pathlib import Path

from cached_frames import CACHE, cached_test_folders, load_test_frame, scene_name

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR
from mcdenoise.metrics import psnr_t, rel_mse


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="bundled model names (base, fast) or model files")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--track", choices=("box", "scene"), default="box", help="which track's test frames (default box)")
    args = parser.parse_args(argv)
    tests = cached_test_folders(args.cache, args.track)
    if not tests:
        parser.error(f"no cached test frames under {args.cache}; run python benchmarks/quality.py first")
    denoisers = {name: Denoiser.load(name, device="cpu") for name in args.models}
    print("| scene | noisy 4 spp | " + " | ".join(args.models) + " |")
    print("|---" * (len(args.models) + 2) + "|")
    for test in tests:
        frame, reference = load_test_frame(test)
        cells = [f"{psnr_t(frame.stack(COLOR), reference):.2f}"]
        for denoiser in denoisers.values():
            out = denoiser.denoise_frame(frame)
            cells.append(f"{psnr_t(out, reference):.2f} dB / {rel_mse(out, reference):.3f}")
        print(f"| {scene_name(test)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
