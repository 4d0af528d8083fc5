"""Denoise EXR frames. FRAME.exr is written to FRAME.denoised.exr, keeping its other
channels and header. Frames need the auxiliary channels the model was trained with.
"""

from dataclasses import dataclass, field
from typing import get_args

from mcdenoise.commands.layout import GROUP, LayoutOptions
from mcdenoise.commands.spec import Command
from mcdenoise.config import Device, Precision, Route
from mcdenoise.errors import ConfigError
from mcdenoise.options import option, whole_number


@dataclass(frozen=True)
class ApplyConfig:
    """What ``apply`` denoises, with what, and how."""

    frames: list[str] = option(help="EXR files", positional=True, nargs="+")
    model: str | None = option(
        None,
        "model file written by 'mcdenoise train', or a bundled model: base or fast (about twice as fast, less accurate); "
        "without it, --route chooses",
    )
    route: Route | None = option(
        None,
        "without --model, where each frame goes: auto (the default) gives it Intel OIDN's output where its noise is "
        "independent between pixels (a box pixel filter), where OIDN is ahead, and the plain base model where a gaussian "
        "or tent filter spreads it (the base is ahead there), as measured in docs/results.md; oidn: always OIDN (needs "
        "'pip install pyoidn'); base: always the plain base model",
        choices=get_args(Route),
    )
    output: str | None = option(None, "output file (one input only)", short="-o")
    other_half: str | None = option(
        None,
        "the same frame rendered with another seed (FRAME.exr and B.exr each with half the samples, as render-pairs "
        "--views 1 writes them; one input only): both are merged and denoised, and a small network fitted to the two "
        "halves corrects the result where tiles held out of its fit say it is ahead (about 30 s at 256x256 on 2 CPU "
        "cores; the output's header and the printed note say what was kept)",
        metavar="B.exr",
    )
    orientations: int = option(
        1,
        "denoise each frame in this many flips and rotations and average them: less of the network's own error, N times the time",
        choices=(1, 2, 4, 8),
    )
    sequence: bool = option(
        False,
        "the frames are a sequence, in the order given, as render-sequence writes them (with motion.X/Y): each denoised "
        "frame is blended with the output before it where the two show the same surface, so the sequence flickers less "
        "(see docs/guide.md)",
    )
    device: Device = option("auto", "auto uses CUDA when available", choices=get_args(Device))
    strict: bool = option(False, "fail on NaN, infinite or negative color instead of treating those values as 0 with a warning")
    tile: int | None = option(
        None,
        "tiles hold at most TILE x TILE pixels, shaped to the frame; bounds memory (default 768 on the CPU: about "
        "1.4 GiB at 4K; 2048 on a GPU: 1080p in one tile)",
        parse=whole_number(1),
    )
    precision: Precision = option(
        "auto",
        "auto: fp16 on CUDA (as fast as bf16 and closer to fp32), bf16 on CPUs with native bf16 (about twice as fast as fp32), else fp32",
        choices=get_args(Precision),
    )
    layout: LayoutOptions = field(default_factory=LayoutOptions, metadata={"group": GROUP})


@dataclass
class ApplyReport:
    """The outcome of every frame (:class:`mcdenoise.denoise.apply.ApplyResult`)."""

    results: list

    def lines(self) -> list[tuple[str, str]]:
        """A line per frame (errors and warnings on stderr), and a count for several."""
        printed = []
        for r in self.results:
            if r.error:
                printed.append(("err", f"mcdenoise: error: {r.error}"))
                continue
            if r.sanitized:
                warning = f"{r.source}: {r.sanitized} NaN, infinite or negative color values were treated as 0"
                printed.append(("err", f"mcdenoise: warning: {warning}"))
            printed.append(("out", f"{r.source} -> {r.output}" + (f" ({r.note})" if r.note else "")))
        if len(self.results) > 1:
            printed.append(("out", f"{len(self.results) - len(self.failed)} denoised, {len(self.failed)} failed"))
        return printed

    @property
    def failed(self) -> list:
        """The frames that failed."""
        return [r for r in self.results if r.error]

    @property
    def exit_code(self) -> int:
        """1 when any frame failed."""
        return 1 if self.failed else 0


def denoiser_of(config: ApplyConfig):
    """The :class:`~mcdenoise.denoise.hook.Denoiser` of ``config.model``, or else the
    :class:`~mcdenoise.denoise.route.Router` or bundled denoiser that ``config.route`` names."""
    from mcdenoise.denoise.hook import Denoiser
    from mcdenoise.denoise.route import PRIOR_OF_ROUTE, Router

    if config.model and config.route:
        raise ConfigError("give {model} or {route}, not both: --route chooses among the bundled denoisers", "model", "route")
    options = {"tile": config.tile, "strict": config.strict, "precision": config.precision, "orientations": config.orientations}
    if config.model:
        return Denoiser.load(config.model, device=config.device, **options)
    if config.route in (None, "auto"):
        return Router(device=config.device, **options)
    return Denoiser.base(PRIOR_OF_ROUTE[config.route], device=config.device, **options)


def run(config: ApplyConfig, show_progress: bool = False, log=None) -> ApplyReport:
    """Denoise every frame (:func:`mcdenoise.denoise.apply.apply_files`); one frame's failure is reported, the others go on."""
    from mcdenoise.denoise.apply import apply_files

    results = apply_files(
        denoiser_of(config),
        config.frames,
        config.output,
        show_progress=show_progress,
        layout=config.layout.request(),
        sequence=config.sequence,
        other_half=config.other_half,
    )
    return ApplyReport(results)


EPILOG = (
    "examples:\n  mcdenoise apply frame.exr                        # OIDN or the bundled base, by the frame's noise\n"
    "  mcdenoise apply a.exr --other-half b.exr -o out.exr  # one frame as two halves: corrected OIDN\n"
    "  mcdenoise apply renders/shot/*.exr --model cbox.pt\n"
    "  mcdenoise apply render0001.exr --layer ViewLayer      # a Blender multilayer file, passes kept\n"
    "  mcdenoise apply beauty.exr --albedo albedo.exr --normal normal.exr"
)

COMMAND = Command("apply", "denoise EXR frames", __doc__, ApplyConfig, run, EPILOG)
