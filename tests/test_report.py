"""benchmarks/report.py and the tables' format (benchmarks/table.py): a run's tables render into the results page
and README's blocks, --check says when they are stale, a malformed file fails in one line, and the committed page
and README blocks are those the committed tables give."""

import json
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import report  # noqa: E402
from quality_tables import quality_tables  # noqa: E402
from table import Provenance, Table, TableError, Tables, from_json, read_tables, to_json, write_tables  # noqa: E402

README = """# Project

<!-- results:demo -->
old text
<!-- /results:demo -->

Prose stays.
"""


def _run(tmp_path, name="demo"):
    table = Table("Scores", ("row", "PSNR_T, dB", "ratio"), (("noisy", 25.3012, 1), ("denoised", None, 0.5)), ("", "{:.2f}", "{:.1f}x"))
    provenance = Provenance("AMD EPYC 7B13, 2 cores", "2026-12-06", ("python benchmarks/demo.py",), ("../demo.json",))
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "demo.json").write_text("{}")
    return write_tables(tmp_path, name, Tables("Demo", provenance, (table,), ("A note.",), ("../demo.png",)))


def _report(tmp_path, *more):
    return report.main(["--results", str(tmp_path), "--doc", str(tmp_path / "results.md"), "--readme", str(tmp_path / "README.md"), *more])


def test_a_run_renders_into_the_page_and_its_readme_block(tmp_path, capsys):
    path = _run(tmp_path)
    assert read_tables(path) == from_json(to_json(read_tables(path)), "again")
    (tmp_path / "README.md").write_text(README)
    assert _report(tmp_path, "--check") == 1
    assert _report(tmp_path) == 0
    page, readme = (tmp_path / "results.md").read_text(), (tmp_path / "README.md").read_text()
    assert "| noisy | 25.30 | 1.0x |" in page and "| denoised | — | 0.5x |" in page
    assert "AMD EPYC 7B13, 2 cores, 2026-12-06, `python benchmarks/demo.py`; from [demo.json](demo.json)" in page
    assert "[tables/demo.json](tables/demo.json)" in page and "![demo](demo.png)" in page and "A note." in page
    assert "old text" not in readme and "| noisy | 25.30 | 1.0x |" in readme and readme.endswith("Prose stays.\n")
    assert "All of it: [results.md](results.md#demo)." in readme
    assert _report(tmp_path, "--check") == 0
    (tmp_path / "results.md").write_text("edited by hand\n")
    assert _report(tmp_path, "--check") == 1
    assert "results.md is stale" in capsys.readouterr().err


def test_a_one_line_block_is_the_runs_first_note_with_its_provenance(tmp_path):
    _run(tmp_path)
    (tmp_path / "README.md").write_text(README.replace("results:demo", "results:demo:line"))
    assert _report(tmp_path) == 0
    readme = (tmp_path / "README.md").read_text()
    assert "\nA note. (AMD EPYC 7B13, 2 cores, 2026-12-06; [results.md](results.md#demo))\n" in readme and "| noisy |" not in readme
    assert _report(tmp_path, "--check") == 0


def test_a_block_without_its_run_says_so(tmp_path):
    _run(tmp_path, name="other")
    (tmp_path / "README.md").write_text(README)
    assert _report(tmp_path) == 0
    assert "(No demo result yet.)" in (tmp_path / "README.md").read_text()


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not valid JSON"),
        ('{"title": "t", "provenance": {"machine": "m", "date": "d", "command": "c"}, "tables": []}', "'tables' is not a non-empty list"),
        (
            '{"title": "t", "provenance": {"machine": "m", "date": "d", "command": "c"},'
            ' "tables": [{"title": "x", "columns": ["a", "b"], "rows": [[1]]}]}',
            "row 0: not a list of 2 numbers",
        ),
    ],
)
def test_a_malformed_table_file_fails_in_one_line_naming_it(tmp_path, capsys, content, message):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "bad.json").write_text(content)
    assert _report(tmp_path) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "bad.json" in error and message in error
    with pytest.raises(TableError):
        read_tables(tmp_path / "tables" / "bad.json")


def test_two_runs_of_one_name_are_refused(tmp_path, capsys):
    _run(tmp_path)
    _run(tmp_path / "again")
    assert _report(tmp_path) == 1
    assert "a second run named 'demo'" in capsys.readouterr().err


def test_a_quality_run_gives_its_summary_first():
    rows = {"noisy 4 spp": 20.0, "OIDN 2.5": 30.0, "base": 28.0, "base + 2 min": 31.5}
    records = [
        {"scene": s, "track": "box", "rows": {n: {"psnr_t": v + i, "rel_mse": 0.01, "spp_equivalent": None, "smape": 0.1, "flip": None}
                                              for n, v in rows.items()}}
        for i, s in enumerate(("b_scene", "a_scene"))
    ]  # fmt: skip
    tables = quality_tables(records, "Quality", Provenance("m", "d", ("c",)))
    summary = tables.tables[0]
    assert summary.columns == ("scene", *rows, "base + 2 min − OIDN 2.5")
    assert [r[0] for r in summary.rows] == ["a_scene", "b_scene", "mean of 2", "mean relMSE"]
    assert summary.rows[2][1:] == (20.5, 30.5, 28.5, 32.0, 1.5)
    assert "ahead of OIDN 2.5 in PSNR_T on 2 of 2 scenes" in summary.notes[0]


def test_the_committed_page_and_readme_blocks_are_those_of_the_committed_tables():
    done = subprocess.run([sys.executable, "benchmarks/report.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = {p.stem for p in (REPO / "benchmarks" / "results").rglob("tables/*.json")}
    assert {"headline", "blender", "sequence", "speed", "scale"} <= names
    assert json.loads((REPO / "benchmarks" / "results" / "tables" / "speed.json").read_text())["provenance"]["machine"]
