"""The one format of the benchmarks' tables: what a run measured, as columns and rows, with its provenance.

Each product benchmark writes its run as OUT/tables/NAME.json (:func:`write_tables`), one object:

    {"title": "Speed", "provenance": {"machine": "AMD EPYC 7B13, 2 cores", "date": "2026-12-05",
     "command": "python benchmarks/speed.py", "source": ["../speed.json"]},
     "notes": ["..."], "figures": ["../crops/x.png"],
     "tables": [{"title": "...", "columns": ["denoiser", "s"], "formats": ["", "{:.2f}"],
                 "rows": [["OIDN 2.5 high", 23.66]], "notes": ["..."]}]}

- ``provenance``: the machine (the CPU model and cores, or the GPU), the date (or a span of dates), the command (or a
  list of commands) that produced the figures, and ``source``, the raw result files it wrote;
- ``source`` and ``figures`` are paths relative to the table file's folder, so a run's folder can be moved whole;
- a cell is a number, a string (written as it is) or null (a dash); ``formats`` has a ``str.format`` pattern per
  column for its numbers (empty: integers as they are, other numbers with 4 significant digits).

``python benchmarks/report.py`` renders every such file into docs/results.md and README.md's blocks; a run's own
summary (OUT/NAME.md) is the same markdown (:func:`markdown`). Standard library only.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Cell = int | float | str | None
DASH = "—"


class TableError(Exception):
    """A table file that cannot be read or does not hold the format; the message names the file."""


@dataclass(frozen=True)
class Provenance:
    """Where a run's figures come from."""

    machine: str
    date: str
    command: tuple[str, ...]
    source: tuple[str, ...] = ()

    @classmethod
    def now(cls, machine: str, command: str, source: Sequence[str] = ()) -> Provenance:
        """The provenance of a run made today on ``machine`` by ``command``."""
        return cls(machine, datetime.date.today().isoformat(), (command,), tuple(source))

    @classmethod
    def of(cls, record: dict, *source: str) -> Provenance:
        """The provenance a raw record holds in its fields ``machine``, ``date`` and ``command``."""
        return cls(record["machine"], record["date"], (record["command"],), source)


@dataclass(frozen=True)
class Table:
    """One table: a title, its columns, its rows and notes under it."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    formats: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def markdown(self) -> list[str]:
        """The table as markdown lines, its notes below it."""
        patterns = self.formats or ("",) * len(self.columns)
        lines = ["| " + " | ".join(_escape(c) for c in self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(cell_text(v, p) for v, p in zip(row, patterns, strict=True)) + " |" for row in self.rows]
        return lines + [""] + [line for note in self.notes for line in (note, "")]


@dataclass(frozen=True)
class Tables:
    """What one run of a benchmark writes: its tables, their provenance, notes and figures."""

    title: str
    provenance: Provenance
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()


def cell_text(value: Cell, pattern: str = "") -> str:
    """A cell as markdown: null as a dash, a string as it is, a number by ``pattern``."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return _escape(value)
    if pattern:
        return pattern.format(value)
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def commands_text(provenance: Provenance) -> str:
    """The commands of a run in backticks, separated by semicolons."""
    return "; ".join(f"`{command}`" for command in provenance.command)


def markdown(tables: Tables, link: Callable[[str], str], level: int = 2) -> list[str]:
    """A run as markdown: a heading at ``level``, its provenance, notes, tables and figures. ``link`` maps a
    path of the file (relative to its folder) to a path relative to the page being written."""
    sources = ", ".join(f"[{Path(s).name}]({link(s)})" for s in tables.provenance.source)
    lines = ["#" * level + f" {tables.title}", ""]
    lines += [f"{tables.provenance.machine}, {tables.provenance.date}, {commands_text(tables.provenance)}"]
    lines[-1] += f"; from {sources}." if sources else "."
    lines += [""] + [line for note in tables.notes for line in (note, "")]
    for table in tables.tables:
        lines += ["#" * (level + 1) + f" {table.title}", "", *table.markdown()]
    lines += [line for figure in tables.figures for line in (f"![{Path(figure).stem}]({link(figure)})", "")]
    return lines


