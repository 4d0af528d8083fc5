"""Compare the color of an EXR frame with a reference EXR of the same size, with the
metrics of the benchmark: PSNR_T (dB, higher is better), relMSE, SMAPE and HDR FLIP (lower is
better). FLIP needs 'pip install flip-evaluator'.
"""

import json
from dataclasses import dataclass, field

from mcdenoise.commands.layout import GROUP, LayoutOptions
from mcdenoise.commands.spec import Command, Printed
from mcdenoise.options import option


@dataclass(frozen=True)
class EvalConfig:
    """The frame to score, its reference, and how to print the scores."""

    frame: str = option(help="the EXR to score", positional=True)
    ref: str = option(help="the reference EXR")
    json: bool = option(False, "print the scores as JSON")
    layout: LayoutOptions = field(default_factory=LayoutOptions, metadata={"group": GROUP})


def run(config: EvalConfig, show_progress: bool = False, log=None) -> Printed:
    """Score the frame (:func:`mcdenoise.denoise.evaluate.evaluate_files`)."""
    from mcdenoise.denoise.evaluate import evaluate_files

    scores = evaluate_files(config.frame, config.ref, config.layout.request())
    if config.json:
        return Printed([("out", json.dumps(scores))])
    unavailable = "unavailable (pip install flip-evaluator)"
    return Printed([("out", f"{name:8s} {unavailable if value is None else f'{value:.6g}'}") for name, value in scores.items()])


EPILOG = "example:\n  mcdenoise eval frame.denoised.exr --ref frame_2048spp.exr"

COMMAND = Command("eval", "score a frame against a reference (PSNR_T, relMSE, SMAPE, FLIP)", __doc__, EvalConfig, run, EPILOG)
