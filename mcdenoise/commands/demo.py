"""Render 32 jittered views of the bundled Cornell box as noisy pairs, fine-tune the bundled
base model on them, denoise a held-out frame from the scene's own camera, and score the input,
the base alone and the fine-tuned model against a high-spp reference.
"""

from dataclasses import dataclass
from typing import get_args

from mcdenoise.commands.spec import Command, Printed
from mcdenoise.config import Device
from mcdenoise.options import non_negative, option


@dataclass(frozen=True)
class DemoConfig:
    """Where the demo works, and its training budget."""

    work: str = option("renders/demo", "working directory")
    minutes: float = option(6.0, "training budget", parse=non_negative)
    variant: str = option("auto", "auto (the fastest that works here), scalar_rgb, llvm_ad_rgb or cuda_ad_rgb")
    device: Device = option("auto", "auto uses CUDA when available", choices=get_args(Device))


def run(config: DemoConfig, show_progress: bool = False, log=None) -> Printed:
    """Run the demo (:func:`mcdenoise.demo.run_demo`); it logs its own lines as it goes."""
    from mcdenoise.demo import run_demo

    run_demo(config.work, minutes=config.minutes, variant=config.variant, device=config.device, show_progress=show_progress, log=log)
    return Printed()


COMMAND = Command("demo", "the whole loop on a bundled scene, with scores and a preview PNG", __doc__, DemoConfig, run)
