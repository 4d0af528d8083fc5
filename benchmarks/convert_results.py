"""One-off: the result files of benchmarks/results/ as table files (benchmarks/table.py), nothing measured again.

    python benchmarks/convert_results.py

Each run's raw file is read and its tables are made by the same functions the benchmarks now call at the end of a
run (quality_tables, speed_tables, and the tables() of sequence.py, gpu.py, scale.py, demo.py, blender_speed.py);
the machine, date and command come from the file's own fields, else from the first line of the .md file the run
wrote beside it (``Title, MACHINE, YYYY-MM-DD (`COMMAND`), note``), as the old report.py read them. Each table file
goes where the benchmark, run with that folder as --out, would write it: FOLDER/tables/NAME.json.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import blender_quality  # noqa: E402
import blender_speed  # noqa: E402
import demo  # noqa: E402
import gpu  # noqa: E402
import scale  # noqa: E402
import sequence  # noqa: E402
from quality_tables import quality_tables  # noqa: E402
from speed_tables import render_pairs_table, speed_tables  # noqa: E402
from table import Provenance, Table, Tables, atomic_write, to_json  # noqa: E402

RESULTS = HERE / "results"
HEADER_LINE = re.compile(r"^(?P<title>[^,]+), (?P<machine>.+), (?P<date>\d{4}-\d{2}-\d{2}) \(`(?P<command>[^`]+)`\)(?P<note>.*)$")


def header(path: Path) -> dict[str, str]:
    """Machine, date, command and note from the first line of a benchmark's .md file; empty if there is none."""
    md = path.with_suffix(".md")
    if not md.is_file():
        return {}
    match = HEADER_LINE.match(md.read_text(encoding="utf-8").splitlines()[0].strip())
    if not match:
        return {}
    fields = match.groupdict()
    fields["note"] = fields["note"].lstrip(",. ").strip()
    return fields


def provenance(path: Path, data: object, table_dir: Path, extra: tuple[str, ...] = ()) -> tuple[Provenance, tuple[str, ...]]:
    """The provenance of a raw file (its fields first, then its .md header) and the header's note."""
    fields = header(path)
    own = data if isinstance(data, dict) else {}
    machine = own.get("machine") or own.get("card") or fields.get("machine") or "machine not recorded"
    date = own.get("date") or fields.get("date") or "date not recorded"
    command = own.get("command") or fields.get("command") or "command not recorded"
    sources = [path] + ([path.with_suffix(".md")] if fields else []) + [path.parent / e for e in extra]
    relative = tuple(_rel(s, table_dir) for s in sources)
    return Provenance(machine, date, (command,), relative), ((fields["note"],) if fields.get("note") else ())


