"""Benchmark: the loop on a renderer that mcdenoise has no code for, LuxCoreRender (issue 38).

    python benchmarks/foreign_renderer.py                      # renders (cached), 3 min x 2 priors, scores
    python benchmarks/foreign_renderer.py --minutes 1 --priors none

A LuxCore user's files, through the ``mcdenoise`` command line alone. benchmarks/luxcore_frames.py
renders a room built in code with pyluxcore (in a process of its own: pyluxcore cannot share one
with torch), as separate EXR files per film output (``NAME.exr`` the linear RGB, ``NAME_albedo.exr``,
``NAME_normal.exr``, ``NAME_depth.exr``):

- training pairs: ``--views`` moved cameras x ``--pairs`` pairs at ``--spp``, two seeds a pair,
  listed in ``pairs.json`` with each frame an object of its files (``{"color": ..., "albedo": ...}``);
- the test frame: the scene's own camera (never among the training views) at ``--spp``, and its
  reference at ``--reference-spp`` (cached with the other frames below ``--cache``);
- a pair rendered twice with one seed, and the test frame rendered with its color output alone.

Then, each a ``mcdenoise`` command in a subprocess (the commands are recorded): ``train`` for
``--minutes`` from the bundled base of each of ``--priors``; ``apply`` of each model, of OIDN
(``--route oidn``) and of the untrained base on the test frame with ``--albedo``/``--normal``
patterns; ``eval --json`` of each against the reference; ``train`` on the one-seed pair (which
must be refused: exit status 1, one line on stderr); and ``apply`` of the color-only frame with
no model (its route and score). Scene, spp, views and budget were fixed before any score of the
test camera was seen; nothing is chosen by it.

Writes OUT/foreign.json (the raw record: machine, date, command, load, renders, every command and
its output), OUT/runs.json (every run's load, steps and scores), OUT/foreign.png (the held-out
frame: noisy, OIDN, colour-only apply, the best model, the reference) and the run's tables
OUT/tables/foreign.json with OUT/foreign.md (benchmarks/table.py).
"""

import argparse
import datetime
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from table import Provenance, Table, Tables, atomic_write, write_tables

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RENDERER = HERE / "luxcore_frames.py"
#: Seeds of luxcore_frames.py's runs: the training pairs, the test frame (and its color-only copy), the one-seed pair.
TRAIN_SEED, TEST_SEED, SAME_SEED = 1, 2, 3
#: Feature files as luxcore_frames.py names them beside each color file, as apply's patterns.
PATTERNS = ["--albedo", "{frame}_albedo.exr", "--normal", "{frame}_normal.exr"]
TARGET_DB = 1.0
#: In OUT: a summary of every run, appended by each.
RUNS = "runs.json"
#: Rows of the peers: OIDN given the frame's features, and apply on the frame's colour alone with no model.
OIDN, COLOUR_ONLY = "OIDN 2.5, albedo + normal", "apply, colour only, no model"


def shown(path: Path) -> str:
    """A path relative to the repository (the commands' working folder) when inside it."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def slug(label: str) -> str:
    """A row's label as a file name: ``base-oidn + 3 min`` -> ``base-oidn_3_min``."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", label).strip("_")


