"""Fine-tuning learning rate: the base model fine-tuned on one scene's cached training pairs.

    python benchmarks/finetune_lr.py mitsuba_cbox 1e-3:200 3e-4:50    # LR:WARMUP_STEPS pairs

Needs the box-track cache of `benchmarks/quality.py` for the scene. Trains for --minutes per
setting and prints steps, PSNR_T and relMSE on the scene's 4 spp test frame.
"""

import argparse
import math
import tempfile
from pathlib import Path

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.learn.train import TrainConfig, train
from mcdenoise.metrics import psnr_t, rel_mse

CACHE = Path(__file__).parent / "cache"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scene")
    parser.add_argument("settings", nargs="+", help="LR:WARMUP_STEPS")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--pixels", type=int, default=65536)
    args = parser.parse_args(argv)
    root = CACHE / f"{args.scene}-{args.pixels}px" / "box"
    test = read_exr(root / "test" / "view000_pair000_a.exr")
    reference = read_exr(root / "test" / "view000_ref.exr").stack(COLOR)
    with tempfile.TemporaryDirectory() as work:
        for setting in args.settings:
            rate, warmup = float(setting.split(":")[0]), int(setting.split(":")[1])
            config = TrainConfig(minutes=args.minutes, learning_rate=rate, warmup_steps=warmup, init="base", validate_seconds=math.inf)
            path = Path(work) / f"{setting}.pt"
            result = train([root / "train"], path, config, restart=True, show_progress=False, log=lambda *a: None)
            output = Denoiser.load(path, device="cpu").denoise_frame(test)
            print(f"{args.scene} lr {rate:g} warm-up {warmup}: {result.step} steps, PSNR_T {psnr_t(output, reference):.2f} dB, "
                  f"relMSE {rel_mse(output, reference):.4f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
