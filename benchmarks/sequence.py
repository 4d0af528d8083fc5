"""Benchmark: sequences (issue 22), learning online while they render, and flicker.

    python benchmarks/sequence.py                                   # two shared scenes, still and orbit, 60 frames
    python benchmarks/sequence.py --scenes mitsuba_cbox --frames 20 --pixels 16384 --offline-minutes 2

For each scene (../shared/scenes) and camera (a still camera with new seeds every frame, and an orbit),
``--frames`` frames at about ``--pixels`` pixels, box filter, each frame rendered as two halves of
``--spp`` each (``mcdenoise live`` renders them; the benchmark's input is the two merged), against a
reference of every frame (one for the still camera). Rows, all on the same frames, in the same run:
- noisy: the two halves merged;
- OIDN 2.5: the merged frame with its albedo and normal;
- base: the bundled base model on each half, averaged (as live denoises);
- offline N min: the base fine-tuned ``--offline-minutes`` on render-pairs of the scene
  (32 views x 4 pairs), then as the base;
- live: ``mcdenoise live`` from the base, ``--budget-per-frame`` seconds of training a frame;
- live + temporal, OIDN + temporal: those outputs blended along the sequence as ``apply --sequence``
  does (:class:`mcdenoise.denoise.temporal.TemporalFilter`).

Metrics: PSNR_T per frame against its reference (a curve) and its mean from ``--settled`` on;
flicker (BENCHMARK.md): still camera, the mean over pixels of the temporal standard deviation of
T(frame); moving camera, the same of T(frame) - T(previous frame warped by the motion), over the
pixels in view, beside the references' own; live's seconds per frame spent rendering, training and
denoising. Writes OUT/sequence.json, OUT/sequence.md, per scene and camera OUT/SCENE-CAMERA.png (the
curves) and OUT/SCENE-CAMERA.gif (a crop of every frame: noisy | OIDN | live + temporal | reference).
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from mcdenoise.config import CameraPath, LiveConfig, PairJob, TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.preview import side_by_side
from mcdenoise.denoise.temporal import TemporalFilter
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


def blended(outputs: list[np.ndarray], frames) -> list[np.ndarray]:
    """``outputs`` blended along the sequence by the temporal filter, with the frames' motion and features."""
    blend = TemporalFilter()
    return [blend(output, frame) for output, frame in zip(outputs, frames, strict=True)]


def offline_model(scene: Path, args) -> Path:
    """The base fine-tuned --offline-minutes on render-pairs of the scene (cached)."""
    folder = args.cache / f"{scene.name}-{args.pixels}px"
    model = folder / f"offline-{args.offline_minutes:g}min.pt"
    if not model.is_file():
        render_pairs(scene / "scene.xml", folder / "pairs", PairJob(pixels=args.pixels, seed=TRAIN_SEED), show_progress=True)
        train([folder / "pairs"], model, TrainConfig(minutes=args.offline_minutes, init="base"), restart=True, show_progress=True)
    return model


def evaluate(scene: Path, camera: str, args, offline: Path) -> dict:
    """Every row of one scene and camera: PSNR_T per frame, flicker, live's times."""
    folder = args.cache / f"{scene.name}-{args.pixels}px" / f"{camera}-{args.frames}"
    job = PairJob(views=args.frames, pairs=1, spp=args.spp, pixels=args.pixels, seed=SEED, path=CAMERAS[camera])
    live_dir = folder / f"live-{args.budget_per_frame:g}s"
    started = time.monotonic()
    record = run_live(scene / "scene.xml", live_dir, job, LiveConfig(budget_per_frame=args.budget_per_frame), show_progress=True)
    live_seconds = time.monotonic() - started
    still = camera == "still"
    references = folder / "references"
    reference_job = PairJob(
        views=1 if still else args.frames, pairs=1, spp=1, pixels=args.pixels, seed=SEED + 100, path=CAMERAS[camera],
        reference_spp=args.reference_spp,
    )  # fmt: skip
    render_pairs(scene / "scene.xml", references, reference_job, show_progress=True)
    refs = [read_exr(references / frame_name(0 if still else t, None, "ref")).stack(COLOR) for t in range(args.frames)]
    halves = [[read_exr(live_dir / frame_name(t, 0, side)) for side in "ab"] for t in range(args.frames)]
    merged = [(a.stack(COLOR) + b.stack(COLOR)) / 2 for a, b in halves]
    rows = {"noisy": merged}
    rows["OIDN 2.5"] = [oidn_denoise(m, a.stack(ALBEDO), a.stack(NORMAL)) for m, (a, _) in zip(merged, halves, strict=True)]
    base = Denoiser.load("base", device="cpu")
    rows["base"] = [base.denoise_halves(a, b) for a, b in halves]
    tuned = Denoiser.load(offline, device="cpu")
    rows[f"offline {args.offline_minutes:g} min"] = [tuned.denoise_halves(a, b) for a, b in halves]
    rows["live"] = [read_exr(live_dir / denoised_name(t)).stack(COLOR) for t in range(args.frames)]
    firsts = [a for a, _ in halves]
    rows["live + temporal"] = blended(rows["live"], firsts)
    rows["OIDN 2.5 + temporal"] = blended(rows["OIDN 2.5"], firsts)
    motions = [a.stack(MOTION) for a in firsts]
    settled = slice(min(args.settled, args.frames - 2), None)

    def flicker(frames: list[np.ndarray]) -> float:  # of the settled frames
        return still_flicker(frames[settled]) if still else moving_flicker(frames[settled], motions[settled])

    result = {
        "scene": scene.name,
        "camera": camera,
        "size": list(merged[0].shape[:2]),
        "frames": args.frames,
        "live_seconds": round(live_seconds, 1),
        "reference_flicker": None if still else round(flicker(refs), 6),
        "live_seconds_per_frame": {
            key: round(statistics.fmean(f[key] for f in record["frames"].values()), 4)
            for key in ("render_seconds", "train_seconds", "denoise_seconds")
        },
        "rows": {},
    }
    for name, outputs in rows.items():
        curve = [round(psnr_t(o, r), 3) for o, r in zip(outputs, refs, strict=True)]
        result["rows"][name] = {
            "psnr_t": curve,
            "psnr_t_settled": round(statistics.fmean(curve[settled]), 3),
            "flicker": round(flicker(outputs), 6),
        }
    write_pictures(args.out / f"{scene.name}-{camera}", result, rows, refs)
    return result