def run(argv: list, log: list, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command at low priority from the repository's root, record it in ``log``; raise if ``check`` and it fails."""
    argv = [shown(a) if isinstance(a, Path) else str(a) for a in argv]
    start = time.perf_counter()
    done = subprocess.run(["nice", "-n", "5", *argv], cwd=ROOT, capture_output=True, text=True)
    seconds = round(time.perf_counter() - start, 1)
    text = shlex.join("python" if a == sys.executable else a for a in argv)
    log.append({"command": text, "exit": done.returncode, "seconds": seconds, "stdout": done.stdout[-2000:], "stderr": done.stderr[-2000:]})
    print(f"[{seconds:6.1f} s, exit {done.returncode}] {text}", flush=True)
    if check and done.returncode != 0:
        raise SystemExit(f"foreign_renderer.py: {text} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def render(out: Path, args, log: list, *flags) -> dict:
    """Run luxcore_frames.py into ``out`` with the run's film settings and ``flags``; its JSON record."""
    common = ["--size", args.size, "--filter", args.filter, "--threads", args.threads]
    done = run([sys.executable, RENDERER, "--out", out, *common, *flags], log)
    return json.loads(done.stdout.strip().splitlines()[-1])


def frame_files(record: dict, name: str) -> dict:
    """The files of frame ``name`` in a luxcore_frames.py record, by output."""
    return next(frame["files"] for frame in record["frames"] if frame["name"] == name)


def write_pairs(folder: Path, record: dict) -> Path:
    """``pairs.json`` in ``folder``: each pair of the record, each frame an object of its separate files."""
    entries = []
    for frame in record["frames"]:
        if frame["name"].endswith("_a"):
            stem = frame["name"][: -len("_a")]
            entries.append({"a": frame["files"], "b": frame_files(record, f"{stem}_b"), "view": frame["view"]})
    path = folder / "pairs.json"
    atomic_write(path, json.dumps(entries, indent=1) + "\n")
    return path


def score(frame: Path, reference: Path, log: list) -> dict:
    """``mcdenoise eval FRAME --ref REFERENCE --json``."""
    return json.loads(run(["mcdenoise", "eval", frame, "--ref", reference, "--json"], log).stdout)


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` gives them."""
    text = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    return text.split("load average:")[-1].strip()


def machine() -> str:
    """The CPU model, as ``lscpu`` names it, and the cores this process may use."""
    text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Model name")), "unknown CPU")
    return f"{model}, {len(os.sched_getaffinity(0))} cores"


def spp_text(record: dict, name: str) -> str:
    """A frame's samples per pixel as rendered: the mean and range of its SAMPLECOUNT."""
    frame = next(f for f in record["frames"] if f["name"] == name)
    counts = frame.get("samples_per_pixel")
    return f"{counts['mean']:.2f} ({counts['min']} to {counts['max']})" if counts else "(kept from an earlier run)"


def evaluate(args) -> dict:
    """Render (or reuse) the frames, run the commands, and return the run's record."""
    root = args.cache / f"luxcore-{args.size}px-{args.spp}spp-{args.filter}"
    folders = {name: root / name for name in ("train", "test", "same", "colour", "outputs")}
    folders["outputs"].mkdir(parents=True, exist_ok=True)
    log: list = []
    spp = ["--spp", args.spp]
    renders = {
        "train": render(folders["train"], args, log, "--views", args.views, "--pairs", args.pairs, *spp, "--seed", TRAIN_SEED),
        "test": render(
            folders["test"], args, log, "--main-camera", "--pairs", 1, *spp, "--seed", TEST_SEED, "--reference-spp", args.reference_spp
        ),
        "same": render(folders["same"], args, log, "--main-camera", "--pairs", 1, *spp, "--seed", SAME_SEED, "--same-seed"),
        "colour": render(folders["colour"], args, log, "--main-camera", "--pairs", 1, *spp, "--seed", TEST_SEED, "--outputs", "color"),
    }
    write_pairs(folders["train"], renders["train"])
    write_pairs(folders["same"], renders["same"])
    noisy, reference = folders["test"] / "main_p0_a.exr", folders["test"] / "main_ref.exr"
    rows = {f"noisy {args.spp} spp": {**score(noisy, reference, log), "spp": spp_text(renders["test"], "main_p0_a")}}

    def apply(label: str, *flags) -> None:
        out = folders["outputs"] / f"{slug(label)}.exr"
        done = run(["mcdenoise", "apply", noisy, "-o", out, *flags, *PATTERNS], log)
        seconds = log[-1]["seconds"]
        rows[label] = {**score(out, reference, log), "apply_seconds": seconds, "note": done.stdout.strip(), "output": shown(out)}

    apply(OIDN, "--route", "oidn")
    apply("base, no training", "--model", "base")
    loads = {}
    for prior in args.priors:
        label = ("base" if prior == "none" else f"base-{prior}") + f" + {args.minutes:g} min"
        model = root / "models" / f"{slug(label)}.pt"
        model.parent.mkdir(parents=True, exist_ok=True)
        before = load()
        done = run(["mcdenoise", "train", folders["train"], "--out", model, "--minutes", args.minutes, "--prior", prior, "--restart"], log)
        loads[label] = {"before": before, "after": load()}
        found = re.search(r"(\d+) steps in (\d+) s", done.stdout)
        trained = {"steps": int(found[1]), "train_seconds": int(found[2])} if found else {"train_line": done.stdout.strip()[-300:]}
        apply(label, "--model", model)
        rows[label].update(trained)

    refusal = run(["mcdenoise", "train", folders["same"], "--out", root / "models" / "same_seed.pt", "--steps", 20], log, check=False)
    colour_in, colour_out = folders["colour"] / "main_p0_a.exr", folders["outputs"] / "colour_only.exr"
    colour = run(["mcdenoise", "apply", colour_in, "-o", colour_out], log)
    rows[COLOUR_ONLY] = {**score(colour_out, reference, log), "note": colour.stdout.strip(), "output": shown(colour_out)}
    return {
        "noisy": shown(noisy),
        "reference": shown(reference),
        "renderer": renders["test"]["renderer"],
        "filter": args.filter,
        "size": [args.size, args.size],
        "spp": args.spp,
        "reference_spp": args.reference_spp,
        "train_pairs": args.views * args.pairs,
        "renders": renders,
        "rows": rows,
        "load": loads,
        "same_seed_train": {
            "exit": refusal.returncode,
            "stderr": refusal.stderr.strip(),
            "stderr_lines": len(refusal.stderr.strip().splitlines()),
        },
        "commands": log,
    }


def tables_of(record: dict, provenance: Provenance, runs: list) -> Tables:
    """The run's tables: the test frame's scores, and what the commands said of the one-seed pair and the
    color-only frame."""
    rows, oidn, colour = record["rows"], record["rows"][OIDN], record["rows"][COLOUR_ONLY]
    route = re.search(r"\((.+?):", colour["note"])
    quality = []
    for label, row in rows.items():
        peer = label in (OIDN, COLOUR_ONLY) or label.startswith("noisy")
        against = (None, None) if peer else (row["psnr_t"] - oidn["psnr_t"], row["rel_mse"] / oidn["rel_mse"])
        shown_label = f"{label}: {route[1]}" if label == COLOUR_ONLY and route else label
        colour_gap = None if peer else row["psnr_t"] - colour["psnr_t"]
        quality.append((shown_label, row["psnr_t"], row["rel_mse"], *against, colour_gap, row.get("steps")))
    same = record["same_seed_train"]
    checks = [
        ("train on a pair rendered twice with one seed", same["exit"], same["stderr"]),
        ("apply on the color-only frame, no model", 0, colour["note"]),
    ]
    best = best_model(rows)
    b = rows[best]
    loads = "; ".join(f"{label}: {v['before']} before, {v['after']} after" for label, v in record["load"].items())
    frames = {f["name"]: f for f in record["renders"]["test"]["frames"]}
    spp = rows[f"noisy {record['spp']} spp"]["spp"]
    reference_seconds = frames["main_ref"].get("seconds")
    notes = (
        f"On the held-out camera, {best} ({b['steps']} steps) is {b['psnr_t'] - oidn['psnr_t']:+.2f} dB PSNR_T at "
        f"{b['rel_mse'] / oidn['rel_mse']:.2f}x the relMSE of OIDN 2.5 given LuxCore's albedo and normal (the target: +1 dB), "
        f"and {b['psnr_t'] - colour['psnr_t']:+.2f} dB at {b['rel_mse'] / colour['rel_mse']:.2f}x the relMSE of "
        "what `apply` gives the frame without its features (OIDN on the colour alone).",
        f"{record['renderer']}, {record['size'][0]}x{record['size'][1]}, film filter {record['filter']} (LuxCore's "
        "default; LuxCore samples the filter and adds each sample to one pixel, so the noise stays independent between "
        f"pixels). {record['train_pairs']} training pairs at {record['spp']} spp from moved cameras, listed in pairs.json "
        "with each frame an object of separate files (NAME.exr, NAME_albedo.exr, NAME_normal.exr, NAME_depth.exr); the "
        f"scene's own camera held out at {record['spp']} spp (samples per pixel as rendered: {spp}) against "
        f"{record['reference_spp']} spp ({reference_seconds} s to render).",
        "By default LuxCore's ALBEDO and AVG_SHADING_NORMAL follow reflections off smooth surfaces "
        "(path.albedospecular.type), so on the glossy blue sphere they are as noisy as the colour at "
        f"{record['spp']} spp; OIDN takes its features as clean and does better here on the colour alone. "
        "The models learn from such features as they are.",
        "Scene, spp, views, pairs, filter and budget were fixed before the held-out camera was scored; nothing was chosen by it.",
        f"Load averages (1, 5, 15 min) around each training, on cores shared with other jobs: {loads}.",
        f"The figure: the noisy frame, OIDN 2.5 with albedo and normal, `apply` on the colour alone, {best}, the "
        "reference (linear colour clamped at 1).",
    )
    return Tables(
        "A renderer with no code in mcdenoise: LuxCoreRender (issue 38)",
        provenance,
        (
            Table(
                f"The held-out camera's {record['spp']} spp frame against its {record['reference_spp']} spp reference",
                (
                    "denoiser",
                    "PSNR_T, dB",
                    "relMSE",
                    "PSNR_T − OIDN 2.5, dB",
                    "relMSE ÷ OIDN 2.5",
                    "PSNR_T − colour only, dB",
                    "train steps",
                ),
                tuple(quality),
                ("", "{:.2f}", "{:.4f}", "{:+.2f}", "{:.2f}x", "{:+.2f}", ""),
            ),
            Table("What the commands say", ("check", "exit status", "what it printed"), tuple(checks), ("", "", "")),
            runs_table(runs),
        ),
        notes,
        ("../foreign.png",),
    )


def run_summary(record: dict) -> dict:
    """What the runs' history keeps of a run: when, the load, and each row's steps and scores."""
    rows = {label: {k: row.get(k) for k in ("psnr_t", "rel_mse", "steps")} for label, row in record["rows"].items()}
    return {"started": record.get("started", record["date"]), "machine": record["machine"], "load": record["load"], "rows": rows}


def runs_table(runs: list) -> Table:
    """Every run of the benchmark in OUT/runs.json: each trained model's steps and PSNR_T − OIDN 2.5, by the load."""
    labels = [label for label, row in runs[-1]["rows"].items() if row.get("steps") is not None]
    columns = ["run started", "load (1 min) before each training"]
    for label in labels:
        columns += [f"{label}: steps", f"{label} − OIDN 2.5, dB"]
    rows = []
    for run in runs:
        oidn = run["rows"][OIDN]["psnr_t"]
        loads = ", ".join(load["before"].split(",")[0] for load in run["load"].values())
        cells: list = [f"{run['started']} ({run['machine']})", loads]
        for label in labels:
            row = run["rows"].get(label, {})
            cells += [row.get("steps"), None if row.get("psnr_t") is None else row["psnr_t"] - oidn]
        rows.append(tuple(cells))
    formats = ("", "") + ("", "{:+.2f}") * len(labels)
    note = (
        "Training reaches far fewer steps in its minutes when other jobs share the 2 cores. Every run is listed; the "
        "first table is the last run's."
    )
    return Table("Every run of this benchmark, by the load it met", tuple(columns), tuple(rows), formats, (note,))


def best_model(rows: dict) -> str:
    """The label of the trained model with the highest PSNR_T."""
    trained = {label: row for label, row in rows.items() if "steps" in row}
    return max(trained, key=lambda label: trained[label]["psnr_t"])


def write_figure(record: dict, path: Path) -> None:
    """The noisy held-out frame, OIDN, colour-only apply, the best model and the reference, side by side."""
    from mcdenoise.denoise.preview import side_by_side, write_png
    from mcdenoise.features import COLOR
    from mcdenoise.io.exr import read_exr

    rows = record["rows"]
    files = [record["noisy"], rows[OIDN]["output"], rows[COLOUR_ONLY]["output"], rows[best_model(rows)]["output"], record["reference"]]
    write_png(path, side_by_side([read_exr(ROOT / file).stack(COLOR) for file in files]))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget of each model")
    parser.add_argument("--priors", nargs="+", default=["none", "oidn"], choices=["none", "oidn"], help="the bases to fine-tune, by prior")
    parser.add_argument("--views", type=int, default=8, help="training views (moved cameras)")
    parser.add_argument("--pairs", type=int, default=2, help="training pairs per view")
    parser.add_argument("--spp", type=int, default=4, help="samples per pixel of the training and test frames")
    parser.add_argument("--reference-spp", type=int, default=4096)
    parser.add_argument("--size", type=int, default=128, help="frame width and height")
    parser.add_argument("--filter", default="BLACKMANHARRIS", help="LuxCore's film.filter.type")
    parser.add_argument("--threads", type=int, default=0, help="LuxCore's native.threads.count (0: every core)")
    parser.add_argument("--cache", type=Path, default=HERE / "cache" / "foreign")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "foreign")
    args = parser.parse_args(argv)
    command = "python benchmarks/foreign_renderer.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "machine": machine(), "command": command.strip()}
    meta["started"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    record = {**meta, **evaluate(args)}
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "foreign.json", json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    history = args.out / RUNS
    runs = json.loads(history.read_text()) if history.is_file() else []
    runs.append(run_summary(record))
    atomic_write(history, json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    write_figure(record, args.out / "foreign.png")
    write_tables(args.out, "foreign", tables_of(record, Provenance.of(meta, "../foreign.json", f"../{RUNS}"), runs))
    best = max(v["psnr_t"] for k, v in record["rows"].items() if " min" in k) - record["rows"][OIDN]["psnr_t"]
    print(f"best {args.minutes:g}-minute model − OIDN 2.5: {best:+.2f} dB PSNR_T (target +{TARGET_DB:g} dB)")
    return record


if __name__ == "__main__":
    main()
