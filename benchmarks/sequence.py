"""Benchmark: sequences (issue 22), learning online while they render, and flicker.

    python benchmarks/sequence.py                                   # two shared scenes, still and orbit, 60 frames
    python benchmarks/sequence.py --scenes mitsuba_cbox --frames 20 --pixels 16384 --offline-minutes 2

For each scene (../shared/scenes) and camera (a still camera with new seeds every frame, and an orbit),
``--frames`` frames at about ``--pixels`` pixels, box filter, each frame rendered as two halves of
``--spp`` each (``mcdenoise live`` renders them; the benchmark's input is the two merged). The still
camera's one reference scores every frame; a moving camera's frames are scored every
``--reference-every`` frames and at the last, since each reference is a 2048 spp render
(``--reference-every 1`` scores them all). Rows, all on the same frames, in the same run:
- noisy: the two halves merged;
- OIDN 2.5: the merged frame with its albedo and normal;
- base: the bundled base model on the merged frame;
- offline N min: the base fine-tuned ``--offline-minutes`` on render-pairs of the scene
  (32 views x 4 pairs), then as the base;
- live: ``mcdenoise live`` from the base, ``--budget-per-frame`` seconds of training a frame
  (or ``--steps-per-frame`` steps, which make the run repeatable on any machine);
- live + temporal, OIDN + temporal: those outputs blended along the sequence as ``apply --sequence``
  does, with each frame's noise from its two halves (:class:`mcdenoise.denoise.temporal.TemporalFilter`);
  live + temporal is what ``live --temporal`` writes (tests/test_live.py).

Metrics: PSNR_T of each scored frame against its reference (a curve) and their mean from
``--settled`` on; flicker (BENCHMARK.md) of the frames from ``--settled`` on: still camera, the mean
over pixels of the temporal standard deviation of T(frame); moving camera, the same of T(frame) -
T(previous frame warped by the motion), over the pixels in view (beside the references' own when
every frame has one); live's seconds per frame spent rendering, preparing each pair for training
(with OIDN as the prior, OIDN on each half), training and denoising.

Writes OUT/sequence.json, its tables OUT/tables/sequence.json (benchmarks/table.py; README's sequence block
shows the first) and OUT/sequence.md (records of other scenes and cameras from earlier runs
are kept, so the scenes can be run one at a time), and per scene and camera OUT/SCENE-CAMERA.png
(the curves) and OUT/SCENE-CAMERA.gif (a crop of every frame: noisy | OIDN | live + temporal |
reference). ``--only-references`` renders the references alone first, so that nothing timed shares
the machine with them.
"""

import argparse
import datetime
import json
import statistics
import sys
from pathlib import Path

import numpy as np
from table import Provenance, Table, Tables, write_tables

from mcdenoise.config import CameraPath, LiveConfig, PairJob, TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.preview import side_by_side
from mcdenoise.denoise.temporal import TemporalFilter, noise_variance
from mcdenoise.features import ALBEDO, COLOR, MOTION, NORMAL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.learn.train import train
from mcdenoise.live import denoised_name, run_live
from mcdenoise.metrics import psnr_t, still_flicker
from mcdenoise.render.job import render_pairs
from mcdenoise.reprojection import warp_previous
from mcdenoise.tonemap import tonemap_np

HERE = Path(__file__).parent
SCENES = HERE.parent.parent / "shared" / "scenes"
CAMERAS = {"still": CameraPath("still"), "orbit": CameraPath("orbit", degrees=30.0)}
SEED, TRAIN_SEED = 3, 1


def moving_flicker(frames: list[np.ndarray], motions: list[np.ndarray]) -> float:
    """Flicker of a moving camera's sequence: per pixel, the temporal standard deviation of
    T(frame t) - T(frame t-1 warped into t by frame t's motion (H, W, 2)), where the previous frame
    saw it; the mean over pixels."""
    differences, masks = [], []
    for t in range(1, len(frames)):
        warped, inside = warp_previous(frames[t - 1], motions[t][..., 0], motions[t][..., 1])
        differences.append(tonemap_np(frames[t].astype(np.float64)) - tonemap_np(warped.astype(np.float64)))
        masks.append(np.repeat(inside[..., None], 3, axis=-1))
    values = np.ma.masked_array(np.stack(differences), mask=~np.stack(masks))
    return float(values.std(axis=0).mean())


