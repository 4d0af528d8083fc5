"""Write docs/results.md from the benchmarks' machine-readable output, so that no result in the docs is typed by hand.

    python benchmarks/report.py            # write docs/results.md (and README.md's headline block)
    python benchmarks/report.py --check    # write nothing; exit 1 naming each stale file

Reads benchmarks/results/ (``--results DIR``):
- quality.json, quality-scene-track.json: quality.py on every scene, box track and scene's-own-filter track;
- pairs/*.json: quality.py with ``--train-pairs``, one file per scene;
- prior/*.json: quality.py with both bases (``--priors none oidn``) and ``--adapt``;
- blender/quality.json: blender_quality.py, the Cycles scenes;
- sequence/sequence.json: sequence.py, still and moving cameras (PSNR_T and flicker), with its curves (PNG) and crops (GIF);
- split/quality.json, split-n2c/*.json: quality.py with ``--split-emission``; orientations/*.json, emission_cost.json;
- speed.json, render_pairs_*.json: speed.py and its reruns; gpu.json: gpu.py; demo.json: demo.py;
- crops/*.png, split/crops/*.png, pairs/*.png: the crops quality.py writes;
- any other JSON there, shown as its fields; other files are linked.
Where a JSON file lacks the machine, date or command, they come from the first line of the .md file the same run
wrote beside it (``Title, MACHINE, YYYY-MM-DD (`COMMAND`), note``).

Writes docs/results.md (``--doc PATH``): a headline table (box track, 4 pairs per view, the base fine-tuned,
against the noisy input, OIDN and the base alone), then every section with its machine, date, command and a link to
its result file. If README.md (``--readme PATH``) has the lines ``<!-- results:headline -->`` and
``<!-- /results:headline -->``, the headline table replaces what stands between them; so do the Cycles table
between ``<!-- results:blender -->`` and ``<!-- /results:blender -->`` and the sequence table between
``<!-- results:sequence -->`` and ``<!-- /results:sequence -->``. Files are written atomically
(a temporary file, then os.replace). A missing result file leaves out its section; a malformed one stops the script
with a one-line error naming it (exit 1). Standard library only: it imports neither mcdenoise, torch nor numpy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import struct
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Pairs per view of the loop the README recommends (``render-pairs --pairs 4``): the headline's rows.
HEADLINE_PAIRS = 4
#: The track of the headline table.
HEADLINE_TRACK = "box"
#: The README's generated blocks, each between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``.
README_BLOCKS = ("headline", "blender", "sequence", "speed", "scale")
#: The rows of the README's sequence table: (row name in sequence.json, column title).
SEQUENCE_README_ROWS = (("OIDN 2.5", "OIDN 2.5"), ("live", "live"), ("live + temporal", "live + temporal"))
#: The rows of the README's Cycles table, where the run has them.
BLENDER_README_ROWS = (
    "noisy 4 spp",
    "OIDN 2.5",
    "Cycles' own denoiser",
    "apply, no model (auto)",
    "base",
    "base + 2 min",
    "base + 10 min",
    "base-oidn + 10 min",
)
DASH = "—"
HEADER_LINE = re.compile(r"^(?P<title>[^,]+), (?P<machine>.+), (?P<date>\d{4}-\d{2}-\d{2}) \(`(?P<command>[^`]+)`\)(?P<note>.*)$")
BASE_ROW = re.compile(r"^base \+ (?P<minutes>\d+(?:\.\d+)?) min$")
PRIOR_BASE_ROW = re.compile(r"^base-oidn \+ (?P<minutes>\d+(?:\.\d+)?) min$")
N2N_ROW = re.compile(r"^N2N (?P<minutes>\d+(?:\.\d+)?) min$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Quality metrics of a row: key, label, format, whether a mean over scenes is shown, whether shown unfolded.
METRICS = (
    ("psnr_t", "PSNR_T, dB", "{:.2f}", True, True),
    ("rel_mse", "relMSE", "{:.4f}", True, True),
    ("spp_equivalent", "spp-equivalent (the plain render's spp that matches the row's relMSE)", "{:.1f}x", False, True),
    ("smape", "SMAPE", "{:.4f}", True, False),
    ("flip", "HDR FLIP", "{:.4f}", True, False),
)
REQUIRED_METRICS = ("psnr_t", "rel_mse", "smape")
#: demo.json's scores: key, label.
DEMO_ROWS = (
    ("noisy_psnr_t", "noisy input"),
    ("base_model_psnr_t", "the bundled base model alone"),
    ("denoised_psnr_t", "mcdenoise, the base fine-tuned {minutes} min on the scene's noisy pairs"),
    ("oidn_psnr_t", "Intel OIDN, same frame, same run"),
)
PROVENANCE_KEYS = ("date", "machine", "card", "command")
T = TypeVar("T")


class ReportError(Exception):
    """A result file that cannot be read; the message names it."""


@dataclass(frozen=True)
class Context:
    """Where the results are, and the folder of the file being written (links are relative to it)."""

    results: Path
    base: Path


@dataclass(frozen=True)
class Source:
    """A result file with the machine, date and command of the run that wrote it."""

    path: Path
    header: Path | None
    machine: str | None
    date: str | None
    command: str | None
    note: str = ""


@dataclass(frozen=True)
class QualityRun:
    """One quality.py output file: its source and its scene records."""

    source: Source
    records: tuple[dict, ...]


@dataclass(frozen=True)
class Entry:
    """One table row of a quality section: a scene record, its label and its run."""

    label: str
    record: dict
    run: QualityRun

    @property
    def rows(self) -> dict:
        """The record's rows, by name."""
        return self.record["rows"]


@dataclass(frozen=True)
class Section:
    """Lines of markdown and the result files they were made from."""

    lines: tuple[str, ...]
    used: tuple[Path, ...]


# ---------------------------------------------------------------- reading


def _is_number(value: Any) -> bool:
    """Whether value is a finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_json(path: Path) -> Any:
    """The parsed JSON of path, or a ReportError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None


def parse_header(path: Path) -> dict[str, str]:
    """Machine, date, command and note from the first line of a benchmark's .md file."""
    try:
        with path.open(encoding="utf-8") as file:
            first = file.readline().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None
    match = HEADER_LINE.match(first)
    if not match:
        raise ReportError(f"{path}: first line is not a header 'Title, MACHINE, YYYY-MM-DD (`COMMAND`)'")
    fields = match.groupdict()
    fields["note"] = fields["note"].lstrip(",. ").strip()
    return fields


def _json_text(data: Any, key: str, path: Path) -> str | None:
    """data[key] if data is a dict holding a string there, None if absent; a ReportError if it is not a string."""
    if not isinstance(data, dict) or data.get(key) is None:
        return None
    if not isinstance(data[key], str):
        raise ReportError(f"{path}: '{key}' is not a string")
    return data[key]


def source_of(path: Path, data: Any) -> Source:
    """The provenance of a result file: its own fields first, then the header line of the .md beside it."""
    md = path.with_suffix(".md")
    header = parse_header(md) if md.is_file() else {}
    machine = _json_text(data, "machine", path) or _json_text(data, "card", path) or header.get("machine")
    date = _json_text(data, "date", path) or header.get("date")
    command = _json_text(data, "command", path) or header.get("command")
    return Source(path, md if header else None, machine, date, command, header.get("note", ""))


