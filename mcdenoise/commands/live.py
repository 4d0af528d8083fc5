"""Render a sequence as render-sequence does and, after each frame, train on the latest frames'
pairs for --budget-per-frame seconds (Noise2Noise: no data set, no clean image), then denoise the
frame, its two halves merged, with a moving average of the weights so far: OUT/frameNNNN.denoised.exr.
It starts from the bundled base model. OUT/live.pt is the model as it stands (use it with
apply --model, or --init of the next shot of the same set) and OUT/live.json the time spent per
frame rendering, preparing, training and denoising. A rerun with the same options goes on where it
stopped. --temporal blends each denoised frame with the output before it, as apply --sequence does.
"""

from dataclasses import dataclass, replace
from typing import get_args

from mcdenoise.commands.sequence import EXPOSED, SequenceOptions
from mcdenoise.commands.spec import Command, Printed
from mcdenoise.config import Device, LiveConfig, PairJob
from mcdenoise.options import option


@dataclass(frozen=True)
class LiveCommandConfig:
    """What ``live`` renders, how it learns, and where it runs."""

    sequence: SequenceOptions
    job: PairJob = option(default_factory=PairJob, expose=EXPOSED)
    live: LiveConfig = option(default_factory=LiveConfig)
    device: Device = option("auto", "auto uses CUDA when available", choices=get_args(Device))


def run(config: LiveCommandConfig, show_progress: bool = False, log=None) -> Printed:
    """Render, train and denoise the sequence (:func:`mcdenoise.live.run_live`); resumes an earlier run."""
    from mcdenoise.live import run_live

    sequence = config.sequence
    live = replace(config.live, seed=config.job.seed)  # the crops trained on derive from the sequence's seed
    record = run_live(sequence.scene, sequence.out, sequence.job(config.job), live, config.device, show_progress)
    steps = sum(frame["steps"] for frame in record["frames"].values())
    return Printed([("out", f"{sequence.out}: {len(record['frames'])} frames denoised, {steps} training steps in all")])


EPILOG = "example:\n  mcdenoise live scene.xml --out renders/live --frames 60 --path orbit --budget-per-frame 2"

COMMAND = Command("live", "learn while a sequence renders, and denoise each frame as it comes", __doc__, LiveCommandConfig, run, EPILOG)
