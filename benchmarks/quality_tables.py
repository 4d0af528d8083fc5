"""The tables of a quality run: quality.py's and blender_quality.py's scene records in, one :class:`table.Tables` out.

A scene record is ``{"scene", "track", "rows": {ROW: {"psnr_t", "rel_mse", "spp_equivalent", "smape", "flip",
["steps", "seconds", "reused"]}}, ["size", "render_seconds", "train_pairs", "raw_rel_mse", "held_out",
"split_emission", "emission_spp"]}``. The main row is the base's longest fine-tune (``base + 10 min``), what
mcdenoise's loop gives. Per track: a summary (the README's kind of table), each metric with its mean over scenes,
the main row's PSNR_T against the others, each base row against OIDN, the training steps, the frames and the
plain renders' relMSE by spp. Standard library only.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import replace

from table import Cell, Provenance, Table, Tables

#: Metrics of a row: key, title, format, whether a mean over scenes is shown.
METRICS = (
    ("psnr_t", "PSNR_T, dB", "{:.2f}", True),
    ("rel_mse", "relMSE", "{:.4f}", True),
    ("spp_equivalent", "spp-equivalent: the plain render's spp that matches the row's relMSE, over the input's", "{:.1f}x", False),
    ("smape", "SMAPE", "{:.4f}", True),
    ("flip", "HDR FLIP", "{:.4f}", True),
)
BASE_ROW = re.compile(r"^base \+ (?P<budget>\d+(?:\.\d+)?) (?:min|steps)$")
PRIOR_BASE_ROW = re.compile(r"^base-oidn \+ (?P<budget>\d+(?:\.\d+)?) (?:min|steps)$")
N2N_ROW = re.compile(r"^N2N (?P<budget>\d+(?:\.\d+)?) (?:min|steps)$")


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


def longest(names: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    """The name matching pattern with the largest budget."""
    found = [(float(m["budget"]), name) for name in names if (m := pattern.match(name))]
    return max(found)[1] if found else None


def first_row(names: Iterable[str], prefix: str) -> str | None:
    """The first row name starting with prefix ('noisy ' is the input, 'OIDN ' the comparison)."""
    return next((name for name in names if name.startswith(prefix)), None)


def value(record: dict, row: str | None, key: str) -> float | None:
    """One metric of one row of a record; None if the row is not there."""
    return record["rows"].get(row, {}).get(key) if row else None


def _mean(values: Sequence[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else statistics.fmean(values)


def _has_mean(records: Sequence[dict]) -> bool:
    scenes = [r["scene"] for r in records]
    return len(records) > 1 and len(set(scenes)) == len(scenes)


def metric_table(records: Sequence[dict], names: Sequence[str], key: str, title: str, spec: str, with_mean: bool) -> Table | None:
    """Scenes as rows, quality rows as columns, one metric; a mean row where scenes are unique."""
    columns = [n for n in names if any(value(r, n, key) is not None for r in records)]
    if not columns:
        return None
    rows: list[tuple[Cell, ...]] = [(r["scene"], *(value(r, n, key) for n in columns)) for r in records]
    if with_mean and _has_mean(records):
        rows.append((f"mean of {len(records)}", *(_mean([value(r, n, key) for r in records]) for n in columns)))
    return Table(title, ("scene", *columns), tuple(rows), ("", *(spec,) * len(columns)))


def _delta(record: dict, a: str, b: str) -> float | None:
    x, y = value(record, a, "psnr_t"), value(record, b, "psnr_t")
    return None if x is None or y is None else x - y


def verdict(records: Sequence[dict], main: str | None, oidn: str | None) -> tuple[str, ...]:
    """How often the main row beats OIDN, in PSNR_T and relMSE, with both mean relMSEs."""
    if not main or not oidn or not records or len({r["scene"] for r in records}) != len(records):
        return ()
    if any(value(r, row, "psnr_t") is None for r in records for row in (main, oidn)):
        return ()
    n = len(records)
    psnr = sum(value(r, main, "psnr_t") > value(r, oidn, "psnr_t") for r in records)
    rel = sum(value(r, main, "rel_mse") < value(r, oidn, "rel_mse") for r in records)
    means = [statistics.fmean(value(r, row, "rel_mse") for r in records) for row in (main, oidn)]
    return (
        f"{main} is ahead of {oidn} in PSNR_T on {psnr} of {n} scenes and has the lower relMSE on {rel} of {n} "
        f"(mean relMSE {means[0]:.4f} against {means[1]:.4f}).",
    )


def summary_table(records: Sequence[dict], names: Sequence[str], wanted: Sequence[str] | None = None) -> Table | None:
    """PSNR_T of the input, OIDN, the base and the main row (or ``wanted``), the main row's gain over OIDN, and the
    mean PSNR_T and relMSE of each."""
    noisy, oidn, main = first_row(names, "noisy "), first_row(names, "OIDN "), longest(names, BASE_ROW)
    columns = [c for c in (wanted or (noisy, oidn, "base", main)) if c and c in names]
    if not records or not main or not columns:
        return None
    gain = (f"{main} − {oidn}",) if oidn else ()
    rows: list[tuple[Cell, ...]] = []
    for r in records:
        rows.append((r["scene"], *(value(r, c, "psnr_t") for c in columns), *((_delta(r, main, oidn),) if oidn else ())))
    if _has_mean(records):
        means = [_mean([value(r, c, "psnr_t") for r in records]) for c in columns]
        rows.append((f"mean of {len(records)}", *means, *((_mean([_delta(r, main, oidn) for r in records]),) if oidn else ())))
        relative = [_mean([value(r, c, "rel_mse") for r in records]) for c in columns]
        rows.append(("mean relMSE", *(None if v is None else f"{v:.4f}" for v in relative), *((None,) if oidn else ())))
    formats = ("", *("{:.2f}",) * len(columns), *(("{:+.2f}",) if oidn else ()))
    title = "PSNR_T in dB on each scene's 4 spp test frame, and the mean relMSE"
    return Table(title, ("scene", *columns, *gain), tuple(rows), formats, verdict(records, main, oidn))


def differences_table(records: Sequence[dict], names: Sequence[str]) -> Table | None:
    """PSNR_T of the main row minus each other row's, scene by scene."""
    main = longest(names, BASE_ROW)
    if main is None:
        return None
    others = [n for n in names if n.startswith(("noisy ", "OIDN ", "N2N ", "N2C ")) or n == "base"]
    others = [n for n in others if not (n.startswith("noisy ") and n != first_row(names, "noisy "))]
    pairs = [(main, n) for n in others] + [(n, main) for n in names if n.startswith(main + ", ")]
    pairs = [(a, b) for a, b in pairs if any(_delta(r, a, b) is not None for r in records)]
    if not pairs:
        return None
    rows = tuple((r["scene"], *(_delta(r, a, b) for a, b in pairs)) for r in records)
    columns = ("scene", *(f"{a} − {b}" for a, b in pairs))
    return Table("PSNR_T differences, dB", columns, rows, ("", *("{:+.2f}",) * len(pairs)))