def _check_row(row: Any, where: str) -> None:
    """Raise a ReportError unless row holds the metrics quality.py writes."""
    if not isinstance(row, dict):
        raise ReportError(f"{where}: not an object")
    for key, *_ in METRICS:
        if key not in row:
            raise ReportError(f"{where}: no '{key}'")
        if not _is_number(row[key]) and (key in REQUIRED_METRICS or row[key] is not None):
            raise ReportError(f"{where}: '{key}' is not a number")
    for key in ("steps", "seconds"):
        if key in row and not _is_number(row[key]):
            raise ReportError(f"{where}: '{key}' is not a number")


def _check_record(record: Any, where: str) -> None:
    """Raise a ReportError unless record is one scene record of quality.py."""
    if not isinstance(record, dict) or not isinstance(record.get("scene"), str) or not isinstance(record.get("track"), str):
        raise ReportError(f"{where}: needs 'scene' and 'track' strings")
    rows = record.get("rows")
    if not isinstance(rows, dict) or not rows:
        raise ReportError(f"{where} ({record['scene']}): 'rows' is not a non-empty object")
    for name, row in rows.items():
        _check_row(row, f"{where} ({record['scene']}), row {name!r}")
    size = record.get("size")
    if size is not None and not (isinstance(size, list) and len(size) == 2 and all(_is_number(v) for v in size)):
        raise ReportError(f"{where} ({record['scene']}): 'size' is not [height, width]")
    for key in ("render_seconds", "train_pairs", "emission_spp"):
        if key in record and not _is_number(record[key]):
            raise ReportError(f"{where} ({record['scene']}): '{key}' is not a number")
    curve = record.get("raw_rel_mse", {})
    if not isinstance(curve, dict) or not all(k.isdigit() and _is_number(v) for k, v in curve.items()):
        raise ReportError(f"{where} ({record['scene']}): 'raw_rel_mse' is not an object of spp: relMSE")


def load_quality(path: Path) -> QualityRun | None:
    """A quality.py output file, checked; None if there is none."""
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, list) or not data:
        raise ReportError(f"{path}: expected a non-empty list of scene records")
    for index, record in enumerate(data):
        _check_record(record, f"{path}: record {index}")
    return QualityRun(source_of(path, None), tuple(data))


def load_blender(path: Path) -> QualityRun | None:
    """blender_quality.py's output file (its provenance and records), checked; None if there is none."""
    found = load_optional(path)
    if not found:
        return None
    source, data = found
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        raise ReportError(f"{path}: expected an object with 'records', a non-empty list of scene records")
    for index, record in enumerate(records):
        _check_record(record, f"{path}: record {index}")
    return QualityRun(source, tuple(records))


def load_pairs(results: Path) -> list[QualityRun]:
    """Every quality.py file in results/pairs/, by name."""
    return [run for path in sorted((results / "pairs").glob("*.json")) if (run := load_quality(path))]


def load_optional(path: Path) -> tuple[Source, Any] | None:
    """A JSON result file and its provenance; None if there is none."""
    if not path.is_file():
        return None
    data = read_json(path)
    return source_of(path, data), data


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its IHDR chunk."""
    try:
        with path.open("rb") as file:
            head = file.read(24)
    except OSError as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise ReportError(f"{path}: not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


# ---------------------------------------------------------------- formatting


def fmt(value: Any, spec: str) -> str:
    """value formatted with spec, or a dash for a missing value."""
    return DASH if value is None else spec.format(value)


def fmt_delta(value: float | None, unit: str = " dB") -> str:
    """A signed difference with 2 decimals, or a dash."""
    return DASH if value is None else f"{value:+.2f}{unit}"


def fmt_scalar(value: Any) -> str:
    """A JSON scalar as text: floats with 4 significant digits, the rest as they are."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value).replace("|", "\\|")


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def relative(path: Path, base: Path) -> str:
    """path relative to the folder base, with forward slashes."""
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def link(ctx: Context, path: Path) -> str:
    """A markdown link to a result file, named by its path inside the results folder."""
    try:
        name = path.resolve().relative_to(ctx.results.resolve()).as_posix()
    except ValueError:
        name = path.name
    return f"[{name}]({relative(path, ctx.base)})"


def provenance(ctx: Context, source: Source) -> str:
    """One bullet: the result file, its header file, machine, date, command and the header's note."""
    header = f" (header line: {link(ctx, source.header)})" if source.header else ""
    machine = source.machine or "machine not recorded"
    date = source.date or "date not recorded"
    command = f"`{source.command}`" if source.command else "command not recorded"
    note = f" {source.note}" if source.note else ""
    return f"- {link(ctx, source.path)}{header}: {machine}, {date}, {command}.{note}"


def date_span(dates: Iterable[str | None]) -> str:
    """The one date, or the first to the last, of a set of runs."""
    known = sorted({d for d in dates if d})
    if not known:
        return "date not recorded"
    return known[0] if len(known) == 1 else f"{known[0]} to {known[-1]}"


def _mean(values: Sequence[float | None]) -> float | None:
    """The mean of values, or None if any is missing."""
    return None if not values or any(v is None for v in values) else statistics.fmean(values)


def guarded(path: Path, build: Callable[[], T]) -> T:
    """build(), with a missing key or a wrong type in path's data turned into a one-line ReportError."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ReportError(f"{path}: unexpected content ({type(error).__name__}: {error})") from None


# ---------------------------------------------------------------- quality rows


def merge_order(lists: Iterable[Sequence[str]]) -> list[str]:
    """The union of several ordered name lists, each new name placed after its predecessor in its own list."""
    merged: list[str] = []
    for names in lists:
        previous: str | None = None
        for name in names:
            if name not in merged:
                merged.insert(merged.index(previous) + 1 if previous is not None else len(merged), name)
            previous = name
    return merged


def _minutes_row(names: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    """The name matching pattern with the most minutes."""
    found = [(float(m["minutes"]), name) for name in names if (m := pattern.match(name))]
    return max(found)[1] if found else None


def main_row(names: Iterable[str]) -> str | None:
    """The longest fine-tune of the base ('base + 10 min'), the row mcdenoise's loop gives."""
    return _minutes_row(names, BASE_ROW)


def first_row(names: Iterable[str], prefix: str) -> str | None:
    """The first row name starting with prefix ('noisy ' is the input, 'OIDN ' the comparison)."""
    return next((name for name in names if name.startswith(prefix)), None)


def value(entry: Entry, row: str | None, key: str) -> float | None:
    """One metric of one row of an entry, None if the row is not there."""
    return entry.rows.get(row, {}).get(key) if row else None


def records_of(runs: Iterable[QualityRun]) -> list[tuple[dict, QualityRun]]:
    """Every record of runs, with its run."""
    return [(record, run) for run in runs for record in run.records]


def make_entries(items: Iterable[tuple[dict, QualityRun]]) -> list[Entry]:
    """Records sorted by scene, track and file, each labelled as little as makes it unique."""
    pairs = sorted(items, key=lambda p: (p[0]["scene"], p[0]["track"], p[1].source.path))
    tracks = {r["track"] for r, _ in pairs}
    keys = [(r["scene"], r["track"]) for r, _ in pairs]
    entries = []
    for record, run in pairs:
        label = record["scene"] + (f", {record['track']}" if len(tracks) > 1 else "")
        if keys.count((record["scene"], record["track"])) > 1:
            label += f" ({run.source.path.stem})"
        entries.append(Entry(label, record, run))
    return entries