def sequence_flicker(frames: list[np.ndarray], motions: list[np.ndarray], still: bool) -> float:
    """BENCHMARK.md's flicker of ``frames``: :func:`still_flicker` for a still camera, else :func:`moving_flicker`
    with each frame's motion."""
    return still_flicker(frames) if still else moving_flicker(frames, motions)


def blended(outputs: list[np.ndarray], halves) -> list[np.ndarray]:
    """``outputs`` blended along the sequence by the temporal filter, with the frames' motion and features
    and the noise that each frame's two halves measure, as ``live --temporal`` blends."""
    blend = TemporalFilter()
    return [blend(output, a, noise=noise_variance(a.stack(COLOR), b.stack(COLOR))) for output, (a, b) in zip(outputs, halves, strict=True)]


def offline_model(scene: Path, args) -> Path:
    """The base fine-tuned --offline-minutes on render-pairs of the scene (cached)."""
    folder = args.cache / f"{scene.name}-{args.pixels}px"
    model = folder / f"offline-{args.offline_minutes:g}min.pt"
    if not model.is_file():
        render_pairs(scene / "scene.xml", folder / "pairs", PairJob(pixels=args.pixels, seed=TRAIN_SEED), show_progress=True)
        train([folder / "pairs"], model, TrainConfig(minutes=args.offline_minutes, init="base"), restart=True, show_progress=True)
    return model


def reference_frames(camera: str, args) -> list[int]:
    """The frames scored against a reference: every one for the still camera (whose one reference
    serves them all); for a moving camera every ``--reference-every``-th and the last, since each of
    its references costs a 2048 spp render (minutes at 256x256 on 2 cores)."""
    if camera == "still":
        return list(range(args.frames))
    return sorted(set(range(0, args.frames, args.reference_every)) | {args.frames - 1})


def references(scene: Path, camera: str, args) -> dict[int, np.ndarray]:
    """The reference of each scored frame (rendered once, cached)."""
    folder = args.cache / f"{scene.name}-{args.pixels}px" / f"{camera}-{args.frames}" / "references"
    still, scored = camera == "still", reference_frames(camera, args)
    job = PairJob(
        views=1 if still else args.frames, pairs=1, spp=1, pixels=args.pixels, seed=SEED + 100, path=CAMERAS[camera],
        reference_spp=args.reference_spp,
    )  # fmt: skip
    render_pairs(scene / "scene.xml", folder, job, show_progress=True, views=[0] if still else scored)
    return {t: read_exr(folder / frame_name(0 if still else t, None, "ref")).stack(COLOR) for t in scored}