def _rel(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()


#: The plain renders' relMSE curves written so far, by their rows: the runs that rendered the same test views.
CURVES: dict[tuple, str] = {}


def without_repeated_curve(name: str, tables: Tables) -> Tables:
    """tables without a curve table that an earlier run's holds to the digit (the same renders), with a note that
    says where it is."""
    kept, notes = [], list(tables.notes)
    for table in tables.tables:
        if table.title.startswith("relMSE of plain renders"):
            if (table.columns, table.rows) in CURVES:
                earlier = CURVES[(table.columns, table.rows)]
                notes.append(f"The relMSE of plain renders of the test views is that of `{earlier}`: the same renders.")
                continue
            CURVES[(table.columns, table.rows)] = name
        kept.append(table)
    return Tables(tables.title, tables.provenance, tuple(kept), tuple(notes), tables.figures)


def write(folder: Path, name: str, tables: Tables) -> None:
    """FOLDER/tables/NAME.json."""
    tables = without_repeated_curve(name, tables)
    path = folder / "tables" / f"{name}.json"
    atomic_write(path, json.dumps(to_json(tables), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)}")


def figures(folder: Path, pattern: str, table_dir: Path) -> tuple[str, ...]:
    return tuple(_rel(p, table_dir) for p in sorted(folder.glob(pattern)))


def quality_run(path: Path, name: str, title: str, pattern: str | None, **more) -> None:
    """One quality.py output file as its run's tables."""
    folder = path.parent
    data = json.loads(path.read_text())
    records = data["records"] if isinstance(data, dict) else data
    prov, notes = provenance(path, data, folder / "tables")
    crops = figures(folder, pattern, folder / "tables") if pattern else ()
    write(folder, name, quality_tables(records, title, prov, notes, crops, **more))


def headline() -> None:
    """The five runs of four pairs per view (one scene each, results/pairs/): one run of the README's loop."""
    folder = RESULTS / "pairs"
    paths = sorted(folder.glob("*-p4.json"))
    runs = [(json.loads(p.read_text()), p) for p in paths]
    runs.sort(key=lambda run: run[0][0]["scene"])
    records = [r for data, _ in runs for r in data]
    fields = [header(p) for _, p in runs]
    dates = sorted({f["date"] for f in fields})
    sources = tuple(s for _, p in runs for s in (_rel(p, folder / "tables"), _rel(p.with_suffix(".md"), folder / "tables")))
    prov = Provenance(
        "; ".join(sorted({f["machine"] for f in fields})),
        dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        tuple(f["command"] for f in fields),
        sources,
    )
    notes = tuple(dict.fromkeys(f["note"] for f in fields if f["note"]))
    notes += ("Five runs of one scene each, at the same settings but N2C (on glass and the normal map only).",)
    crops = figures(folder, "*.png", folder / "tables")
    title = "Quality, box track, 4 pairs per view: the loop the README recommends"
    write(folder, "headline", quality_tables(records, title, prov, notes, crops))


def _both(row: dict | None, equivalent: bool = False) -> str | None:
    if row is None:
        return None
    text = f"{row['psnr_t']:.2f} / {row['rel_mse']:.4f}"
    return text + (" / —" if row["spp_equivalent"] is None else f" / {row['spp_equivalent']:.1f}x") * equivalent


def comparison(name: str, folder: Path, title: str, paths: list[Path], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """A table made once from several runs' files, which no benchmark writes again."""
    fields = [header(p) for p in paths]
    dates = sorted({f["date"] for f in fields})
    prov = Provenance(
        "; ".join(sorted({f["machine"] for f in fields})),
        dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        tuple(dict.fromkeys(f["command"] for f in fields)),
        tuple(_rel(p, folder / "tables") for p in paths),
    )
    note = "Made once from these runs' files by the conversion of the results to tables (issue 37); no benchmark writes it again."
    write(folder, name, Tables(title, prov, (Table(title, columns, tuple(rows)),), (note,)))


def by_pairs() -> None:
    """base + 10 min with 1 pair per view (quality.json) against each pairs/ run, PSNR_T dB / relMSE."""
    main, one = "base + 10 min", {r["scene"]: r for r in json.loads((RESULTS / "quality.json").read_text())}
    paths = sorted((RESULTS / "pairs").glob("*.json"))
    runs = [(p, json.loads(p.read_text())) for p in paths]
    rows = []
    for scene in sorted({r["scene"] for _, data in runs for r in data}):
        base = one.get(scene, {}).get("rows", {}).get(main)
        row = [scene, _both(base)]
        for _, data in runs:
            other = next((r["rows"].get(main) for r in data if r["scene"] == scene), None)
            row.append(None if other is None else f"{_both(other)} ({other['psnr_t'] - base['psnr_t']:+.2f} dB)")
        rows.append(tuple(row))
    counts = [(p.stem, data[0]["train_pairs"]) for p, data in runs]
    columns = ("scene", "quality.json, 1 pair", *(f"{stem}, {n} pair{'s' * (n > 1)} (− 1 pair)" for stem, n in counts))
    title = f"{main} by pairs per view, PSNR_T dB / relMSE"
    comparison("quality-by-pairs", RESULTS / "pairs", title, [RESULTS / "quality.json", *paths], columns, rows)


def split_against_plain() -> None:
    """OIDN, base + 10 min without the split (pairs/, 4 pairs), with it, and with it in 8 orientations."""
    main, split = "base + 10 min", json.loads((RESULTS / "split" / "quality.json").read_text())
    plain = {r["scene"]: r for p in sorted((RESULTS / "pairs").glob("*-p4.json")) for r in json.loads(p.read_text())}
    variants = [n for n in split[0]["rows"] if n.startswith(main + ", ")]
    rows = []
    for record in sorted(split, key=lambda r: r["scene"]):
        row = [record["scene"], _both(record["rows"]["OIDN 2.5"], True), _both(plain[record["scene"]]["rows"].get(main), True)]
        rows.append((*row, _both(record["rows"][main], True), *(_both(record["rows"][v], True) for v in variants)))
    columns = ("scene", "OIDN 2.5", f"{main}, no split (pairs/)", f"{main}, split", *(f"{v}, split" for v in variants))
    paths = [RESULTS / "split" / "quality.json", *sorted((RESULTS / "pairs").glob("*-p4.json"))]
    title = "With and without the emission split, PSNR_T dB / relMSE / spp-equivalent"
    comparison("split-against-plain", RESULTS / "split", title, paths, columns, rows)


def main() -> None:
    quality_run(RESULTS / "quality.json", "quality", "Quality, box track, one pair per view", "crops/*_box.png")
    headline()
    title = "Quality, scene's-own-filter track, one pair per view"
    quality_run(RESULTS / "quality-scene-track.json", "quality-scene-track", title, "crops/*_scene.png")
    title = "Quality, box track, glass, one pair per view again (against its 4 pairs)"
    quality_run(RESULTS / "pairs" / "glass-p1.json", "quality-glass-p1", title, None)
    quality_run(RESULTS / "prior" / "quality.json", "prior", "The OIDN prior and adapting to the frame (issue 20)", "crops/*.png")
    quality_run(
        RESULTS / "blender" / "quality.json",
        "blender",
        "Blender: Cycles scenes (issue 21)",
        None,
        summary_rows=blender_quality.SUMMARY_ROWS,
    )
    quality_run(RESULTS / "split" / "quality.json", "split", "Quality with the emission split, box track, 4 pairs per view", "crops/*.png")
    quality_run(RESULTS / "split-n2c" / "quality.json", "split-n2c", "N2C with the emission split", None)
    quality_run(RESULTS / "split-n2c" / "veach-rerun.json", "split-n2c-veach-rerun", "N2C with the emission split, veach again", None)
    by_pairs()
    split_against_plain()

    path = RESULTS / "sequence" / "sequence.json"
    data = json.loads(path.read_text())
    write(path.parent, "sequence", sequence.tables(data["records"], data["settled"]))

    tables_dir = RESULTS / "tables"
    path = RESULTS / "speed.json"
    data = json.loads(path.read_text())
    prov, notes = provenance(path, data, tables_dir)
    write(RESULTS, "speed", speed_tables(data, prov))
    for variant in ("cuda", "llvm"):
        path = RESULTS / f"render_pairs_{variant}.json"
        data = json.loads(path.read_text())
        prov, notes = provenance(path, data, tables_dir)
        table = render_pairs_table(data["runs"], f"render-pairs on {prov.machine}")
        write(RESULTS, f"render-pairs-{variant}", Tables(f"render-pairs, {variant} reruns of speed.py's measure", prov, (table,), notes))

    path = RESULTS / "gpu.json"
    data = json.loads(path.read_text())
    prov, notes = provenance(path, data, tables_dir, ("gpu_profile.txt", "gpu_train_profile.txt"))
    write(RESULTS, "gpu", gpu.tables(data, prov))

    path = RESULTS / "demo.json"
    data = json.loads(path.read_text())
    prov, _ = provenance(path, data, tables_dir)
    prov = Provenance(prov.machine, prov.date, (f"python benchmarks/demo.py --minutes {data['train_minutes']:g}",), prov.source)
    tables = demo.tables(data, prov)
    note = "demo.json records no command; this one is built from its train_minutes."
    write(RESULTS, "demo", Tables(tables.title, tables.provenance, tables.tables, (note,)))

    path = RESULTS / "scale.json"
    data = json.loads(path.read_text())
    prov, _ = provenance(path, data, tables_dir)
    write(RESULTS, "scale", scale.tables(data, prov))

    path = RESULTS / "blender_speed.json"
    data = json.loads(path.read_text())
    prov, _ = provenance(path, data, tables_dir)
    write(RESULTS, "blender-speed", blender_speed.tables(data, prov))


if __name__ == "__main__":
    main()