# ---------------------------------------------------------------- JSON


def to_json(tables: Tables) -> dict[str, Any]:
    """The JSON object of a run's tables."""
    provenance = tables.provenance
    command: str | list[str] = provenance.command[0] if len(provenance.command) == 1 else list(provenance.command)
    return {
        "title": tables.title,
        "provenance": {"machine": provenance.machine, "date": provenance.date, "command": command, "source": list(provenance.source)},
        "notes": list(tables.notes),
        "figures": list(tables.figures),
        "tables": [
            {"title": t.title, "columns": list(t.columns), "formats": list(t.formats), "rows": [list(r) for r in t.rows]}
            | ({"notes": list(t.notes)} if t.notes else {})
            for t in tables.tables
        ],
    }


def _text(data: dict, key: str, where: str) -> str:
    if not isinstance(data.get(key), str):
        raise TableError(f"{where}: '{key}' is not a string")
    return data[key]


def _texts(data: dict, key: str, where: str, single: bool = False) -> tuple[str, ...]:
    value = data.get(key, [])
    if single and isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TableError(f"{where}: '{key}' is not a list of strings")
    return tuple(value)


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise TableError(f"{where}: not an object")
    return value


def _table(data: Any, where: str) -> Table:
    data = _object(data, where)
    columns = _texts(data, "columns", where)
    formats = _texts(data, "formats", where)
    if not columns or (formats and len(formats) != len(columns)):
        raise TableError(f"{where}: needs columns, and a format for each column or none")
    rows = data.get("rows")
    if not isinstance(rows, list):
        raise TableError(f"{where}: 'rows' is not a list")
    for index, row in enumerate(rows):
        cells_ok = isinstance(row, list) and all(v is None or (isinstance(v, int | float | str) and not isinstance(v, bool)) for v in row)
        if not cells_ok or len(row) != len(columns):
            raise TableError(f"{where}, row {index}: not a list of {len(columns)} numbers, strings or nulls")
    return Table(_text(data, "title", where), columns, tuple(tuple(r) for r in rows), formats, _texts(data, "notes", where))


def from_json(data: Any, where: str) -> Tables:
    """A run's tables from their JSON object, checked; a TableError naming ``where`` otherwise."""
    data = _object(data, where)
    raw = _object(data.get("provenance"), f"{where}: provenance")
    provenance = Provenance(
        _text(raw, "machine", f"{where}: provenance"),
        _text(raw, "date", f"{where}: provenance"),
        _texts(raw, "command", f"{where}: provenance", single=True),
        _texts(raw, "source", f"{where}: provenance"),
    )
    tables = data.get("tables")
    if not isinstance(tables, list) or not tables:
        raise TableError(f"{where}: 'tables' is not a non-empty list")
    parsed = tuple(_table(t, f"{where}: table {i}") for i, t in enumerate(tables))
    return Tables(_text(data, "title", where), provenance, parsed, _texts(data, "notes", where), _texts(data, "figures", where))


def read_tables(path: Path) -> Tables:
    """A table file, checked; a one-line TableError naming it otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise TableError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TableError(f"{path}: cannot be read ({error})") from None
    return from_json(data, str(path))


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


def write_tables(out: Path, name: str, tables: Tables) -> Path:
    """Write a run's tables as OUT/tables/NAME.json and their markdown as OUT/NAME.md, both atomically; print the
    markdown; return the JSON file's path."""
    path = out / "tables" / f"{name}.json"
    atomic_write(path, json.dumps(to_json(tables), indent=1, ensure_ascii=False) + "\n")
    lines = markdown(tables, lambda p: Path(os.path.relpath((path.parent / p).resolve(), out.resolve())).as_posix(), level=1)
    atomic_write(out / f"{name}.md", "\n".join(lines).rstrip() + "\n")
    print("\n".join(lines), flush=True)
    return path


def source_of(out: Path, *names: str) -> tuple[str, ...]:
    """Raw result files in OUT, as a table file in OUT/tables names them."""
    return tuple(f"../{name}" for name in names if (out / name).exists())