def against_oidn_table(records: Sequence[dict], names: Sequence[str]) -> Table | None:
    """PSNR_T of each base row minus OIDN's, where the run has the base that corrects OIDN (``base-oidn``)."""
    oidn = first_row(names, "OIDN ")
    columns = [n for n in names if n.startswith("base")]
    if not oidn or not any(n.startswith("base-oidn") for n in columns):
        return None
    rows = tuple((r["scene"] + (" (held out)" if r.get("held_out") else ""), *(_delta(r, c, oidn) for c in columns)) for r in records)
    title = (
        f"PSNR_T − {oidn}, dB, of each base row: base-oidn corrects OIDN's output; halves: the test frame as two halves "
        "at half the spp each; adapt: fine-tuned on those two halves alone"
    )
    return Table(title, ("scene", *columns), rows, ("", *("{:+.2f}",) * len(columns)))


def training_table(records: Sequence[dict], names: Sequence[str]) -> Table | None:
    """Steps and seconds of every trained row; 'reused' marks a model loaded from an earlier run's cache."""
    columns = [n for n in names if any("steps" in r["rows"].get(n, {}) for r in records)]
    if not columns:
        return None

    def cell(record: dict, name: str) -> str | None:
        row = record["rows"].get(name, {})
        if "steps" not in row:
            return None
        return f"{row['steps']:.0f} steps, {row.get('seconds', float('nan')):.1f} s" + (", reused" if row.get("reused") else "")

    return Table("Training: steps in the budget", ("scene", *columns), tuple((r["scene"], *(cell(r, n) for n in columns)) for r in records))


