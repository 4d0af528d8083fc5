"""Compare the color of an EXR frame with a reference EXR of the same size, with the
metrics of the benchmark: PSNR_T (dB, higher is better), relMSE, SMAPE and HDR FLIP (lower is
better). FLIP needs 'pip install flip-evaluator'.

With no reference, --other-half B.exr estimates the frame's error from the same view rendered
with another seed: FRAME must be denoised from its own half alone (A.exr -> A.denoised.exr).
The estimate is the frame's relative MSE plus a constant that is the same for every output of
A, so it ranks two outputs of A (two denoisers, two settings) as a reference would.
"""

import json
from dataclasses import dataclass, field

from mcdenoise.commands.layout import GROUP, LayoutOptions
from mcdenoise.commands.spec import Command, Printed
from mcdenoise.errors import ConfigError
from mcdenoise.options import option


@dataclass(frozen=True)
class EvalConfig:
    """The frame to score, its reference, and how to print the scores."""

    frame: str = option(help="the EXR to score", positional=True)
    ref: str | None = option(None, "the reference EXR")
    other_half: str | None = option(
        None,
        "with no reference: the same view rendered with another seed, as render-pairs writes a pair; prints the "
        "held-out error (lower is better), comparable between outputs of the same half only",
        metavar="B.exr",
    )
    json: bool = option(False, "print the scores as JSON")
    layout: LayoutOptions = field(default_factory=LayoutOptions, metadata={"group": GROUP})


def run(config: EvalConfig, show_progress: bool = False, log=None) -> Printed:
    """Score the frame (:func:`mcdenoise.denoise.evaluate.evaluate_files`)."""
    from mcdenoise.denoise.evaluate import evaluate_files, other_half_error

    if (config.ref is None) == (config.other_half is None):
        raise ConfigError("give a reference with {ref}, or the other half with {other_half}: one of the two", "ref", "other_half")
    if config.other_half is not None:
        estimate = other_half_error(config.frame, config.other_half, config.layout.request())
        return Printed([("out", json.dumps({"held_out_error": estimate}) if config.json else f"held-out error {estimate:.6g}")])
    scores = evaluate_files(config.frame, config.ref, config.layout.request())
    if config.json:
        return Printed([("out", json.dumps(scores))])
    unavailable = "unavailable (pip install flip-evaluator)"
    return Printed([("out", f"{name:8s} {unavailable if value is None else f'{value:.6g}'}") for name, value in scores.items()])


EPILOG = (
    "examples:\n  mcdenoise eval frame.denoised.exr --ref frame_2048spp.exr\n"
    "  mcdenoise eval a.denoised.exr --other-half b.exr   # no reference: lower is better"
)

COMMAND = Command("eval", "score a frame against a reference, or estimate its error from the other half", __doc__, EvalConfig, run, EPILOG)
