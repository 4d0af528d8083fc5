"""The apply job: denoise EXR files, keeping their other channels and header."""

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from mcdenoise.denoise.correct import STEPS
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.route import Router
from mcdenoise.denoise.temporal import TemporalFilter
from mcdenoise.errors import ConfigError, McDenoiseError, OutputError
from mcdenoise.features import COLOR, invalid_color
from mcdenoise.io.exr import Frame, use_threads, write_exr
from mcdenoise.io.files import ensure_writable_directory
from mcdenoise.io.layout import LayoutRequest, read_frame, require_features
from mcdenoise.progress import Progress


@dataclass
class ApplyResult:
    """The outcome for one input file."""

    source: Path
    output: Path | None
    error: str | None = None
    sanitized: int = 0
    #: Which denoiser took the frame and why, where it was chosen for it (``--route auto``).
    note: str | None = None


def denoised_path(source: Path) -> Path:
    """``frame.exr`` -> ``frame.denoised.exr`` beside it."""
    return source.with_name(source.stem + ".denoised" + (source.suffix or ".exr"))


def denoiser_name(denoiser: Denoiser) -> str:
    """What a note calls the denoiser: a model file by its name, else OIDN or the base model."""
    if denoiser.source.endswith(".pt"):
        return Path(denoiser.source).name
    return "OIDN" if denoiser.features.has_prior else "the base model"


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def apply_file(
    denoiser: "Denoiser | Router",
    source,
    output=None,
    other_half=None,
    layout: LayoutRequest | None = None,
    temporal: TemporalFilter | None = None,
    read=read_frame,
    write=write_exr,
    on_step=None,
) -> ApplyResult:
    """Denoise one EXR into ``output`` (default ``SOURCE.denoised.exr``); never overwrites an input.

    With ``other_half`` (the same frame rendered with another seed, both with half the samples)
    the two are merged, denoised once and corrected from the halves (:meth:`Denoiser.corrected`);
    the note says whether the correction was kept, and the time taken. The other channels and
    the header are the source's. A :class:`Router` picks the denoiser by the source's noise.
    ``layout`` says where the source keeps its features (:mod:`mcdenoise.io.layout`; default: found
    in the file), and the denoised color goes back where the source's color was. ``temporal``
    blends the denoised color with the sequence's previous output (:mod:`mcdenoise.denoise.temporal`).
    ``read(path, layout)`` and ``write(path, frame)`` read the inputs and write the output
    (:func:`apply_files` hands them to a thread of their own); ``on_step()`` is called after each
    step of the correction's training.
    """
    source = Path(source)
    output = Path(output) if output else denoised_path(source)
    inputs = [source] + ([Path(other_half)] if other_half is not None else [])
    for path in inputs + list(layout.files_for(source).values() if layout else ()):
        if _same_file(path, output):
            raise OutputError(f"{output}: refusing to overwrite the input frame {path}; choose another -o")
    ensure_writable_directory(output.parent)  # before the work, not after
    loaded = [read(path, layout) for path in inputs]
    frames = [frame for frame, _ in loaded]
    denoiser, note = denoiser.for_frame(frames[0])
    for (frame, frame_layout), path in zip(loaded, inputs, strict=True):
        require_features(frame, frame_layout, denoiser.features.aux, path)
    source_layout = loaded[0][1]
    attributes = dict(frames[0].attributes)
    attributes["mcdenoise.model"] = Path(denoiser.source).name
    if note:
        attributes["mcdenoise.chosen"] = note
    if other_half is None:
        color = denoiser.denoise_frame(frames[0], name=str(source))
    else:
        correction = denoiser.corrected(*frames, names=tuple(map(str, inputs)), on_step=on_step)
        color = correction.color
        attributes["mcdenoise.other_half"] = str(other_half)
        attributes["mcdenoise.corrected"] = summary = correction.summary(denoiser_name(denoiser))
        note = f"{note}; {summary}" if note else summary
    if temporal is not None:
        color = temporal(color, frames[0], str(source))
        attributes["mcdenoise.temporal"] = f"blended with the previous output on {temporal.kept:.0%} of the pixels"
    channels = {name: frames[0].channels[name] for name in source_layout.file_channels}
    for kept, noisy in zip(source_layout.noisy_out, source_layout.color, strict=False):
        channels[kept] = frames[0].channels[noisy]
    for i, name in enumerate(source_layout.color_out):
        channels[name] = color[..., i]
    write(output, Frame(channels, attributes))
    sanitized = sum(int(invalid_color(frame.stack(COLOR)).sum()) for frame in frames)
    return ApplyResult(source, output, sanitized=sanitized, note=note)


def apply_files(
    denoiser: "Denoiser | Router",
    sources,
    output=None,
    show_progress: bool = False,
    layout: LayoutRequest | None = None,
    sequence: bool = False,
    other_half=None,
) -> list[ApplyResult]:
    """Denoise many files; one file's failure is recorded and the others go on. ``other_half``
    and ``layout`` go to :func:`apply_file`, the other half for one source only. With
    ``sequence`` the sources are the frames of a sequence in order, each blended with the output
    before it (:class:`TemporalFilter`; a failed frame starts the blending afresh). A thread
    reads the next file and writes the last output while a frame is denoised, and OpenEXR
    (de)compresses with a thread per core; a file that fails to write is recorded as failed, and
    the others go on."""
    sources = [Path(s) for s in sources]
    if output is not None and len(sources) > 1:
        raise OutputError("-o names one output file; with several inputs leave it out")
    if layout is not None and not layout.per_frame and len(sources) > 1:
        message = "{albedo}, {normal} and {depth} files belong to one frame; with several inputs, name each one's: '{frame}_albedo.exr'"
        raise ConfigError(message, "albedo", "normal", "depth")
    if other_half is not None and len(sources) > 1:
        raise ConfigError("{other_half} is the other half of one frame; give one input with it", "other_half")
    temporal = TemporalFilter() if sequence else None
    use_threads(os.cpu_count() or 1)
    results: list[ApplyResult] = []
    writes: list[tuple[int, Future]] = []
    # One thread reads the next frame and writes the last one while this one is denoised.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcdenoise-io") as io:
        reads = {0: io.submit(read_frame, sources[0], layout)} if sources else {}

        def read_ahead(path, request):
            return reads.pop(index).result() if path == sources[index] and index in reads else read_frame(path, request)

        def write_behind(path, frame):
            writes.append((index, io.submit(write_exr, path, frame)))

        with Progress(len(sources), "apply", enabled=show_progress) as progress:
            for index, source in enumerate(sources):
                if index + 1 < len(sources):
                    reads[index + 1] = io.submit(read_frame, sources[index + 1], layout)
                try:
                    with Progress(STEPS, "correct", enabled=show_progress and other_half is not None) as steps:
                        result = apply_file(denoiser, source, output, other_half, layout, temporal, read_ahead, write_behind, steps.advance)
                    results.append(result)
                except ConfigError:  # the options, not this frame: no other frame would fare better
                    raise
                except McDenoiseError as error:
                    reads.pop(index, None)
                    results.append(ApplyResult(source, None, error=str(error)))
                    if temporal is not None:
                        temporal.reset()
                progress.advance(note=source.name)
    for index, write in writes:  # all done: the pool has shut down
        failure = write.exception()
        if isinstance(failure, McDenoiseError):
            results[index] = replace(results[index], output=None, error=str(failure))
        elif failure is not None:
            raise failure
    return results