def metric_table(entries: Sequence[Entry], names: Sequence[str], key: str, spec: str, with_mean: bool) -> list[str]:
    """Scenes as rows, quality rows as columns, one metric; a mean row when every scene has the value."""
    columns = [n for n in names if any(value(e, n, key) is not None for e in entries)]
    if not columns:
        return []
    rows = [[e.label, *(fmt(value(e, n, key), spec) for n in columns)] for e in entries]
    scenes = [e.record["scene"] for e in entries]
    if with_mean and len(entries) > 1 and len(set(scenes)) == len(scenes):
        rows.append([f"mean of {len(entries)}", *(fmt(_mean([value(e, n, key) for e in entries]), spec) for n in columns)])
    return md_table(["scene", *columns], rows)


def comparisons(names: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs (a, b) for the table of PSNR_T differences a − b around the main row."""
    main = main_row(names)
    if main is None:
        return []
    others = [n for n in names if n.startswith(("noisy ", "OIDN ", "N2N ", "N2C ")) or n == "base"]
    others = [n for n in others if not (n.startswith("noisy ") and n != first_row(names, "noisy "))]
    pairs = [(main, n) for n in others]
    return pairs + [(n, main) for n in names if n.startswith(main + ", ")]


def differences_table(entries: Sequence[Entry], names: Sequence[str]) -> list[str]:
    """PSNR_T differences between the main row and the others, scene by scene."""
    pairs = [(a, b) for a, b in comparisons(names) if any(None not in (value(e, a, "psnr_t"), value(e, b, "psnr_t")) for e in entries)]
    if not pairs:
        return []

    def delta(entry: Entry, a: str, b: str) -> float | None:
        x, y = value(entry, a, "psnr_t"), value(entry, b, "psnr_t")
        return None if x is None or y is None else x - y

    rows = [[e.label, *(fmt_delta(delta(e, a, b)) for a, b in pairs)] for e in entries]
    return md_table(["scene", *(f"{a} − {b}" for a, b in pairs)], rows)


def summary_line(entries: Sequence[Entry], names: Sequence[str]) -> list[str]:
    """How often the main row beats OIDN, in PSNR_T and relMSE, with both mean relMSEs."""
    main, oidn = main_row(names), first_row(names, "OIDN ")
    scenes = [e.record["scene"] for e in entries]
    if not main or not oidn or len(set(scenes)) != len(scenes) or any(value(e, main, "psnr_t") is None for e in entries):
        return []
    if any(value(e, oidn, "psnr_t") is None for e in entries):
        return []
    n = len(entries)
    psnr = sum(value(e, main, "psnr_t") > value(e, oidn, "psnr_t") for e in entries)
    rel = sum(value(e, main, "rel_mse") < value(e, oidn, "rel_mse") for e in entries)
    mean_main = statistics.fmean(value(e, main, "rel_mse") for e in entries)
    mean_oidn = statistics.fmean(value(e, oidn, "rel_mse") for e in entries)
    return [
        f"{main} is ahead of {oidn} in PSNR_T on {psnr} of {n} scenes and has the lower relMSE on {rel} of {n} "
        f"(mean relMSE {mean_main:.4f} against {mean_oidn:.4f}).",
        "",
    ]


def training_table(entries: Sequence[Entry], names: Sequence[str]) -> list[str]:
    """Steps and seconds of every trained row; 'reused' marks a model loaded from an earlier run's cache."""
    columns = [n for n in names if any("steps" in e.rows.get(n, {}) for e in entries)]
    if not columns:
        return []

    def cell(entry: Entry, name: str) -> str:
        row = entry.rows.get(name, {})
        if "steps" not in row:
            return DASH
        text = f"{row['steps']:.0f} steps, {row.get('seconds', float('nan')):.1f} s"
        return text + (", reused" if row.get("reused") else "")

    return md_table(["scene", *columns], ([e.label, *(cell(e, n) for n in columns)] for e in entries))


def frames_table(entries: Sequence[Entry]) -> list[str]:
    """Size, render time (cache hits are fast), pairs per view and emission pass of each record."""
    split = any(e.record.get("split_emission") for e in entries)
    header = ["scene", "width x height", "render s", "pairs per view"] + (["emission pass spp"] if split else [])
    rows = []
    for e in entries:
        size = e.record.get("size")
        row = [e.label, f"{size[1]:.0f}x{size[0]:.0f}" if size else DASH, fmt(e.record.get("render_seconds"), "{:.1f}")]
        row.append(f"{e.record.get('train_pairs', 1):.0f}")
        rows.append(row + ([fmt(e.record.get("emission_spp"), "{:.0f}")] if split else []))
    return md_table(header, rows)


def curve_table(entries: Sequence[Entry]) -> list[str]:
    """relMSE of the plain renders of the test view against their spp (what spp-equivalent interpolates)."""
    spps = sorted({int(k) for e in entries for k in e.record.get("raw_rel_mse", {})})
    if not spps:
        return []
    rows = [[e.label, *(fmt(e.record.get("raw_rel_mse", {}).get(str(s)), "{:.4f}") for s in spps)] for e in entries]
    return md_table(["scene", *(f"{s} spp" for s in spps)], rows)


def quality_tables(entries: Sequence[Entry]) -> list[str]:
    """Every table of a set of quality records: one per metric, differences, training, frames, raw curve."""
    names = merge_order(list(e.rows) for e in entries)
    shown: list[str] = []
    folded: list[str] = []
    for key, label, spec, with_mean, unfolded in METRICS:
        table = metric_table(entries, names, key, spec, with_mean)
        (shown if unfolded else folded).extend([f"**{label}**", "", *table] if table else [])
    table = differences_table(entries, names)
    shown += ["**PSNR_T differences, dB**", "", *table, *summary_line(entries, names)] if table else []
    table = training_table(entries, names)
    folded += ["**Training: steps in the budget**", "", *table] if table else []
    folded += ["**Frames**", "", *frames_table(entries)]
    table = curve_table(entries)
    folded += ["**relMSE of plain renders of the test view, by spp**", "", *table] if table else []
    summary = "SMAPE, HDR FLIP, training steps, frames, relMSE of plain renders"
    return shown + ["<details>", f"<summary>{summary}</summary>", "", *folded, "</details>", ""]


def quality_section(ctx: Context, title: str, runs: Sequence[QualityRun], level: int = 2) -> Section:
    """A section of quality tables for one or more quality.py runs, with their provenance."""
    lines = ["#" * level + f" {title}", ""]
    lines += [provenance(ctx, run.source) for run in runs] + [""]
    lines += quality_tables(make_entries(records_of(runs)))
    return Section(tuple(lines), tuple(p for run in runs for p in (run.source.path, run.source.header) if p))


# ---------------------------------------------------------------- headline


def headline_runs(pairs: Sequence[QualityRun]) -> list[Entry]:
    """The latest pairs/ record of each scene with HEADLINE_PAIRS pairs per view on HEADLINE_TRACK, without the split."""
    best: dict[str, tuple[tuple[str, str], Entry]] = {}
    for run in pairs:
        for record in run.records:
            if record["track"] != HEADLINE_TRACK or record.get("train_pairs", 1) != HEADLINE_PAIRS or record.get("split_emission"):
                continue
            key = (run.source.date or "", run.source.path.name)
            if record["scene"] not in best or key > best[record["scene"]][0]:
                best[record["scene"]] = (key, Entry(record["scene"], record, run))
    return [best[scene][1] for scene in sorted(best)]


def headline(ctx: Context, pairs: Sequence[QualityRun], doc_link: Path | None = None) -> list[str]:
    """The headline table: per scene, the noisy input, OIDN, the base alone and the base fine-tuned, PSNR_T dB."""
    entries = headline_runs(pairs)
    names = merge_order(list(e.rows) for e in entries)
    noisy, oidn, main = first_row(names, "noisy "), first_row(names, "OIDN "), main_row(names)
    if not entries or not main:
        return []
    columns = [c for c in (noisy, oidn, "base" if "base" in names else None, main) if c]
    header = ["scene", *(f"{c}, {HEADLINE_PAIRS} pairs per view" if c == main else c for c in columns)]
    header += [f"{main} − {oidn}"] if oidn else []

    def cells(values: list[float | None]) -> list[str]:
        bold = [
            f"**{fmt(v, '{:.2f}')}**" if c == main and v is not None else fmt(v, "{:.2f}") for c, v in zip(columns, values, strict=True)
        ]
        if not oidn:
            return bold
        ours, theirs = values[columns.index(main)], values[columns.index(oidn)]
        return bold + [fmt_delta(None if ours is None or theirs is None else ours - theirs)]

    rows = [[e.label, *cells([value(e, c, "psnr_t") for c in columns])] for e in entries]
    rows.append([f"mean of {len(entries)}", *cells([_mean([value(e, c, "psnr_t") for e in entries]) for c in columns])])
    sources = [e.run.source for e in entries]
    machines = "; ".join(sorted({s.machine or "machine not recorded" for s in sources}))
    commands = "; ".join(f"`{s.command}`" if s.command else f"{s.path.name}: command not recorded" for s in sources)
    files = ", ".join(link(ctx, s.path) for s in sources)
    more = f" All results: [{relative(doc_link, ctx.base)}]({relative(doc_link, ctx.base)})." if doc_link else ""
    line = (
        f"PSNR_T in dB on each scene's held-out test frame, {HEADLINE_TRACK} track, {HEADLINE_PAIRS} pairs per view; "
        f"{machines}, {date_span(s.date for s in sources)}; {commands}; from {files}.{more}"
    )
    return md_table(header, rows) + [line]


# ---------------------------------------------------------------- sections


def pairs_section(ctx: Context, pairs: Sequence[QualityRun], one_pair: QualityRun | None) -> Section:
    """Quality with several pairs per view (pairs/*.json), grouped by pairs per view, against the one-pair run."""
    lines = ["## Quality, box track, more pairs per view", ""]
    lines += [provenance(ctx, run.source) for run in sorted(pairs, key=lambda r: r.source.path)] + [""]
    entries = make_entries(records_of(pairs))
    for count in sorted({e.record.get("train_pairs", 1) for e in entries}, reverse=True):
        group = [(e.record, e.run) for e in entries if e.record.get("train_pairs", 1) == count]
        lines += [f"### {count:.0f} pair{'s' if count != 1 else ''} per view", ""]
        lines += quality_tables(make_entries(group))
    lines += pairs_against_one(entries, one_pair)
    used = [p for run in pairs for p in (run.source.path, run.source.header) if p]
    return Section(tuple(lines), tuple(used))


def pairs_against_one(entries: Sequence[Entry], one_pair: QualityRun | None) -> list[str]:
    """The main row, PSNR_T / relMSE, by pairs per view: the one-pair run of quality.json beside each pairs/ file."""
    if one_pair is None:
        return []
    baseline = {r["scene"]: r for r in one_pair.records if r["track"] == HEADLINE_TRACK}
    columns = sorted({(e.record.get("train_pairs", 1), e.run.source.path.stem) for e in entries})
    scenes = sorted({e.record["scene"] for e in entries})
    names = merge_order([list(e.rows) for e in entries] + [list(r["rows"]) for r in baseline.values()])
    main = main_row(names)
    if not main or not baseline:
        return []

    def both(row: dict | None) -> str:
        return DASH if row is None else f"{row['psnr_t']:.2f} / {row['rel_mse']:.4f}"

    rows = []
    for scene in scenes:
        base_row = baseline.get(scene, {}).get("rows", {}).get(main)
        row = [scene, both(base_row)]
        for _, stem in columns:
            found = [e for e in entries if e.record["scene"] == scene and e.run.source.path.stem == stem]
            other = found[0].rows.get(main) if found else None
            gap = None if other is None or base_row is None else other["psnr_t"] - base_row["psnr_t"]
            row.append(DASH if other is None else f"{both(other)} ({fmt_delta(gap)})")
        rows.append(row)
    header = ["scene", f"{one_pair.source.path.name}, 1 pair"]
    header += [f"{stem}, {count:.0f} pair{'s' if count != 1 else ''} (− 1 pair)" for count, stem in columns]
    return [f"### {main} by pairs per view, PSNR_T dB / relMSE", "", *md_table(header, rows)]


def split_comparison(split: QualityRun, pairs: Sequence[QualityRun]) -> list[str]:
    """OIDN, the main row without the split (pairs/), with it, and with orientations: PSNR_T / relMSE / spp-equivalent."""
    names = merge_order(list(r["rows"]) for r in split.records)
    main, oidn = main_row(names), first_row(names, "OIDN ")
    if not main:
        return []
    plain = {(r["scene"], r["track"], r.get("train_pairs", 1)): r for run in pairs for r in run.records if not r.get("split_emission")}

    def triple(row: dict | None) -> str:
        if row is None:
            return DASH
        return f"{row['psnr_t']:.2f} / {row['rel_mse']:.4f} / {fmt(row['spp_equivalent'], '{:.1f}x')}"

    variants = [n for n in names if n.startswith(main + ", ")]
    rows = []
    for record in sorted(split.records, key=lambda r: (r["scene"], r["track"])):
        other = plain.get((record["scene"], record["track"], record.get("train_pairs", 1)))
        row = [record["scene"], triple(record["rows"].get(oidn)) if oidn else DASH]
        row += [triple(other["rows"].get(main) if other else None), triple(record["rows"].get(main))]
        rows.append(row + [triple(record["rows"].get(v)) for v in variants])
    header = ["scene", oidn or "OIDN", f"{main}, no split (pairs/)", f"{main}, split", *(f"{v}, split" for v in variants)]
    return ["**With and without the split, PSNR_T dB / relMSE / spp-equivalent**", "", *md_table(header, rows)]


def emission_cost_table(ctx: Context, found: tuple[Source, Any]) -> Section:
    """What the split costs to render: seconds and ratio to a plain render, per scene."""
    source, data = found
    scenes = data["scenes"]
    keys = merge_order(list(s["seconds"]) for s in scenes.values())
    rows = []
    for name in sorted(scenes):
        s = scenes[name]
        cells = [f"{s['seconds'][k]:.3f} s ({s['ratio'][k]:.2f}x)" if k in s["seconds"] else DASH for k in keys]
        rows.append([name, s.get("variant", DASH), "x".join(str(v) for v in s.get("size", [])) or DASH, *cells])
    lines = ["### Cost of rendering the split", "", provenance(ctx, source), ""]
    lines += md_table(["scene", "variant", "size", *keys], rows)
    return Section(tuple(lines), (source.path,))


def orientations_tables(ctx: Context, found: tuple[Source, Any]) -> Section:
    """PSNR_T and relMSE of one model's output for each flip and rotation of the frame, and their means."""
    source, data = found
    names = merge_order(list(s["rows"]) for s in data.values())
    lines = [f"### Orientations, {source.path.stem}", "", provenance(ctx, source), ""]
    models = [[scene, f"`{data[scene]['model']}`", f"`{data[scene]['test']}`"] for scene in sorted(data)]
    lines += md_table(["scene", "model", "test frames"], models)
    for key, label, spec, *_ in METRICS:
        if all(key in row for s in data.values() for row in s["rows"].values()):
            rows = [[scene, *(fmt(data[scene]["rows"].get(n, {}).get(key), spec) for n in names)] for scene in sorted(data)]
            lines += [f"**{label}**", "", *md_table(["scene", *names], rows)]
    return Section(tuple(lines), (source.path,))


def split_section(ctx: Context, results: Path, pairs: Sequence[QualityRun]) -> list[Section]:
    """The emission split (split/), N2C with it (split-n2c/), orientations and the split's render cost."""
    split = load_quality(results / "split" / "quality.json")
    n2c = [run for p in sorted((results / "split-n2c").glob("*.json")) if (run := load_quality(p))]
    sections = []
    if split:
        section = quality_section(ctx, "Emission split, with orientations", [split])
        sections.append(Section(section.lines + tuple(split_comparison(split, pairs)), section.used))
    sections += [quality_section(ctx, f"N2C with the split, {run.source.path.name}", [run], level=3) for run in n2c]
    for path in sorted((results / "orientations").glob("*.json"), key=lambda p: p.stem):
        found = load_optional(path)
        sections.append(guarded(path, lambda f=found: orientations_tables(ctx, f)))
    found = load_optional(results / "emission_cost.json")
    if found:
        sections.append(guarded(found[0].path, lambda: emission_cost_table(ctx, found)))
    if sections and not split:
        sections.insert(0, Section(("## Emission split, with orientations", ""), ()))
    return sections


def prior_table(runs: Sequence[QualityRun]) -> list[str]:
    """The plain base and the base that corrects OIDN side by side, against OIDN, per scene and track:
    out of the box, fine-tuned, and on the test frame's two halves, as it is and adapted to them."""
    records = sorted(records_of(runs), key=lambda p: (bool(p[0].get("held_out")), p[0]["scene"], p[0]["track"]))
    names = merge_order(list(r["rows"]) for r, _ in records)
    oidn = first_row(names, "OIDN ")
    tuned = sorted({n.split(" + ", 1)[1] for n in names if n.startswith(("base + ", "base-oidn + "))})
    halves = [n.split(", ", 1)[1] for n in names if n.startswith("base, halves")]
    bases = ("base", "base-oidn")
    wanted = [*bases, *(f"{b} + {t}" for t in tuned for b in bases), *(f"{b}, {h}" for h in halves for b in bases)]
    columns = [c for c in wanted if c in names]
    if not oidn or not columns:
        return []

    def cell(record: dict, name: str) -> str:
        row, peer = record["rows"].get(name), record["rows"].get(oidn)
        if row is None:
            return DASH
        return f"{row['psnr_t']:.2f} ({fmt_delta(row['psnr_t'] - peer['psnr_t'], '')})" if peer else f"{row['psnr_t']:.2f}"

    rows = []
    for record, _ in records:
        label = record["scene"] + (" (held out)" if record.get("held_out") else "")
        rows.append(
            [label, record["track"], fmt(record["rows"].get(oidn, {}).get("psnr_t"), "{:.2f}"), *(cell(record, c) for c in columns)]
        )
    note = (
        f"PSNR_T dB, and in brackets the difference to {oidn} on the same frame. `base-oidn` corrects OIDN's output; "
        "`halves` is the test frame given as two halves at half the spp each, `adapt` fine-tunes on those two halves alone."
    )
    return [
        "**The plain base and the base that corrects OIDN, PSNR_T dB (− OIDN)**",
        "",
        *md_table(["scene", "track", oidn, *columns], rows),
        note,
        "",
    ]


def prior_section(ctx: Context, results: Path) -> Section | None:
    """prior/*.json: quality.py with both bases (--priors none oidn) and --adapt; the side-by-side table first."""
    runs = [run for p in sorted((results / "prior").glob("*.json")) if (run := load_quality(p))]
    if not runs:
        return None
    section = quality_section(ctx, "The OIDN prior and adapting to the frame (issue 20)", runs)
    title, blank, *rest = section.lines
    return Section((title, blank, *prior_table(runs), *rest), section.used)


def blender_table(ctx: Context, run: QualityRun, doc_link: Path | None = None) -> list[str]:
    """The Cycles scenes, BLENDER_README_ROWS as columns: PSNR_T dB per scene, its mean, and the mean relMSE."""
    entries = make_entries(records_of([run]))
    names = merge_order(list(e.rows) for e in entries)
    columns = [c for c in BLENDER_README_ROWS if c in names]
    if not columns:
        return []
    rows = [[e.label, *(fmt(value(e, c, "psnr_t"), "{:.2f}") for c in columns)] for e in entries]
    for key, label, spec in (("psnr_t", "mean PSNR_T", "{:.2f}"), ("rel_mse", "mean relMSE", "{:.4f}")):
        rows.append([label, *(fmt(_mean([value(e, c, key) for e in entries]), spec) for c in columns)])
    source = run.source
    more = f" All rows: [{relative(doc_link, ctx.base)}]({relative(doc_link, ctx.base)})." if doc_link else ""
    line = (
        f"PSNR_T in dB on each Cycles scene's 4 spp test frame; {source.machine or 'machine not recorded'}, "
        f"{source.date or 'date not recorded'}; `{source.command or 'command not recorded'}`; from {link(ctx, source.path)}.{more}"
    )
    return md_table(["scene", *columns], rows) + [line]


def blender_section(ctx: Context, results: Path) -> Section | None:
    """blender/quality.json: every row on the Cycles scenes."""
    run = load_blender(results / "blender" / "quality.json")
    return quality_section(ctx, "Blender: Cycles scenes (issue 21)", [run]) if run else None


def load_sequence(path: Path) -> tuple[dict, list[dict]] | None:
    """sequence.py's output file (settled frame, records), checked; None if there is none."""
    data = read_json(path) if path.is_file() else None
    if data is None:
        return None
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        raise ReportError(f"{path}: no 'records' list")
    for index, record in enumerate(records):
        where = f"{path}: record {index}"
        if not isinstance(record, dict) or not all(k in record for k in ("scene", "camera", "machine", "date", "command", "rows")):
            raise ReportError(f"{where}: needs scene, camera, machine, date, command and rows")
        for name, row in record["rows"].items():
            if not (isinstance(row, dict) and _is_number(row.get("psnr_t_settled")) and _is_number(row.get("flicker"))):
                raise ReportError(f"{where}, row {name!r}: needs numbers psnr_t_settled and flicker")
    return data, records


def sequence_table(ctx: Context, path: Path, data: dict, records: Sequence[dict]) -> list[str]:
    """Per scene and camera: mean PSNR_T from the settled frame on / flicker of SEQUENCE_README_ROWS, the flicker of
    live + temporal as a share of OIDN's, live's frames below OIDN's, and live's seconds a frame; then each run's line."""
    columns = [(name, title) for name, title in SEQUENCE_README_ROWS if all(name in r["rows"] for r in records)]
    rows = []
    for r in records:
        cells = [f"{r['rows'][n]['psnr_t_settled']:.2f} / {r['rows'][n]['flicker']:.4f}" for n, _ in columns]
        oidn, blended = r["rows"].get("OIDN 2.5"), r["rows"].get("live + temporal")
        share = fmt(blended and oidn and blended["flicker"] / oidn["flicker"], "{:.2f}x")
        below = r.get("live_below_oidn")
        scored = [t for t in r.get("scored_frames", []) if t >= data.get("settled", 0)]
        below_cell = "—" if below is None else f"{len(below)} of {len(scored)}"
        times = r.get("live_seconds_per_frame", {})
        time_cell = ", ".join(f"{v:.2f}" for v in times.values()) if times else "—"
        rows.append([r["scene"], r["camera"], *cells, share, below_cell, time_cell])
    header = ["scene", "camera", *(title for _, title in columns), "flicker, live + temporal / OIDN", "live frames below OIDN"]
    header.append("live s/frame: " + ", ".join(k.removesuffix("_seconds") for k in records[0].get("live_seconds_per_frame", {})))
    runs = sorted({(r["machine"], r["date"], r["command"]) for r in records})
    lines = md_table(header, rows)
    lines.append(
        f"PSNR_T in dB (mean over the scored frames from frame {data.get('settled', 0)} on) / flicker (BENCHMARK.md), from "
        f"{link(ctx, path)}; " + "; ".join(f"{machine}, {date}, `{command}`" for machine, date, command in runs) + "."
    )
    return lines


def sequence_section(ctx: Context, results: Path) -> Section | None:
    """sequence/sequence.json: the sequence table, the curves and the crops."""
    path = results / "sequence" / "sequence.json"
    found = load_sequence(path)
    if not found:
        return None
    data, records = found
    table = guarded(path, lambda: sequence_table(ctx, path, data, records))
    lines = ["## Sequences: live training and temporal reuse (issue 22)", "", *table, ""]
    used = [path]
    for r in records:
        for suffix in (".png", ".gif"):
            picture = path.parent / f"{r['scene']}-{r['camera']}{suffix}"
            if picture.is_file():
                lines += [f"![{r['scene']}, {r['camera']} camera]({relative(picture, ctx.base)})", ""]
                used.append(picture)
    return Section(tuple(lines), tuple(used))


def render_pairs_rows(source: Source, runs: Sequence[dict]) -> list[list[str]]:
    """Rows of the render-pairs table for one result file."""
    rows = []
    for r in runs:
        low, high = r["ratio_range"]
        share = fmt(r.get("feature_pass_share"), "{:.1%}")
        row = [source.path.name, r["variant"], f"{r['pixels']}", f"{r['rounds']}", f"{r['pairs']}", f"{r['pair_seconds']:.3f}"]
        row += [f"{r['two_plain_renders_seconds']:.3f}", f"{r['ratio']:.2f}x", f"{low:.2f}-{high:.2f}x", share]
        rows.append(row + [fmt(r.get("ratio_without_replay"), "{:.2f}x")])
    return rows


def speed_section(ctx: Context, results: Path) -> Section | None:
    """speed.json: apply time and quality of each denoiser, memory, seams, render-pairs, EXR writing, training."""
    found = load_optional(results / "speed.json")
    if not found:
        return None
    source, data = found
    reruns = [f for p in sorted(results.glob("render_pairs_*.json")) if (f := load_optional(p))]
    rerun_rows = [row for s, d in reruns for row in guarded(s.path, lambda s=s, d=d: render_pairs_rows(s, d["runs"]))]
    return guarded(source.path, lambda: _speed_lines(ctx, source, data, reruns, rerun_rows))


def _speed_lines(ctx: Context, source: Source, data: dict, reruns: Sequence[tuple[Source, Any]], rerun_rows: list[list[str]]) -> Section:
    """The speed section's lines (see speed_section)."""
    lines = ["## Speed", "", provenance(ctx, source), *(provenance(ctx, s) for s, _ in reruns), ""]
    if data.get("jobs"):
        lines += ["**The job**: read, denoise and write back 1920x1080 frames with all their channels (ZIP), each in a fresh process", ""]
        lines += md_table(["denoiser", "frames", "s", "time vs OIDN high"], _job_rows(data))
    by_scene = data.get("psnr_t_by_scene", {})
    scenes = sorted(by_scene)
    megapixels = data["apply"][0]["seconds"] / data["apply"][0]["seconds_per_mp"] if data["apply"] else None
    lines += [f"**apply**: seconds for one {fmt(megapixels, '{:.2f}')} MP frame, and PSNR_T (dB) of the same denoiser on the"]
    lines += ["quality benchmark's cached box-track test frames, in the same run", ""]
    rows = []
    for r in data["apply"]:
        scores = [by_scene[s].get(r["denoiser"]) for s in scenes]
        row = [r["denoiser"], f"{r['seconds']:.2f}", f"{r['seconds_per_mp']:.2f}", f"{r['ratio_vs_oidn_high']:.2f}x"]
        rows.append(row + [fmt(v, "{:.2f}") for v in scores] + [fmt(_mean(scores), "{:.2f}")])
    header = ["denoiser", "s", "s/MP", "time vs OIDN high", *scenes, f"mean of {len(scenes)}"]
    lines += md_table(header, rows)
    if data.get("quality"):
        lines += ["**Mean PSNR_T of the quality benchmark's rows** as speed.py read them from quality.json, box track", ""]
        lines += md_table(["row", "mean PSNR_T, dB"], ([name, f"{v:.2f}"] for name, v in data["quality"].items()))
    lines += ["**Peak memory of `apply`**", ""]
    lines += md_table(
        ["frame", "precision", "tile", "peak RSS, GiB"],
        ([m["size"], m["precision"], f"{m['tile']}", f"{m['peak_rss_gib']:.2f}"] for m in data["memory"]),
    )
    lines += ["**Seams**: max |tiled − untiled|", ""]
    rows = [[s["size"], s["precision"], f"{s['tile']}", f"{s['overlap']}", f"{s['max_abs_difference']:.2e}"] for s in data["seams"]]
    lines += md_table(["frame", "precision", "tile", "overlap", "max abs difference"], rows)
    lines += ["**render-pairs**: one pair with its features and EXR writing, against two plain renders", ""]
    rows = render_pairs_rows(source, data["render_pairs"]) + rerun_rows
    header = ["file", "variant", "pixels", "rounds", "pairs", "pair s", "two plain renders s", "ratio, median of rounds", "range"]
    lines += md_table(header + ["feature pass, share of two plain renders", "ratio without replaying render calls"], rows)
    lines += ["**EXR write**", ""]
    rows = [[r["compression"], f"{1000 * r['seconds']:.1f}", f"{r['bytes'] / 1024:.0f}"] for r in data["exr_write"]]
    lines += md_table(["compression", "ms", "KiB"], rows)
    lines += ["**Training**", ""]
    rows = [[r["device"], r["card"], r["precision"], f"{r['crops_per_second']:.1f}"] for r in data["train"]]
    lines += md_table(["device", "card", "precision", "crops/s"], rows)
    return Section(tuple(lines), (source.path, *([source.header] if source.header else []), *(s.path for s, _ in reruns)))


def gpu_section(ctx: Context, results: Path) -> Section | None:
    """gpu.json, if it holds an apply table: times, parts, agreement with the CPU, memory, seams, training."""
    found = load_optional(results / "gpu.json")
    if not found or not isinstance(found[1], dict) or not found[1].get("apply"):
        return None
    return guarded(found[0].path, lambda: _gpu_lines(ctx, *found))


def _gpu_lines(ctx: Context, source: Source, data: dict) -> Section:
    """The GPU section's lines (see gpu_section)."""
    lines = [f"## GPU: {data['card']}", "", provenance(ctx, source), ""]
    lines += [f"torch {data.get('torch', DASH)}, device `{data.get('device', DASH)}`.", ""]
    lines += ["**apply**, ms per frame", ""]
    rows = [
        [r["model"], r["precision"], *(f"{r[k]:.2f}" for k in ("tensor_on_gpu_ms", "numpy_in_host_memory_ms", "network_alone_ms"))]
        for r in data["apply"]
    ]
    lines += md_table(["model", "precision", "tensor on the GPU", "numpy in host memory", "network alone"], rows)
    if data.get("parts"):
        lines += ["Parts of an apply, ms: " + ", ".join(f"{k} {v:.2f}" for k, v in data["parts"].items()) + ".", ""]
    if data.get("agreement"):
        rows = [
            [
                r["model"],
                r["scene"],
                r["precision"],
                f"{r['psnr_t_cuda']:.2f}",
                f"{r['psnr_t_cpu_fp32']:.2f}",
                f"{r['relative_l2_to_cpu_fp32']:.1e}",
            ]
            for r in data["agreement"]
        ]
        lines += ["**Agreement with the CPU**", ""]
        lines += md_table(["model", "scene", "precision", "PSNR_T CUDA", "PSNR_T CPU fp32", "‖CUDA − CPU fp32‖ / ‖CPU fp32‖"], rows)
    memory = data.get("memory")
    if memory:
        peak = fmt(memory.get("peak_gib_beyond_input"), "{:.2f}")
        lines += [f"Peak GPU memory at {memory['size']}, tile {memory['tile']}: {peak} GiB beyond the input frame; "]
        lines[-1] += f"TF32 convolutions: {fmt_scalar(memory.get('tf32_convolutions'))}."
        lines += [""]
        for name, seams in sorted((k, v) for k, v in memory.items() if k.startswith("seams")):
            rows = [[p, f"{v['max_abs']:.1e}", f"{v['max_relative']:.1e}"] for p, v in seams.items()]
            lines += [f"**{name}**: max |tiled − untiled|", "", *md_table(["precision", "absolute", "relative to the pixel"], rows)]
    if data.get("train"):
        rows = [
            [f"{data.get('device', DASH)} {r['precision']}", f"{r['batch']}", f"{r['steps']}", f"{r['crops_per_second']:.0f}"]
            for r in data["train"]
        ]
        lines += ["**Training**", "", *md_table(["device, precision", "batch", "steps", "crops/s"], rows)]
    return Section(tuple(lines), (source.path, *([source.header] if source.header else [])))


def demo_section(ctx: Context, results: Path) -> Section | None:
    """demo.json: the scores and wall time of `mcdenoise demo`."""
    found = load_optional(results / "demo.json")
    if not found:
        return None
    source, data = found

    def build() -> Section:
        minutes = f"{data['train_minutes']:g}"
        command = source.command or f"python benchmarks/demo.py --minutes {minutes}"
        note = source.note if source.command else "(demo.json records no command; this one is built from its train_minutes.)"
        shown = Source(source.path, source.header, source.machine, source.date, command, note)
        lines = ["## Demo", "", provenance(ctx, shown), ""]
        rows = [[label.format(minutes=minutes), fmt(data.get(key), "{:.2f}")] for key, label in DEMO_ROWS if key in data]
        lines += md_table(["", "PSNR_T, dB"], rows)
        lines += [
            f"Gain over the input: {fmt_delta(data.get('gain_db'))}; "
            f"wall time of the whole demo: {fmt(data.get('wall_seconds'), '{:.1f}')} s.",
            "",
        ]
        return Section(tuple(lines), (source.path,))

    return guarded(source.path, build)


def crop_panels(record: dict) -> list[str]:
    """The panels quality.py puts in a crops image, left to right, for this record's rows."""
    names = list(record["rows"])
    order = [first_row(names, "noisy "), first_row(names, "OIDN "), _minutes_row(names, N2N_ROW)]
    order += [main_row(names) or ("base" if "base" in names else None)]
    order += [_minutes_row(names, PRIOR_BASE_ROW) or ("base-oidn" if "base-oidn" in names else None)]
    order += [n for n in names if n.startswith("N2C ")]
    return [n for n in order if n] + ["reference"]


def crop_caption(png: Path, runs: Sequence[QualityRun], ctx: Context) -> str:
    """Which record a crops image belongs to and its panels, when its name and width match one record."""
    width, height = png_size(png)
    matches = []
    for run in runs:
        for record in run.records:
            stem = f"{record['scene']}_{record['track']}"
            if png.stem in (stem, f"{stem}-p{record.get('train_pairs', 1):.0f}"):
                matches.append((run, record))
    if len(matches) == 1:
        run, record = matches[0]
        panels = crop_panels(record)
        if len(panels) * height <= width < (len(panels) + 1) * height:
            return f"{record['scene']}, {record['track']} track ({link(ctx, run.source.path)}): " + " | ".join(panels)
    return f"{png.stem} (panels not matched to a result file)"


def crops_section(ctx: Context, results: Path) -> Section | None:
    """Every crops image under the results, with its panels, embedded."""
    pngs = sorted(results.rglob("*.png"))
    if not pngs:
        return None
    heights = sorted({png_size(png)[1] for png in pngs})
    high = " or ".join(f"{h}" for h in heights)
    lines = ["## Crops", "", f"The centre of each test frame, {high} pixels high, as quality.py writes it, left to right:", ""]
    for png in pngs:
        folder = png.parent.parent if png.parent.name == "crops" else png.parent
        runs = [run for p in sorted(folder.glob("*.json")) if (run := _quality_or_none(p))]
        lines += [f"**{crop_caption(png, runs, ctx)}**", "", f"![{png.stem}]({relative(png, ctx.base)})", ""]
    return Section(tuple(lines), tuple(pngs))


def _quality_or_none(path: Path) -> QualityRun | None:
    """path as a quality.py file if it is a list of scene records, None if it is some other result."""
    data = read_json(path)
    return load_quality(path) if isinstance(data, list) and data and isinstance(data[0], dict) and "rows" in data[0] else None


def generic_section(ctx: Context, source: Source, data: Any) -> Section:
    """Any other JSON result: its provenance, its scalar fields, and its lists of objects as tables."""
    lines = [f"### {link(ctx, source.path)}", "", provenance(ctx, source), ""]
    if isinstance(data, dict):
        scalars = [[k, fmt_scalar(v)] for k, v in data.items() if k not in PROVENANCE_KEYS and not isinstance(v, dict | list)]
        lines += md_table(["field", "value"], scalars) if scalars else []
        for key, items in data.items():
            if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
                columns = merge_order(list(i) for i in items)
                lines += [f"**{key}**", "", *md_table(columns, ([fmt_scalar(i.get(c)) for c in columns] for i in items))]
    return Section(tuple(lines), (source.path, *([source.header] if source.header else [])))


def other_section(ctx: Context, results: Path, used: set[Path]) -> Section | None:
    """The JSON files not shown above, as their fields, and links to every other file left."""
    rest = sorted(p for p in results.rglob("*") if p.is_file() and p.resolve() not in used)
    parts = []
    for path in (p for p in rest if p.suffix == ".json"):
        found = load_optional(path)
        parts.append(guarded(path, lambda f=found: generic_section(ctx, *f)))
    shown_paths = {p.resolve() for part in parts for p in part.used}
    others = [p for p in rest if p.resolve() not in shown_paths]
    if not parts and not others:
        return None
    lines = ["## Other results", "", *(line for part in parts for line in part.lines)]
    lines += (["### Files not summarised here", ""] + [f"- {link(ctx, p)}" for p in others] + [""]) if others else []
    return Section(tuple(lines), tuple(rest))


# ---------------------------------------------------------------- documents


def build_doc(results: Path, doc: Path) -> str:
    """The text of docs/results.md."""
    ctx = Context(results, doc.parent)
    box, scene = load_quality(results / "quality.json"), load_quality(results / "quality-scene-track.json")
    pairs = load_pairs(results)
    sections: list[Section] = []
    if box:
        sections.append(quality_section(ctx, "Quality, box track, one pair per view", [box]))
    if scene:
        sections.append(quality_section(ctx, "Quality, scene's-own-filter track, one pair per view", [scene]))
    if pairs:
        sections.append(pairs_section(ctx, pairs, box))
    sections += [s for s in (prior_section(ctx, results), blender_section(ctx, results), sequence_section(ctx, results)) if s]
    sections += split_section(ctx, results, pairs)
    sections += [s for s in (speed_section(ctx, results), gpu_section(ctx, results), demo_section(ctx, results)) if s]
    sections += [s for s in (crops_section(ctx, results),) if s]
    used = {p.resolve() for s in sections for p in s.used}
    sections += [s for s in (other_section(ctx, results, used),) if s]
    lines = [
        "# Results",
        "",
        f"<!-- Generated by benchmarks/report.py from {relative(results, ctx.base)}/; do not edit by hand. -->",
        "",
        f"Every number here comes from the files in [{relative(results, ctx.base)}/]({relative(results, ctx.base)}/), written by the",
        "benchmark scripts; `python benchmarks/report.py` regenerates this page and `python benchmarks/report.py --check` says when",
        "it is stale.",
        "",
    ]
    top = headline(ctx, pairs)
    if top:
        lines += ["## Headline", "", *top, ""]
    for section in sections:
        lines += list(section.lines)
    if not top and not sections:
        lines += ["No result files found.", ""]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def replace_block(text: str, name: str, block: Sequence[str], path: Path) -> str | None:
    """text with the lines between the markers of block ``name`` replaced by block; None if text has no such markers."""
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == start]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ReportError(f"{path}: needs one '{start}' line followed by one '{end}' line")
    newline = "\r\n" if lines[starts[0]].endswith("\r\n") else "\n"
    middle = [line + newline for line in ["", *block, ""]]
    return "".join(lines[: starts[0] + 1] + middle + lines[ends[0] :])


