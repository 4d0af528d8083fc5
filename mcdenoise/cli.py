"""Command line: parses arguments and calls the plain functions of the library.

This is the only module that turns errors into exit codes: a
:class:`McDenoiseError` becomes one line on stderr and exit status 1.
"""

import argparse
import sys
from dataclasses import fields

from mcdenoise.config import (
    CameraMove,
    CameraPath,
    Device,
    LiveConfig,
    LivePrior,
    PairJob,
    PixelFilter,
    Precision,
    Prior,
    Route,
    Targets,
    TrainConfig,
    UNetConfig,
    choices,
)
from mcdenoise.errors import ConfigError, McDenoiseError

#: The flag of each option field whose flag is not ``--`` + the field's name with dashes.
_FLAGS = {
    "pixel_filter": "--filter",
    "learning_rate": "--lr",
    "checkpoint_seconds": "--checkpoint-every",
    "emission_split": "--split-emission",
    "move": "--path",
}


def flag_of(field: str) -> str:
    """The command-line flag of a field of the option dataclasses: ``reference_spp`` -> ``--reference-spp``."""
    return _FLAGS.get(field, "--" + field.replace("_", "-"))


_DESCRIPTION = """\
mcdenoise: a Monte Carlo denoiser that learns from pairs of noisy renders (Noise2Noise).
No clean reference images are needed to train it.

The loop:
  mcdenoise render-pairs scene.xml --out renders/myscene              # 32 views x 4 noisy pairs
  mcdenoise train renders/myscene --out myscene.pt --minutes 10       # learn from them
  mcdenoise apply frame.exr --model myscene.pt                        # -> frame.denoised.exr
Training starts from the bundled base model (itself trained on noisy pairs of generated
scenes only), and 'mcdenoise apply frame.exr' with no --model uses the base model as it is.
Or all of it on a bundled scene:
  mcdenoise demo
"""


def _add_layout_options(parser, feature_files: bool = False) -> None:
    """--layer and --channels (and, for one frame, --albedo/--normal/--depth files)."""
    group = parser.add_argument_group(
        "other renderers' EXRs",
        "Blender's multilayer files (a view layer's Noisy Image or Combined, Denoising Albedo, Denoising Normal,\n"
        "Denoising Depth) and common AOV names (diffuse_albedo, N, ...) are found by themselves; say where to\n"
        "look when they are not. The denoised color goes back where the color was, the other channels kept.",
    )
    group.add_argument("--layer", help="the Blender view layer to read (default: the file's only one)")
    group.add_argument(
        "--channels",
        metavar="FEATURE=GROUP,...",
        help="the channel group of each feature (color, albedo, normal, depth), e.g. "
        "color=beauty,albedo=diffuse_albedo,normal=N reads beauty.R,G,B, diffuse_albedo.R,G,B and N.X,Y,Z",
    )
    if feature_files:
        for feature in ("albedo", "normal", "depth"):
            group.add_argument(
                f"--{feature}",
                dest=f"{feature}_file",
                metavar="FILE.exr",
                help=f"the frame's {feature} from a separate EXR, as oidnDenoise's --alb and --nrm take them (one input only)",
            )


def _add_sequence_options(parser) -> None:
    """The scene, output folder, frame count and camera move of render-sequence and live."""
    parser.add_argument("scene", help="Mitsuba 3 scene file (scene.xml)")
    parser.add_argument("--out", required=True, help="output directory (created; reused to resume)")
    parser.add_argument("--frames", type=_positive_int, default=60, help="frames of the sequence (default %(default)s)")
    _options(
        parser,
        CameraPath,
        move=f"the camera move: {', '.join(choices(CameraMove))}, or a keyframes JSON file (see render-sequence --help)",
        degrees="orbit: degrees turned over the whole sequence",
        dolly="dolly: fraction of the distance to the point looked at moved towards it over the whole sequence",
    )


def _layout_request(args):
    from mcdenoise.io.layout import LayoutRequest

    files = {f: getattr(args, f"{f}_file") for f in ("albedo", "normal", "depth") if getattr(args, f"{f}_file", None)}
    return LayoutRequest(layer=args.layer, groups=LayoutRequest.parse_channels(args.channels), files=files)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 256x192, not {text!r}") from None
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"size {text} must be at least 1x1")
    return width, height