def write_pictures(stem: Path, result: dict, rows: dict, refs: list[np.ndarray]) -> None:
    """The PSNR_T curves (PNG) and a crop of every frame, noisy | OIDN | live + temporal | reference (GIF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    for name, row in result["rows"].items():
        axes.plot(row["psnr_t"], label=name, linewidth=1.2)
    axes.set_xlabel("frame")
    axes.set_ylabel("PSNR_T, dB")
    axes.set_title(f"{result['scene']}, {result['camera']} camera, {result['size'][1]}x{result['size'][0]}")
    axes.legend(fontsize=7, loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(stem.with_suffix(".png"))
    plt.close(figure)
    height, width = refs[0].shape[:2]
    side = min(height, width, 96)
    y, x = (height - side) // 2, (width - side) // 2
    pictures = []
    for t in range(len(refs)):
        panels = [rows[n][t][y : y + side, x : x + side] for n in ("noisy", "OIDN 2.5", "live + temporal")] + [
            refs[t][y : y + side, x : x + side]
        ]
        image = np.clip(side_by_side(panels), 0, 1) ** (1 / 2.2)
        pictures.append(
            Image.fromarray((image * 255 + 0.5).astype(np.uint8)).resize((image.shape[1] * 2, image.shape[0] * 2), Image.NEAREST)
        )
    pictures[0].save(stem.with_suffix(".gif"), save_all=True, append_images=pictures[1:], duration=100, loop=0)


def markdown(records: list[dict], meta: dict) -> str:
    """The summary table: mean PSNR_T from the settled frame on, and flicker, per row."""
    lines = [
        f"Sequences, {meta['machine']}, {meta['date']} (`{meta['command']}`), PSNR_T from frame {meta['settled']} on / flicker.",
        "",
    ]
    names = list(records[0]["rows"])
    lines += ["| scene | camera | " + " | ".join(names) + " | reference flicker | live s/frame: render, train, denoise |"]
    lines += ["|---" * (len(names) + 4) + "|"]
    for r in records:
        cells = [f"{r['rows'][n]['psnr_t_settled']:.2f} / {r['rows'][n]['flicker']:.4f}" for n in names]
        times = ", ".join(f"{v:.2f}" for v in r["live_seconds_per_frame"].values())
        reference = "—" if r["reference_flicker"] is None else f"{r['reference_flicker']:.4f}"
        lines.append(f"| {r['scene']} | {r['camera']} | " + " | ".join(cells) + f" | {reference} | {times} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=["mitsuba_cbox", "mitsuba_docs_normalmap"])
    parser.add_argument("--cameras", nargs="+", default=list(CAMERAS), choices=list(CAMERAS))
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--spp", type=int, default=2, help="spp of each half (the frame has twice this)")
    parser.add_argument("--budget-per-frame", type=float, default=2.0)
    parser.add_argument("--offline-minutes", type=float, default=10.0)
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--settled", type=int, default=30, help="the frame from which the mean PSNR_T and flicker are taken")
    parser.add_argument("--cache", type=Path, default=HERE / "cache" / "sequence")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sequence")
    args = parser.parse_args(argv)
    command = "python benchmarks/sequence.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command.strip(), "settled": args.settled}
    args.out.mkdir(parents=True, exist_ok=True)
    records = []
    for name in args.scenes:
        scene = SCENES / name
        offline = offline_model(scene, args)
        for camera in args.cameras:
            records.append(evaluate(scene, camera, args, offline))
            (args.out / "sequence.json").write_text(json.dumps({**meta, "records": records}, indent=1))
            (args.out / "sequence.md").write_text(markdown(records, meta))
            print(markdown(records, meta), flush=True)
    return records


if __name__ == "__main__":
    main()