def build_readme(results: Path, readme: Path, doc: Path) -> str | None:
    """README.md's text with its generated blocks (README_BLOCKS) regenerated; None if it has none (or does not exist)."""
    if not readme.is_file():
        return None
    ctx = Context(results, readme.parent)
    blender = load_blender(results / "blender" / "quality.json")
    blocks = {
        "headline": headline(ctx, load_pairs(results), doc_link=doc) or ["(No headline result yet.)"],
        "blender": (blender and guarded(blender.source.path, lambda: blender_table(ctx, blender, doc_link=doc)))
        or ["(No Cycles result yet.)"],
        "sequence": _sequence_block(ctx, results) or ["(No sequence result yet.)"],
        "speed": _speed_block(ctx, results) or ["(No speed result with the whole job yet.)"],
        "scale": _scale_block(ctx, results) or ["(No scale result yet.)"],
    }
    text, found = current(readme) or "", False
    for name in README_BLOCKS:
        replaced = replace_block(text, name, blocks[name], readme)
        if replaced is not None:
            text, found = replaced, True
    return text if found else None


def _speed_block(ctx: Context, results: Path) -> list[str] | None:
    """README's speed table: the whole job against OIDN, training's crops a second and 4K memory, from
    speed.json; None without one, or with one from before the job was timed."""
    found = load_optional(results / "speed.json")
    if not found or not found[1].get("jobs"):
        return None
    source, data = found
    return guarded(source.path, lambda: _speed_block_lines(ctx, source, data))