def _int_at_least(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_positive_int = _int_at_least(1)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {text}")
    return value


#: Field types whose values the command line parses with something other than the type itself.
_PARSERS = {"size": _size}
#: The choices of the fields that have them.
_CHOICES = {
    "pixel_filter": choices(PixelFilter),
    "precision": choices(Precision),
    "targets": choices(Targets),
    "prior": choices(LivePrior),
}


def _options(parser: argparse.ArgumentParser, config, **helps: str) -> None:
    """Add a flag for each field of the option dataclass ``config`` named in ``helps``, with the
    field's default (shown in the help) and type; the values land in ``args.FIELD``."""
    for name, text in helps.items():
        default = getattr(config, name)
        if isinstance(default, bool):
            parser.add_argument(flag_of(name), dest=name, action="store_true", help=text)
            continue
        kind = _PARSERS.get(name) or (type(default) if default is not None else str)
        shown = "" if default is None else " (default %(default)s)"
        metavar = None if name in _CHOICES else flag_of(name).lstrip("-").upper().replace("-", "_")
        parser.add_argument(
            flag_of(name), dest=name, type=kind, default=default, choices=_CHOICES.get(name), metavar=metavar, help=text + shown
        )


def _fields_of(config, args) -> dict:
    """The values of ``config``'s fields that the command line has flags for."""
    return {field.name: getattr(args, field.name) for field in fields(config) if hasattr(args, field.name)}


class _Parser(argparse.ArgumentParser):
    """Reports a bad option in one line, pointing at --help, instead of a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="mcdenoise", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    render = commands.add_parser(
        "render-pairs",
        help="render pairs of noisy frames of a Mitsuba 3 or Blender scene",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Render pairs of low-spp HDR frames with independent seeds, plus albedo, normal and depth.\n"
        "Each EXR and manifest.json record the seeds, spp, variant, size and scene hash.\n"
        "A rerun with the same options skips finished pairs (resume after a crash).\n"
        "A .blend renders with Cycles on the CPU (pip install 'mcdenoise[blender]'): its first enabled\n"
        "view layer, Cycles' denoiser and adaptive sampling off, the features from its denoising data\n"
        "passes (normals in camera space); --filter box sets Cycles' box filter; --variant is unused.",
        epilog="examples:\n  mcdenoise render-pairs scene.xml --out renders/cbox --views 32 --pixels 16384 --reference-spp 1024\n"
        "  mcdenoise render-pairs shot.blend --out renders/shot\n"
        "  mcdenoise render-pairs scene.xml --out /shared/renders/cbox --ray auto   # on the Ray cluster this node is in",
    )
    render.add_argument("scene", help="Mitsuba 3 scene file (scene.xml) or Blender file (scene.blend)")
    render.add_argument("--out", required=True, help="output directory (created; reused to resume)")
    render.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="render the views on a Ray cluster (pip install 'mcdenoise[ray]'): join the one at ADDRESS (auto, HOST:PORT or "
        "ray://HOST:PORT), or start one on this machine without it. Workers return frames and this process writes them: "
        "the folder is the same byte for byte as a local run's. Every node needs mcdenoise and the scene at the same path",
    )
    _options(
        render,
        PairJob,
        spp="samples per pixel of each noisy frame",
        seed="base seed; every frame's seed is derived from it",
        views="camera views: 1 is the scene's own camera, more are small moves of it",
        jitter="size of the camera moves, as a fraction of the distance to the scene",
        pairs="pairs per view; each frame's training target is the mean of its view's other frames, less noisy "
        "and still unbiased: worth rendering, as a pair costs far less than training (docs/experiments.md)",
        size="image size WIDTHxHEIGHT (wins over --pixels)",
        pixels="about this many pixels, at the scene's aspect ratio (0: the scene's own size)",
        pixel_filter="pixel filter: box, or the scene's own",
        reference_spp="also render a high-spp reference per view, for evaluation only (0: none)",
        variant="auto (the fastest that works here), scalar_rgb, llvm_ad_rgb or cuda_ad_rgb",
        emission_split="also write the emission seen directly in each frame's own samples (emission.R,G,B); train then "
        "learns without it, so lights seen by the camera no longer bleed into their neighbours",
        emission_spp="also write each pair's emission seen directly from a pass of this many spp (emission_mean.R,G,B; "
        "implies --split-emission), added back to frames denoised by a model trained on split frames; its samples "
        "are stratified, so 64 is plenty, and it costs camera rays only (0: none)",
    )

    sequence = commands.add_parser(
        "render-sequence",
        help="render the frames of a camera move as noisy pairs, with motion to the frame before",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Render a sequence: --frames frames of a camera move through a Mitsuba 3 scene, each as a pair\n"
        "of low-spp frames with independent seeds (albedo, normal and depth as render-pairs writes them),\n"
        "plus motion.X and motion.Y: where each pixel's first hit was in the frame before, in pixels\n"
        "(the first frame's is 0). Frame 0 is the scene's own camera. The folder is a render-pairs\n"
        "folder whose views are the frames in order, so 'mcdenoise train' reads it as it is; a rerun with\n"
        "the same options resumes.",
        epilog="camera moves (--path):\n"
        "  still        the scene's camera, new seeds every frame\n"
        "  orbit        turn --degrees in all around the vertical axis through the point looked at\n"
        "  dolly        move --dolly of the distance towards the point looked at\n"
        '  KEYS.json    a list of keyframes, e.g. [{"origin": [0, 1, 5], "target": [0, 1, 0], "up": [0, 1, 0],\n'
        '               "fov": 40}, ...], spread evenly over the frames (up and fov optional)\n'
        "example:\n  mcdenoise render-sequence scene.xml --out renders/orbit --frames 60 --path orbit --reference-spp 1024",
    )
    _add_sequence_options(sequence)
    _options(
        sequence,
        PairJob,
        spp="samples per pixel of each noisy frame",
        seed="base seed; every frame's seed is derived from it",
        size="image size WIDTHxHEIGHT (wins over --pixels)",
        pixels="about this many pixels, at the scene's aspect ratio (0: the scene's own size)",
        pixel_filter="pixel filter: box, or the scene's own",
        reference_spp="also render a high-spp reference per frame, for evaluation only (0: none)",
        variant="auto (the fastest that works here), scalar_rgb, llvm_ad_rgb or cuda_ad_rgb",
    )

    live = commands.add_parser(
        "live",
        help="learn while a sequence renders, and denoise each frame as it comes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Render a sequence as render-sequence does and, after each frame, train on the latest frames'\n"
        "pairs for --budget-per-frame seconds (Noise2Noise: no data set, no clean image), then denoise the\n"
        "frame, its two halves merged, with a moving average of the weights so far: OUT/frameNNNN.denoised.exr.\n"
        "It starts from the bundled base model. OUT/live.pt is the model as it stands (use it with\n"
        "apply --model, or --init of the next shot of the same set) and OUT/live.json the time spent per\n"
        "frame rendering, preparing, training and denoising. A rerun with the same options goes on where it\n"
        "stopped. --temporal blends each denoised frame with the output before it, as apply --sequence does.",
        epilog="example:\n  mcdenoise live scene.xml --out renders/live --frames 60 --path orbit --budget-per-frame 2",
    )
    _add_sequence_options(live)
    _options(
        live,
        LiveConfig,
        budget_per_frame="seconds of training after each frame (0: no time limit)",
        steps_per_frame="steps of training after each frame (0: no step limit); with both, whichever ends first",
        buffer="the latest frames whose pairs are trained on",
        crop="crop side in pixels",
        batch="crops per step",
        init="the weights to start from: base (the bundled base model), fast, or a model file (live.pt of an earlier shot)",
        prior="auto: the base that corrects Intel OIDN's output (starting as OIDN) where the first frame's noise is "
        "independent between pixels, as a box filter leaves it, and the plain base where a pixel filter spreads it, as "
        "apply chooses; oidn or none: always that one (oidn needs 'pip install pyoidn')",
        temporal="blend each denoised frame with the output before it, warped by the frame's motion, where albedo, "
        "normal and depth say it is the same surface (as apply --sequence does) and, where the camera moved, where the "
        "history agrees with the frame within the noise of its two halves: less flicker",
    )
    _options(
        live,
        PairJob,
        spp="samples per pixel of each half of a frame",
        seed="base seed; every frame's seed, and the crops trained on, derive from it",
        size="image size WIDTHxHEIGHT (wins over --pixels)",
        pixels="about this many pixels, at the scene's aspect ratio (0: the scene's own size)",
        pixel_filter="pixel filter: box, or the scene's own",
        variant="auto (the fastest that works here), scalar_rgb, llvm_ad_rgb or cuda_ad_rgb",
    )
    live.add_argument("--device", default="auto", choices=choices(Device), help="auto uses CUDA when available")

    trainer = commands.add_parser(
        "train",
        help="train a denoiser on render-pairs directories",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Noise2Noise training: each frame of a pair is the other's target (with render-pairs --pairs K,\n"
        "the mean of its view's other 2K-1 frames). Give a budget with --minutes and/or --steps.\n"
        "Frames rendered with --split-emission are learnt from without the light seen directly; the\n"
        "model then denoises frames that carry the split's channels (render-pairs --emission-spp).\n"
        "Checkpoints are saved as it goes; rerunning the same command after an interrupt resumes\n"
        "where it stopped.",
        epilog="example:\n  mcdenoise train renders/cbox --validate renders/cbox-test --out cbox.pt --minutes 10",
    )
    trainer.add_argument(
        "dirs",
        nargs="+",
        help="render-pairs output directories, or folders of pairs from any renderer: NAME_a.exr and NAME_b.exr "
        "(the same frame rendered with two seeds; NAME_ref.exr, if there, is scored) or a pairs.json list of "
        '{"a": FILE, "b": FILE, "view": NAME, "reference": FILE} entries',
    )
    trainer.add_argument("--out", required=True, help="model file to write (and to resume from)")
    trainer.add_argument(
        "--validate", nargs="+", default=[], metavar="DIR", help="directories with references to score on, never trained on"
    )
    _options(
        trainer,
        TrainConfig,
        minutes="training time budget (0: none)",
        steps="training step budget (0: none)",
        batch="crops per step",
        crop="crop side in pixels",
        learning_rate="peak learning rate (0: 2e-3 when fine-tuning a model, 1e-3 from random weights)",
        init="starting weights: auto fine-tunes the bundled base model when --features match it and no other "
        "--width/--depth is asked for, else starts from random weights; base; fast; scratch; or a model file",
        precision="auto: bf16 on CUDA GPUs that have it (else fp16), bf16 on CPUs with native bf16, else fp32",
        seed="seed of the initial weights and crop sampling",
        targets="noisy: Noise2Noise; clean: each frame's target is its view's reference (needs --reference-spp renders)",
        checkpoint_seconds="how often to save --out while training, in seconds",
    )
    trainer.add_argument("--width", type=_positive_int, help=f"U-Net channels per level (default {UNetConfig.width}; from scratch only)")
    trainer.add_argument("--depth", type=_positive_int, help=f"U-Net pooling levels (default {UNetConfig.depth}; from scratch only)")
    trainer.add_argument("--features", default="albedo,normal", help="auxiliary features, comma-separated: albedo, normal, depth, or none")
    trainer.add_argument(
        "--prior",
        default="none",
        choices=choices(Prior),
        help="oidn: the network takes Intel OIDN's output as an input and learns to correct it, starting as OIDN "
        "(needs 'pip install pyoidn'); none: it denoises on its own (default %(default)s)",
    )
    trainer.add_argument("--device", default="auto", choices=choices(Device), help="auto uses CUDA when available")
    trainer.add_argument("--restart", action="store_true", help="overwrite --out instead of resuming from it")
    _add_layout_options(trainer)

    apply = commands.add_parser(
        "apply",
        help="denoise EXR frames",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Denoise EXR frames. FRAME.exr is written to FRAME.denoised.exr, keeping its other\n"
        "channels and header. Frames need the auxiliary channels the model was trained with.",
        epilog="examples:\n  mcdenoise apply frame.exr                        # OIDN or the bundled base, by the frame's noise\n"
        "  mcdenoise apply renders/shot/*.exr --model cbox.pt\n"
        "  mcdenoise apply render0001.exr --layer ViewLayer      # a Blender multilayer file, passes kept\n"
        "  mcdenoise apply beauty.exr --albedo albedo.exr --normal normal.exr",
    )
    apply.add_argument("frames", nargs="+", help="EXR files")
    apply.add_argument(
        "--model",
        help="model file written by 'mcdenoise train', or a bundled model: base or fast (about twice as fast, less "
        "accurate); without it, --route chooses",
    )
    apply.add_argument(
        "--route",
        choices=choices(Route),
        help="without --model, where each frame goes: auto (the default) gives it Intel OIDN's output where its "
        "noise is independent between pixels (a box pixel filter), where OIDN is ahead, and the plain base model "
        "where a gaussian or tent filter spreads it (the base is ahead there), as measured in docs/results.md; "
        "oidn: always OIDN (needs 'pip install pyoidn'); base: always the plain base model",
    )
    apply.add_argument("-o", "--output", help="output file (one input only)")
    apply.add_argument(
        "--other-half",
        metavar="B.exr",
        help="the same frame rendered with another seed (FRAME.exr and B.exr each with half the samples, as "
        "render-pairs --views 1 writes them): the output is the mean of both denoised (one input only)",
    )
    apply.add_argument(
        "--adapt",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="first fine-tune the model on the frame's own two halves for this long (needs --other-half; "
        "no scene and no training set: the halves are each other's Noise2Noise target)",
    )
    apply.add_argument("--adapt-steps", type=_int_at_least(0), default=0, metavar="N", help="or for this many steps")
    apply.add_argument(
        "--orientations",
        type=int,
        choices=(1, 2, 4, 8),
        default=1,
        help="denoise each frame in this many flips and rotations and average them: less of the network's own "
        "error, N times the time (default 1; see the README's quality section)",
    )
    apply.add_argument(
        "--sequence",
        action="store_true",
        help="the frames are a sequence, in the order given, as render-sequence writes them (with motion.X/Y): each "
        "denoised frame is blended with the output before it where the two show the same surface, so the sequence "
        "flickers less (see docs/guide.md)",
    )
    apply.add_argument("--device", default="auto", choices=choices(Device))
    apply.add_argument(
        "--strict", action="store_true", help="fail on NaN, infinite or negative color instead of treating those values as 0 with a warning"
    )
    apply.add_argument(
        "--tile",
        type=_positive_int,
        default=None,
        help="tiles hold at most TILE x TILE pixels, shaped to the frame; bounds memory "
        "(default 768 on the CPU: about 1.4 GiB at 4K; 2048 on a GPU: 1080p in one tile)",
    )
    apply.add_argument(
        "--precision",
        default="auto",
        choices=choices(Precision),
        help="auto: fp16 on CUDA (as fast as bf16 and closer to fp32), bf16 on CPUs with native bf16 "
        "(about twice as fast as fp32), else fp32",
    )
    _add_layout_options(apply, feature_files=True)

    evaluate = commands.add_parser(
        "eval",
        help="score a frame against a reference (PSNR_T, relMSE, SMAPE, FLIP)",
        description="Compare the color of an EXR frame with a reference EXR of the same size, with the\n"
        "metrics of the benchmark: PSNR_T (dB, higher is better), relMSE, SMAPE and HDR FLIP (lower is\n"
        "better). FLIP needs 'pip install flip-evaluator'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mcdenoise eval frame.denoised.exr --ref frame_2048spp.exr",
    )
    evaluate.add_argument("frame", help="the EXR to score")
    evaluate.add_argument("--ref", required=True, help="the reference EXR")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    _add_layout_options(evaluate)

    demo = commands.add_parser("demo", help="the whole loop on a bundled scene, with scores and a preview PNG")
    demo.add_argument("--work", default="renders/demo", help="working directory (default renders/demo)")
    demo.add_argument("--minutes", type=_non_negative_float, default=6.0, help="training budget (default 6)")
    demo.add_argument("--variant", default="auto")
    demo.add_argument("--device", default="auto", choices=choices(Device))
    return parser


def _sequence_job(args) -> PairJob:
    """The render job of a sequence: one pair per frame along the camera move."""
    return PairJob(**_fields_of(PairJob, args), views=args.frames, pairs=1, path=CameraPath(**_fields_of(CameraPath, args)))


def _run(args) -> int:
    show = not args.quiet
    if args.command == "render-pairs":
        from mcdenoise.render.job import render_pairs

        job = PairJob(**_fields_of(PairJob, args))
        farm = None
        if args.ray is not None:
            from mcdenoise.render.farm import RayFarm

            farm = RayFarm(args.ray or None)
        manifest = render_pairs(args.scene, args.out, job, show_progress=show, farm=farm)
        print(f"{args.out}: {len(manifest.frames)} frames, {manifest.settings.width}x{manifest.settings.height}")
        return 0
    if args.command == "render-sequence":
        from mcdenoise.render.job import render_pairs

        job = _sequence_job(args)
        manifest = render_pairs(args.scene, args.out, job, show_progress=show)
        print(f"{args.out}: {args.frames} frames along {job.path.move}, {manifest.settings.width}x{manifest.settings.height}")
        return 0
    if args.command == "live":
        from mcdenoise.live import run_live

        job = _sequence_job(args)
        record = run_live(args.scene, args.out, job, LiveConfig(**_fields_of(LiveConfig, args)), args.device, show)
        steps = sum(frame["steps"] for frame in record["frames"].values())
        print(f"{args.out}: {len(record['frames'])} frames denoised, {steps} training steps in all")
        return 0
    if args.command == "train":
        from mcdenoise.features import FeatureSet
        from mcdenoise.learn.train import train

        features = FeatureSet(tuple(f for f in args.features.split(",") if f and f != "none"), prior=args.prior)
        config = TrainConfig(**_fields_of(TrainConfig, args))
        model_config = None
        if args.width or args.depth:
            model_config = UNetConfig(
                in_channels=features.input_width, width=args.width or UNetConfig.width, depth=args.depth or UNetConfig.depth
            )
        result = train(
            args.dirs,
            args.out,
            config,
            model_config,
            features,
            args.device,
            args.validate,
            args.restart,
            show,
            print,
            _layout_request(args),
        )
        if result.rank == 0:  # under torchrun, rank 0 reports the run
            print(f"{args.out}: {result.step} steps in {result.elapsed:.0f} s, loss {result.loss:.4f}")
        return 0
    if args.command == "apply":
        from mcdenoise.denoise.apply import apply_files
        from mcdenoise.denoise.hook import Denoiser

        if args.model and args.route:
            raise ConfigError("give {model} or {route}, not both: --route chooses among the bundled denoisers", "model", "route")
        options = {"tile": args.tile, "strict": args.strict, "precision": args.precision, "orientations": args.orientations}
        if args.model:
            denoiser = Denoiser.load(args.model, device=args.device, **options)
        elif args.route in (None, "auto"):
            from mcdenoise.denoise.route import Router

            denoiser = Router(device=args.device, **options)
        else:
            from mcdenoise.denoise.route import PRIOR_OF_ROUTE

            denoiser = Denoiser.base(PRIOR_OF_ROUTE[args.route], device=args.device, **options)
        halves = {"other_half": args.other_half, "adapt_steps": args.adapt_steps, "adapt_seconds": args.adapt}
        results = apply_files(
            denoiser, args.frames, args.output, show_progress=show, layout=_layout_request(args), sequence=args.sequence, **halves
        )
        failed = [r for r in results if r.error]
        for r in results:
            if r.error:
                print(f"mcdenoise: error: {r.error}", file=sys.stderr)
            else:
                if r.sanitized:
                    print(
                        f"mcdenoise: warning: {r.source}: {r.sanitized} NaN, infinite or negative color values were treated as 0",
                        file=sys.stderr,
                    )
                print(f"{r.source} -> {r.output}" + (f" ({r.note})" if r.note else ""))
        if len(results) > 1:
            print(f"{len(results) - len(failed)} denoised, {len(failed)} failed")
        return 1 if failed else 0
    if args.command == "eval":
        import json

        from mcdenoise.denoise.evaluate import evaluate_files

        scores = evaluate_files(args.frame, args.ref, _layout_request(args))
        if args.json:
            print(json.dumps(scores))
        else:
            for name, value in scores.items():
                print(f"{name:8s} {'unavailable (pip install flip-evaluator)' if value is None else f'{value:.6g}'}")
        return 0
    if args.command == "demo":
        from mcdenoise.demo import run_demo

        run_demo(args.work, minutes=args.minutes, variant=args.variant, device=args.device, show_progress=show, log=print)
        return 0
    raise AssertionError(args.command)


def main(argv=None) -> int:
    """Entry point of the ``mcdenoise`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as error:
        print(f"mcdenoise: error: {error.naming({field: flag_of(field) for field in error.fields})}", file=sys.stderr)
        return 1
    except McDenoiseError as error:
        print(f"mcdenoise: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mcdenoise: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
