"""The apply job: denoise EXR files, keeping their other channels and header."""

import os
from dataclasses import dataclass
from pathlib import Path

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.errors import McDenoiseError, OutputError
from mcdenoise.features import COLOR, invalid_color
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.files import ensure_writable_directory
from mcdenoise.progress import Progress


@dataclass
class ApplyResult:
    """The outcome for one input file."""

    source: Path
    output: Path | None
    error: str | None = None
    sanitized: int = 0


def denoised_path(source: Path) -> Path:
    """``frame.exr`` -> ``frame.denoised.exr`` beside it."""
    return source.with_name(source.stem + ".denoised" + (source.suffix or ".exr"))


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def apply_file(denoiser: Denoiser, source, output=None) -> ApplyResult:
    """Denoise one EXR into ``output`` (default ``SOURCE.denoised.exr``); never overwrites the input."""
    source = Path(source)
    output = Path(output) if output else denoised_path(source)
    if _same_file(source, output):
        raise OutputError(f"{output}: refusing to overwrite the input frame; choose another -o")
    ensure_writable_directory(output.parent)  # before the work, not after
    frame = read_exr(source)
    color = denoiser.denoise_frame(frame, name=str(source))
    channels = dict(frame.channels)
    for i, name in enumerate(COLOR):
        channels[name] = color[..., i]
    attributes = dict(frame.attributes)
    attributes["mcdenoise.model"] = Path(denoiser.source).name
    write_exr(output, Frame(channels, attributes))
    return ApplyResult(source, output, sanitized=int(invalid_color(frame.stack(COLOR)).sum()))


def apply_files(denoiser: Denoiser, sources, output=None, show_progress: bool = False) -> list[ApplyResult]:
    """Denoise many files; one file's failure is recorded and the others go on."""
    sources = [Path(s) for s in sources]
    if output is not None and len(sources) > 1:
        raise OutputError("-o names one output file; with several inputs leave it out")
    results = []
    with Progress(len(sources), "apply", enabled=show_progress) as progress:
        for source in sources:
            try:
                results.append(apply_file(denoiser, source, output))
            except McDenoiseError as error:
                results.append(ApplyResult(source, None, error=str(error)))
            progress.advance(note=source.name)
    return results