def _speed_block_lines(ctx: Context, source: Source, data: dict) -> list[str]:
    """The lines of README's speed table (see _speed_block)."""
    header = ["read, denoise, write 1920x1080 frames (ZIP), a fresh process", "frames", "s", "time vs OIDN 2.5 high"]
    lines = md_table(header, _job_rows(data))
    train = ", ".join(f"{r['device']} {r['precision']} {r['crops_per_second']:.1f}" for r in data["train"])
    memory = ", ".join(f"{m['precision']} {m['peak_rss_gib']:.2f} GiB" for m in data["memory"])
    lines += [f"Training, 128x128 crops, batch 8, crops/s: {train}. Peak memory of `apply` at 3840x2160: {memory}.", ""]
    return lines + [_block_source(ctx, source, "python benchmarks/speed.py")]


def _scale_block(ctx: Context, results: Path) -> list[str] | None:
    """README's scale figures, from scale.json (benchmarks/scale.py): render-pairs' pairs a second here and on
    Ray workers, and training's crops a second with 1 and 2 torchrun ranks; None without one."""
    found = load_optional(results / "scale.json")
    if not found:
        return None
    source, data = found
    return guarded(source.path, lambda: _scale_block_lines(ctx, source, data))


def _scale_block_lines(ctx: Context, source: Source, data: dict) -> list[str]:
    """The lines of README's scale figures (see _scale_block)."""
    lines = md_table(
        ["render-pairs, Cornell box, 65,536 px, 4 spp", "pairs/s"], [[r["where"], f"{r['pairs_per_second']:.2f}"] for r in data["render"]]
    )
    ranks = [[_processes(r["ranks"], r["threads_per_rank"]), f"{r['crops_per_second']:.1f}"] for r in data["train"]]
    lines += md_table(["mcdenoise train, 128x128 crops, global batch 8", "crops/s"], ranks)
    return lines + [_block_source(ctx, source, "python benchmarks/scale.py")]