def evaluate(scene: Path, camera: str, args, offline: Path) -> dict:
    """Every row of one scene and camera: PSNR_T of each scored frame, flicker, live's times."""
    refs = references(scene, camera, args)
    folder = args.cache / f"{scene.name}-{args.pixels}px" / f"{camera}-{args.frames}"
    job = PairJob(views=args.frames, pairs=1, spp=args.spp, pixels=args.pixels, seed=SEED, path=CAMERAS[camera])
    live_dir = folder / f"live-{args.budget_per_frame:g}s-{args.steps_per_frame}steps"
    config = LiveConfig(budget_per_frame=args.budget_per_frame, steps_per_frame=args.steps_per_frame)
    record = run_live(scene / "scene.xml", live_dir, job, config, show_progress=True)  # a finished run is read back
    still = camera == "still"
    halves = [[read_exr(live_dir / frame_name(t, 0, side)) for side in "ab"] for t in range(args.frames)]
    merged = [(a.stack(COLOR) + b.stack(COLOR)) / 2 for a, b in halves]
    rows = {"noisy": merged}
    rows["OIDN 2.5"] = [oidn_denoise(m, a.stack(ALBEDO), a.stack(NORMAL)) for m, (a, _) in zip(merged, halves, strict=True)]
    base = Denoiser.load("base", device="cpu")
    rows["base"] = [base.denoise_merged(a, b) for a, b in halves]
    tuned = Denoiser.load(offline, device="cpu")
    rows[f"offline {args.offline_minutes:g} min"] = [tuned.denoise_merged(a, b) for a, b in halves]
    rows["live"] = [read_exr(live_dir / denoised_name(t)).stack(COLOR) for t in range(args.frames)]
    firsts = [a for a, _ in halves]
    rows["live + temporal"] = blended(rows["live"], halves)
    rows["OIDN 2.5 + temporal"] = blended(rows["OIDN 2.5"], halves)
    motions = [a.stack(MOTION) for a in firsts]
    settled = slice(min(args.settled, args.frames - 2), None)
    scored_settled = [t for t in refs if t >= settled.start]

    def flicker(frames: list[np.ndarray]) -> float:  # of the settled frames
        return sequence_flicker(frames[settled], motions[settled], still)

    every_reference = still or len(refs) == args.frames
    result = {
        "scene": scene.name,
        "camera": camera,
        "machine": cpu_model(),
        "date": datetime.date.today().isoformat(),
        "command": args.command,
        "size": list(merged[0].shape[:2]),
        "frames": args.frames,
        "scored_frames": list(refs),
        "live_seconds": round(sum(sum(v for k, v in f.items() if k.endswith("_seconds")) for f in record["frames"].values()), 1),
        "reference_flicker": None if still or not every_reference else round(flicker([refs[t] for t in range(args.frames)]), 6),
        "live_seconds_per_frame": {
            key: round(statistics.fmean(f[key] for f in record["frames"].values()), 4)
            for key in ("render_seconds", "prepare_seconds", "train_seconds", "denoise_seconds")
        },
        "live_steps_per_frame": round(statistics.fmean(f["steps"] for f in record["frames"].values()), 2),
        "rows": {},
    }
    for name, outputs in rows.items():
        curve = {t: round(psnr_t(outputs[t], refs[t]), 3) for t in refs}
        result["rows"][name] = {
            "psnr_t": curve,
            "psnr_t_settled": round(statistics.fmean(curve[t] for t in scored_settled), 3),
            "flicker": round(flicker(outputs), 6),
        }
    live, oidn = result["rows"]["live"]["psnr_t"], result["rows"]["OIDN 2.5"]["psnr_t"]
    result["live_below_oidn"] = [t for t in scored_settled if live[t] < oidn[t]]  # the target: none
    write_pictures(args.out / f"{scene.name}-{camera}", result, rows, refs)
    return result


