"""The tables of a speed run: speed.py's record in, one :class:`table.Tables` out (standard library only).

The record holds ``jobs`` (the whole job against OIDN), ``apply`` (the network alone), ``psnr_t_by_scene`` (the
same denoisers' quality), ``memory``, ``seams``, ``render_pairs``, ``exr_write`` and ``train``; the first table,
the job, is the one README.md shows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from table import Cell, Provenance, Table, Tables


def job_table(record: dict) -> Table:
    """The job a user runs, each denoiser in a fresh process, against OIDN; training and 4K memory in a note."""
    rows = tuple((r["denoiser"], r["frames"], r["seconds"], r["ratio_vs_oidn_high"]) for r in record["jobs"])
    rounds = sorted({r["rounds"] for r in record["jobs"] if "rounds" in r})
    train = ", ".join(f"{r['device']} {r['precision']} {r['crops_per_second']:.1f}" for r in record["train"])
    memory = ", ".join(f"{m['precision']} {m['peak_rss_gib']:.2f} GiB" for m in record["memory"])
    notes = (f"Each the median of {' or '.join(map(str, rounds))} rounds.",) if rounds else ()
    notes += (f"Training, 128x128 crops, batch 8, crops/s: {train}. Peak memory of `apply` at 3840x2160: {memory}.",)
    return Table(
        "The job: read, denoise and write back 1920x1080 frames with all their channels (ZIP), a fresh process",
        ("denoiser", "frames", "s", "time vs OIDN 2.5 high"),
        rows,
        ("", "", "{:.2f}", "{:.2f}x"),
        notes,
    )


def apply_table(record: dict) -> Table:
    """apply's network alone on one frame against OIDN, with each denoiser's PSNR_T on the quality benchmark's frames."""
    by_scene = record.get("psnr_t_by_scene", {})
    scenes = sorted(by_scene)
    megapixels = record["apply"][0]["seconds"] / record["apply"][0]["seconds_per_mp"]
    rows = []
    for r in record["apply"]:
        scores = [by_scene[s].get(r["denoiser"]) for s in scenes]
        mean = (None if None in scores else statistics.fmean(scores),) if scenes else ()
        rows.append((r["denoiser"], r["seconds"], r["seconds_per_mp"], r["ratio_vs_oidn_high"], *scores, *mean))
    columns = ("denoiser", "s", "s/MP", "time vs OIDN 2.5 high", *scenes, *((f"mean of {len(scenes)}",) if scenes else ()))
    title = f"apply: the network alone on one {megapixels:.2f} MP frame (median of 5 warm runs)"
    title += ", and PSNR_T in dB on the quality benchmark's cached box-track test frames" if scenes else ""
    return Table(title, columns, tuple(rows), ("", "{:.2f}", "{:.2f}", "{:.2f}x", *("{:.2f}",) * (len(columns) - 4)))


def render_pairs_table(runs: Sequence[dict], title: str = "render-pairs: one pair with its features and EXR writing") -> Table:
    """Seconds of one render-pairs pair against two plain renders, per run."""
    rows: list[tuple[Cell, ...]] = []
    for r in runs:
        low, high = r["ratio_range"]
        row = (r["variant"], r["pixels"], r["rounds"], r["pairs"], r["pair_seconds"], r["two_plain_renders_seconds"], r["ratio"])
        rows.append((*row, f"{low:.2f}-{high:.2f}x", r.get("feature_pass_share"), r.get("ratio_without_replay")))
    columns = ("variant", "pixels", "rounds", "pairs", "pair s", "two plain renders s", "ratio, median of rounds", "range")
    columns += ("feature pass, share of two plain renders", "ratio without replaying render calls")
    formats = ("", "", "", "", "{:.3f}", "{:.3f}", "{:.2f}x", "", "{:.1%}", "{:.2f}x")
    return Table(f"{title}, against two plain renders", columns, tuple(rows), formats)


def speed_tables(record: dict, provenance: Provenance) -> Tables:
    """Every table of a speed run; the job's first, where the record has it."""
    tables = [job_table(record)] if record.get("jobs") else []
    tables.append(apply_table(record))
    memory = tuple((m["size"], m["precision"], m["tile"], m["peak_rss_gib"]) for m in record["memory"])
    tables.append(Table("Peak memory of `apply`", ("frame", "precision", "tile", "peak RSS, GiB"), memory, ("", "", "", "{:.2f}")))
    seams = tuple((s["size"], s["precision"], s["tile"], s["overlap"], s["max_abs_difference"]) for s in record["seams"])
    columns = ("frame", "precision", "tile", "overlap", "max abs difference")
    tables.append(Table("Seams: max |tiled − untiled|", columns, seams, ("", "", "", "", "{:.2e}")))
    tables.append(render_pairs_table(record["render_pairs"]))
    writes = tuple((r["compression"], 1000 * r["seconds"], r["bytes"] / 1024) for r in record["exr_write"])
    tables.append(Table("EXR write, 256x256, 10 channels", ("compression", "ms", "KiB"), writes, ("", "{:.1f}", "{:.0f}")))
    train = tuple((r["device"], r["card"], r["precision"], r["crops_per_second"]) for r in record["train"])
    tables.append(Table("Training, 128x128 crops, batch 8", ("device", "card", "precision", "crops/s"), train, ("", "", "", "{:.1f}")))
    return Tables("Speed", provenance, tuple(tables))