def _block_source(ctx: Context, source: Source, script: str) -> str:
    """The line under a README block that says where its figures came from: machine, date, command, file."""
    command = f"`{source.command or script}`"
    machine, date = source.machine or "machine not recorded", source.date or "date not recorded"
    return f"{machine}, {date}, {command}; all of it: {link(ctx, source.path)}."


def _processes(count: int, threads: int) -> str:
    """``1 process of 2 threads``, ``2 processes of 1 thread``."""
    return f"{count} process{'es' if count > 1 else ''} of {threads} thread{'s' if threads > 1 else ''}"


def _job_rows(data: dict) -> list[list[str]]:
    """Rows of the whole-job table of speed.json."""
    return [[r["denoiser"], f"{r['frames']}", f"{r['seconds']:.2f}", f"{r['ratio_vs_oidn_high']:.2f}x"] for r in data["jobs"]]


def _sequence_block(ctx: Context, results: Path) -> list[str] | None:
    """README's sequence table (sequence_table), or None without a result file."""
    path = results / "sequence" / "sequence.json"
    found = load_sequence(path)
    return found and guarded(path, lambda: sequence_table(ctx, path, *found))


def atomic_write(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder and os.replace, keeping an existing mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current(path: Path) -> str | None:
    """The text of path as it is on disk (line endings kept), or None if it does not exist."""
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot be read ({error})") from None


def shown(path: Path) -> str:
    """path relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is stale")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="the benchmarks' results folder")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "results.md", help="the page to write")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="the README whose headline block to fill")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) docs/results.md and README.md's headline block; the exit status."""
    args = parse_args(argv)
    try:
        if not args.results.is_dir():
            raise ReportError(f"{args.results}: no such folder")
        targets = [(args.doc, build_doc(args.results, args.doc))]
        readme = build_readme(args.results, args.readme, args.doc)
        targets += [(args.readme, readme)] if readme is not None else []
        stale = [(path, text) for path, text in targets if current(path) != text]
        if args.check:
            for path, _ in stale:
                print(f"{shown(path)} is stale: run python benchmarks/report.py", file=sys.stderr)
            return 1 if stale else 0
        for path, text in stale:
            atomic_write(path, text)
            print(f"wrote {shown(path)}")
        if not stale:
            print("up to date: " + ", ".join(shown(path) for path, _ in targets))
        return 0
    except ReportError as error:
        print(f"report.py: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