def write_pictures(stem: Path, result: dict, rows: dict, refs: dict[int, np.ndarray]) -> None:
    """The PSNR_T curves (PNG) and a crop of every frame, noisy | OIDN | live + temporal | reference (GIF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    marker = "o" if len(refs) < result["frames"] else None  # a moving camera's scored frames only
    for name, row in result["rows"].items():
        if name != "noisy":  # some 15 dB below the rest: it would flatten their differences
            axes.plot(list(row["psnr_t"]), list(row["psnr_t"].values()), label=name, linewidth=1.2, marker=marker, markersize=3)
    axes.set_xlabel("frame")
    axes.set_ylabel("PSNR_T, dB")
    noisy = result["rows"]["noisy"]["psnr_t_settled"]
    axes.set_title(f"{result['scene']}, {result['camera']} camera, {result['size'][1]}x{result['size'][0]} (noisy: {noisy:.1f} dB)")
    axes.legend(fontsize=7, loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(stem.with_suffix(".png"))
    plt.close(figure)
    height, width = refs[0].shape[:2]
    side = min(height, width, 64)  # 60 frames of four noisy-looking panels compress poorly: keep the GIF small
    y, x = (height - side) // 2, (width - side) // 2
    pictures = []
    for t in range(result["frames"]):  # a moving camera's frames without a reference show the last one before
        reference = refs[max(f for f in refs if f <= t)]
        panels = [rows[n][t][y : y + side, x : x + side] for n in ("noisy", "OIDN 2.5", "live + temporal")] + [
            reference[y : y + side, x : x + side]
        ]
        image = np.clip(side_by_side(panels), 0, 1) ** (1 / 2.2)
        pictures.append(Image.fromarray((image * 255 + 0.5).astype(np.uint8)))
    pictures[0].save(stem.with_suffix(".gif"), save_all=True, append_images=pictures[1:], duration=100, loop=0)


#: The rows of the summary table (the README's): the peer, live, and live blended along the sequence.
SUMMARY_ROWS = ("OIDN 2.5", "live", "live + temporal")


def _both(row: dict) -> str:
    return f"{row['psnr_t_settled']:.2f} / {row['flicker']:.4f}"


def summary_table(records: list[dict], settled: int) -> Table:
    """Per scene and camera: PSNR_T from the settled frame on / flicker of SUMMARY_ROWS, the flicker of live + temporal
    as a share of OIDN's, live's frames below OIDN's, and live's seconds a frame."""
    columns = [name for name in SUMMARY_ROWS if all(name in r["rows"] for r in records)]
    rows = []
    for r in records:
        oidn, blended = r["rows"].get("OIDN 2.5"), r["rows"].get("live + temporal")
        share = blended["flicker"] / oidn["flicker"] if blended and oidn else None
        below, scored = r.get("live_below_oidn"), [t for t in r.get("scored_frames", []) if t >= settled]
        times = ", ".join(f"{v:.2f}" for v in r["live_seconds_per_frame"].values())
        cells = (*(_both(r["rows"][n]) for n in columns), share, None if below is None else f"{len(below)} of {len(scored)}", times)
        rows.append((r["scene"], r["camera"], *cells))
    parts = ", ".join(k.removesuffix("_seconds") for k in records[0]["live_seconds_per_frame"])
    header = ("scene", "camera", *columns, "flicker, live + temporal / OIDN", "live frames below OIDN", f"live s/frame: {parts}")
    title = f"PSNR_T in dB (the mean of the scored frames from frame {settled} on) / flicker (BENCHMARK.md)"
    return Table(title, header, tuple(rows), ("", "", *("",) * len(columns), "{:.2f}x", "", ""))


def tables(records: list[dict], settled: int) -> Tables:
    """The run's tables: the summary (the README's), then every row with the references' flicker and live's steps,
    with the curves and crops of each scene and camera as figures."""
    names = list(records[0]["rows"])
    rows = []
    for r in records:
        steps = r.get("live_steps_per_frame")
        rows.append((r["scene"], r["camera"], *(_both(r["rows"][n]) for n in names), r.get("reference_flicker"), steps))
    every = Table(
        f"Every row, PSNR_T in dB from frame {settled} on / flicker",
        ("scene", "camera", *names, "reference flicker", "live steps a frame"),
        tuple(rows),
        ("", "", *("",) * len(names), "{:.4f}", "{:g}"),
    )
    dates = sorted({r["date"] for r in records})
    provenance = Provenance(
        "; ".join(sorted({r["machine"] for r in records})),
        dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        tuple(sorted({r["command"] for r in records})),
        ("../sequence.json",),
    )
    figures = tuple(f"../{r['scene']}-{r['camera']}{suffix}" for r in records for suffix in (".png", ".gif"))
    notes = ("Figures: the PSNR_T of each scored frame (PNG); a crop of every frame, noisy | OIDN | live + temporal | reference (GIF).",)
    return Tables("Sequences: live training and temporal reuse", provenance, (summary_table(records, settled), every), notes, figures)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=["mitsuba_cbox", "mitsuba_docs_normalmap"])
    parser.add_argument("--cameras", nargs="+", default=list(CAMERAS), choices=list(CAMERAS))
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--spp", type=int, default=2, help="spp of each half (the frame has twice this)")
    parser.add_argument("--budget-per-frame", type=float, default=2.0, help="live's training seconds a frame")
    parser.add_argument("--steps-per-frame", type=int, default=0, help="live's training steps a frame (0: no limit, the seconds bound it)")
    parser.add_argument("--offline-minutes", type=float, default=10.0)
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--reference-every", type=int, default=15, help="a moving camera's frames scored: every N-th, and the last")
    parser.add_argument("--only-references", action="store_true", help="render the references and stop (nothing timed runs)")
    parser.add_argument("--settled", type=int, default=30, help="the frame from which the mean PSNR_T and flicker are taken")
    parser.add_argument("--cache", type=Path, default=HERE / "cache" / "sequence")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sequence")
    args = parser.parse_args(argv)
    args.command = ("python benchmarks/sequence.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()
    if args.only_references:
        for name in args.scenes:
            for camera in args.cameras:
                references(SCENES / name, camera, args)
        return []
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "sequence.json"
    # Records of other scenes and cameras, from earlier runs, stay: a run may cover some of them.
    records = json.loads(results.read_text())["records"] if results.is_file() else []
    for name in args.scenes:
        scene = SCENES / name
        offline = offline_model(scene, args)
        for camera in args.cameras:
            record = evaluate(scene, camera, args, offline)
            records = [r for r in records if (r["scene"], r["camera"]) != (name, camera)] + [record]
            results.write_text(json.dumps({"settled": args.settled, "records": records}, indent=1))
            write_tables(args.out, "sequence", tables(records, args.settled))
    return records


if __name__ == "__main__":
    main()