def frames_table(records: Sequence[dict]) -> Table:
    """Size, render time (a cache hit is fast), pairs per view and the emission pass of each record."""
    split = any(r.get("split_emission") for r in records)
    rows = []
    for r in records:
        size = r.get("size")
        row: tuple[Cell, ...] = (r["scene"], f"{size[1]:.0f}x{size[0]:.0f}" if size else None, r.get("render_seconds"))
        rows.append((*row, r.get("train_pairs", 1), *((r.get("emission_spp"),) if split else ())))
    columns = ("scene", "width x height", "render s", "pairs per view", *(("emission pass spp",) if split else ()))
    return Table("Frames", columns, tuple(rows), ("", "", "{:.1f}", "{:.0f}", *(("{:.0f}",) if split else ())))


def curve_table(records: Sequence[dict]) -> Table | None:
    """relMSE of the plain renders of the test view by spp (what spp-equivalent interpolates)."""
    spps = sorted({int(k) for r in records for k in r.get("raw_rel_mse", {})})
    if not spps:
        return None
    rows = tuple((r["scene"], *(r.get("raw_rel_mse", {}).get(str(s)) for s in spps)) for r in records)
    columns = ("scene", *(f"{s} spp" for s in spps))
    return Table("relMSE of plain renders of the test view, by spp", columns, rows, ("", *("{:.4f}",) * len(spps)))


def crop_panels(names: Sequence[str]) -> list[str]:
    """The panels quality.py puts in a crops image, left to right, for these rows."""
    order = [first_row(names, "noisy "), first_row(names, "OIDN "), longest(names, N2N_ROW)]
    order += [longest(names, BASE_ROW) or ("base" if "base" in names else None)]
    order += [longest(names, PRIOR_BASE_ROW) or ("base-oidn" if "base-oidn" in names else None)]
    order += [n for n in names if n.startswith("N2C ")]
    return [n for n in order if n] + ["reference"]


def held_out_table(records: Sequence[dict], names: Sequence[str]) -> Table | None:
    """The scenes kept out of all tuning, the only proof against OIDN: PSNR_T and relMSE of OIDN and of each
    fine-tuned base row, scene by scene, with the PSNR_T gain over OIDN."""
    oidn = first_row(names, "OIDN ")
    trained = [n for n in names if BASE_ROW.match(n) or PRIOR_BASE_ROW.match(n)]
    held_out = [r for r in records if r.get("held_out")]
    if not oidn or not trained or not held_out:
        return None
    rows: list[tuple[Cell, ...]] = []
    for r in held_out:
        for n in (oidn, *trained):
            gain = None if n == oidn else _delta(r, n, oidn)
            rows.append((r["scene"], n, value(r, n, "psnr_t"), value(r, n, "rel_mse"), gain))
    columns = ("scene", "denoiser", "PSNR_T, dB", "relMSE", f"PSNR_T − {oidn}, dB")
    return Table("Scenes kept out of all tuning", columns, tuple(rows), ("", "", "{:.2f}", "{:.4f}", "{:+.2f}"))


def track_tables(records: Sequence[dict], summary_rows: Sequence[str] | None = None) -> list[Table]:
    """Every table of one track's records (sorted by scene); scenes kept out of tuning first, where there are any."""
    records = sorted(records, key=lambda r: r["scene"])
    names = merge_order(list(r["rows"]) for r in records)
    tables = [held_out_table(records, names), summary_table(records, names, summary_rows)]
    tables += [metric_table(records, names, *metric) for metric in METRICS[:3]]
    tables += [differences_table(records, names), against_oidn_table(records, names)]
    tables += [metric_table(records, names, *metric) for metric in METRICS[3:]]
    tables += [training_table(records, names), frames_table(records), curve_table(records)]
    return [t for t in tables if t is not None]


def quality_tables(
    records: Sequence[dict],
    title: str,
    provenance: Provenance,
    notes: Sequence[str] = (),
    figures: Sequence[str] = (),
    summary_rows: Sequence[str] | None = None,
) -> Tables:
    """A quality run's tables, track by track (titled by track where there are several); with ``figures``, a note
    that names the panels of its crops."""
    tracks = list(dict.fromkeys(r["track"] for r in records))
    tables = []
    for track in tracks:
        for table in track_tables([r for r in records if r["track"] == track], summary_rows):
            tables.append(replace(table, title=f"{track} track: {table.title}") if len(tracks) > 1 else table)
    panels = crop_panels(merge_order(list(r["rows"]) for r in records))
    crops = (f"Crops: the centre of each test frame, left to right: {' | '.join(panels)}.",) if figures else ()
    return Tables(title, provenance, tuple(tables), (*notes, *crops), tuple(figures))
