"""Speed and memory of mcdenoise against Intel OIDN, per the speed section of shared/BENCHMARK.md.

    python benchmarks/speed.py            # about 15 minutes on 2 cores

Measures, in one run on one machine:
- the job a user runs: read, denoise and write back 1920x1080 frames with all their channels (ZIP),
  5 frames and 1 frame, each denoiser in a fresh process (interpreter, imports and model loading
  count): `mcdenoise apply` by default and with each bundled model, against OIDN 2.5 high doing
  the same with OpenEXR and pyoidn;
- apply: seconds per megapixel of the network alone on the same 1920x1080 frame (median of 5 warm
  runs, 2 threads) for each bundled model (base and fast) in fp32, and bf16 where the CPU has it
  natively, for the base that corrects OIDN before any training (OIDN high alone: its correction
  is zero), and for OIDN 2.5 (pyoidn) at high, balanced and fast; beside it, each one's PSNR_T on
  the quality benchmark's cached box-track test frames (run `python benchmarks/quality.py` first
  to have them);
- memory: peak resident memory of `mcdenoise apply` on a 3840x2160 frame with all features;
- seams: the largest difference between tiled and untiled output;
- render-pairs: one 4 spp pair with AOVs and EXR writing, against two plain `mi.render` calls;
- train: crops per second at 128x128 crops, batch 8, fp32, bf16 where the CPU has native bf16, and CUDA
  with AMP if present.

Writes benchmarks/results/speed.json, its tables tables/speed.json (speed_tables.py; README's speed block shows
the first, the job) and speed.md. Needs `pip install pyoidn`.
"""

import argparse
import datetime
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from speed_tables import speed_tables
from table import Provenance, write_tables

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import ALBEDO, COLOR, NORMAL, FeatureSet
from mcdenoise.io.bundled import BUNDLED_MODELS
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import Frame, read_exr, write_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import autocast_dtype, cpu_model
from mcdenoise.learn.infer import DEFAULT_TILE, default_overlap
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs
from mcdenoise.render.renderer import FrameRenderer, feature_channels, feature_integrator, render_pass
from mcdenoise.render.scene import load_scene, make_sensor, scene_camera

HERE = Path(__file__).parent
RESULTS = HERE / "results"
#: The quality benchmark's cache: its test folders are SCENE-65536px/TRACK/test, each with the 4 spp
#: test frame (pair 0 of view 0) and its reference.
CACHE = HERE / "cache"
THREADS = 2
#: The bundled models to time, by name; the first is the default.
MODELS = ("base", "fast")
#: Inference precisions to time on the CPU: bf16 only where the CPU has it natively. Emulated, it
#: is many times slower (11.7x OIDN on an AMD EPYC), no default picks it there, and timing it
#: would take most of this benchmark's time.
PRECISIONS = ("fp32", "bf16") if autocast_dtype("auto", torch.device("cpu")) is not None else ("fp32",)


def cached_test_folders(cache: Path = CACHE, track: str = "box") -> list[Path]:
    """The quality benchmark's cached test folders of a track, one per scene, in scene order; only
    those whose frame and reference are both rendered (a stopped run leaves a folder without them)."""
    folders = sorted(Path(cache).glob(f"*-65536px/{track}/test"))
    return [f for f in folders if (f / frame_name(0, 0, "a")).is_file() and (f / frame_name(0, None, "ref")).is_file()]


def scene_name(folder: Path) -> str:
    """The scene that a test folder belongs to: ``.../mitsuba_cbox-65536px/box/test`` -> ``mitsuba_cbox``."""
    return folder.parent.parent.name.rsplit("-", 1)[0]


def load_test_frame(folder: Path) -> tuple[Frame, np.ndarray]:
    """The 4 spp test frame of a folder and its reference color (H, W, 3)."""
    return read_exr(folder / frame_name(0, 0, "a")), read_exr(folder / frame_name(0, None, "ref")).stack(COLOR)


def _label(name: str, precision: str) -> str:
    width = load_checkpoint(BUNDLED_MODELS[name]).model_config.width
    default = " (default)" if autocast_dtype("auto", torch.device("cpu")) == autocast_dtype(precision, torch.device("cpu")) else ""
    return f"mcdenoise {name} (width {width}) {precision}{default}"


def _prior_label(precision: str) -> str:
    default = " (default)" if autocast_dtype("auto", torch.device("cpu")) == autocast_dtype(precision, torch.device("cpu")) else ""
    return f"mcdenoise --prior oidn, before training (OIDN high alone) {precision}{default}"


def _median_time(function, runs: int = 5) -> float:
    function()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _render_frame(width: int, height: int, spp: int = 4, seed: int = 1) -> Frame:
    scene, _ = load_scene(DEMO_SCENE)
    renderer = FrameRenderer(scene, scene_camera(scene), width, height, replay=False)
    return Frame({**renderer.color(spp, seed), **renderer.features(spp, seed + 1)})


def measure_apply(frame: Frame, work: Path) -> list[dict]:
    """Seconds per megapixel of each mcdenoise model and each OIDN quality on ``frame``."""
    import pyoidn  # here, not at the top: the render-pairs and training measures run without it

    megapixels = frame.shape[0] * frame.shape[1] / 1e6
    rows = []
    channels = frame.stack(FeatureSet().channels)
    for name in MODELS:
        for precision in PRECISIONS:
            denoiser = Denoiser.load(name, device="cpu", precision=precision)
            seconds = _median_time(lambda d=denoiser: d(channels))
            rows.append({"denoiser": _label(name, precision), "seconds": seconds, "seconds_per_mp": seconds / megapixels})
    for precision in PRECISIONS:  # the base that corrects OIDN, untrained: OIDN high alone (its correction is zero)
        denoiser = Denoiser.base("oidn", device="cpu", precision=precision)
        seconds = _median_time(lambda d=denoiser: d(channels))
        rows.append({"denoiser": _prior_label(precision), "seconds": seconds, "seconds_per_mp": seconds / megapixels})
    color, albedo, normal = frame.stack(COLOR), frame.stack(ALBEDO), frame.stack(NORMAL)
    for quality in ("high", "balanced", "fast"):
        seconds = _median_time(lambda q=quality: pyoidn.denoise(color, albedo, normal, hdr=True, quality=q))
        rows.append({"denoiser": f"OIDN 2.5 {quality}", "seconds": seconds, "seconds_per_mp": seconds / megapixels})
    high = next(r for r in rows if r["denoiser"] == "OIDN 2.5 high")["seconds"]
    for row in rows:
        row["ratio_vs_oidn_high"] = row["seconds"] / high
    return rows


#: The peer's whole job in a process of its own, as a user would write it: OpenEXR and pyoidn alone,
#: every frame read, denoised by OIDN high with its albedo and normal, and written back with all its
#: channels and header, ZIP-compressed, beside it.
OIDN_JOB = """
import sys
import OpenEXR, numpy as np, pyoidn
for source in sys.argv[1:]:
    with OpenEXR.File(source, separate_channels=True) as exr:
        header = dict(exr.header())
        channels = {name: channel.pixels for name, channel in exr.channels().items()}
    stack = lambda names: np.stack([channels[n] for n in names], -1).astype(np.float32)
    color = pyoidn.denoise(stack("RGB"), stack(["albedo.R", "albedo.G", "albedo.B"]), stack(["normal.X", "normal.Y", "normal.Z"]),
                           hdr=True, quality="high")
    for i, name in enumerate("RGB"):
        channels[name] = np.ascontiguousarray(color[..., i])
    header["compression"] = OpenEXR.ZIP_COMPRESSION
    with OpenEXR.File(header, channels) as exr:
        exr.write(source[:-4] + ".oidn.exr")
"""

#: What ``apply`` is timed with: its default (the model chosen by the frame's noise) and each bundled model.
JOB_DENOISERS = {"mcdenoise apply (default)": [], **{f"mcdenoise apply --model {name}": ["--model", name] for name in MODELS}}


def _wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def measure_jobs(frame: Frame, work: Path, frames: int = 5, rounds: int = 2) -> list[dict]:
    """The job a user runs: read, denoise and write back 1920x1080 frames with all their channels
    (ZIP), each denoiser in a process of its own, started afresh (the interpreter, imports and
    model loading count). ``frames`` frames in one process, and one frame alone; the median of
    ``rounds``, each round timing every denoiser one after the other, so that a slow spell of a
    shared machine weighs on all alike."""
    sources = []
    for index in range(frames):
        sources.append(work / f"job{index}.exr")
        write_exr(sources[-1], frame)
    commands = {name: [sys.executable, "-m", "mcdenoise", "--quiet", "apply", "--device", "cpu", *options]
                for name, options in JOB_DENOISERS.items()}  # fmt: skip
    commands["OIDN 2.5 high"] = [sys.executable, "-c", OIDN_JOB]
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for count in (frames, 1):
            for name, command in commands.items():
                times.setdefault((name, count), []).append(_wall_time(command + [str(s) for s in sources[:count]]))
    rows = []
    for count in (frames, 1):
        peer = statistics.median(times[("OIDN 2.5 high", count)])
        for name in commands:
            seconds = statistics.median(times[(name, count)])
            rows.append({"denoiser": name, "frames": count, "rounds": rounds, "seconds": seconds, "ratio_vs_oidn_high": seconds / peer})
    return rows


def measure_memory(frame: Frame, work: Path, precision: str) -> dict:
    """Peak resident memory of `mcdenoise apply` on a 3840x2160 frame (the 1080p frame tiled 2x2)."""
    big = Frame({n: np.tile(c, (2, 2)) for n, c in frame.channels.items()})
    source = work / "frame4k.exr"
    write_exr(source, big)
    command = [sys.executable, "-m", "mcdenoise", "--quiet", "apply", str(source), "--device", "cpu"]
    # A child of its own per measurement: RUSAGE_CHILDREN's peak covers every child so far.
    probe = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    probe += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    output = subprocess.run([sys.executable, "-c", probe, *command, "--precision", precision], check=True, capture_output=True, text=True)
    return {"size": "3840x2160", "tile": DEFAULT_TILE, "precision": precision, "peak_rss_gib": int(output.stdout) / 2**20}


def measure_seams(frame: Frame, work: Path, precision: str) -> dict:
    """Largest |tiled - untiled| on a 1024x768 crop, tiles of 256 (many seams)."""
    denoiser = Denoiser.load(MODELS[0], device="cpu", precision=precision)
    channels = frame.stack(FeatureSet().channels)[:768, :1024]
    denoiser.tile = 4096
    whole = denoiser(channels)
    denoiser.tile = 256
    tiled = denoiser(channels)
    difference = float(np.abs(tiled - whole).max())
    return {
        "size": "1024x768",
        "tile": 256,
        "overlap": default_overlap(denoiser.model.config),
        "precision": precision,
        "max_abs_difference": difference,
    }


def measure_render_pairs(variant: str, pixels: int = 65536, pairs: int = 11, rounds: int = 5) -> dict:
    """Seconds per 4 spp pair of `render_pairs` itself (AOVs, EXR and manifest writing), as the
    slope between runs of 1 and ``pairs`` pairs, against two plain `mi.render` calls of the frame.

    Both are measured in each of ``rounds`` rounds, one right after the other, and the ratio is the
    median of the rounds' ratios, so that a slow spell of a shared machine weighs on both sides
    alike. On the JIT variants each round also times the job with its render calls traced
    afresh each time instead of replayed (``render_pairs(replay=False)``)."""
    import mitsuba as mi

    side = int(pixels**0.5)

    def job(count: int, replay: bool = True) -> float:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            render_pairs(DEMO_SCENE, out, PairJob(views=1, pairs=count, size=(side, side), variant=variant), replay=replay)
            return time.perf_counter() - start

    job(1)  # warm-up: variant probe, JIT caches
    scene, variant = load_scene(DEMO_SCENE, variant)
    sensor = make_sensor(scene, scene_camera(scene), side, side)
    features_by = feature_integrator()
    jit = variant.startswith(("llvm_", "cuda_"))
    pair_times, unreplayed_times, plain_times, feature_times = [], [], [], []
    for _ in range(rounds):
        pair_times.append((job(pairs) - job(1)) / (pairs - 1))
        if jit:  # the same without replaying render calls (FrameRenderer), for comparison
            unreplayed_times.append((job(pairs, replay=False) - job(1, replay=False)) / (pairs - 1))
        plain_times.append(_median_time(lambda: [np.array(mi.render(scene, sensor=sensor, spp=4, seed=s)) for s in (1, 2)], 3))
        feature_times.append(_median_time(lambda: feature_channels(render_pass(scene, sensor, 4, 3, features_by)), 3))
    ratios = [pair / plain for pair, plain in zip(pair_times, plain_times, strict=True)]
    feature_shares = [feature / plain for feature, plain in zip(feature_times, plain_times, strict=True)]
    unreplayed = [pair / plain for pair, plain in zip(unreplayed_times, plain_times, strict=False)]
    return {
        "variant": variant,
        "pixels": side * side,
        "rounds": rounds,
        "pairs": pairs,
        "pair_seconds": statistics.median(pair_times),
        "two_plain_renders_seconds": statistics.median(plain_times),
        "ratio": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "feature_pass_seconds": statistics.median(feature_times),
        "feature_pass_share": statistics.median(feature_shares),
        "ratio_without_replay": statistics.median(unreplayed) if unreplayed else None,
    }


def measure_exr_writing(frame: Frame, work: Path) -> list[dict]:
    """Seconds and bytes to write a 65,536-pixel frame with all channels, ZIP and uncompressed."""
    small = Frame({name: np.ascontiguousarray(c[:256, :256]) for name, c in frame.channels.items()})
    rows = []
    for compress in (True, False):
        path = work / f"write-{compress}.exr"
        seconds = _median_time(lambda c=compress, p=path: write_exr(p, small, compress=c))
        rows.append({"compression": "zip" if compress else "none", "seconds": seconds, "bytes": path.stat().st_size})
    return rows


def measure_training(work: Path) -> list[dict]:
    """Crops per second at 128x128, batch 8, per precision and device."""
    data = work / "train"
    render_pairs(DEMO_SCENE, data, PairJob(pairs=1, views=4, size=(256, 256)), show_progress=False)
    # Without native bf16 instructions bf16 is emulated: on an AMD EPYC this measure with it did not end
    # within 25 minutes. `train` never picks bf16 on such a CPU, so it is not timed there.
    native_bf16 = autocast_dtype("auto", torch.device("cpu")) is not None
    setups = [("cpu", "fp32")] + ([("cpu", "bf16")] if native_bf16 else []) + ([("cuda", "auto")] if torch.cuda.is_available() else [])
    rows = []
    for device, precision in setups:
        steps = 40 if device == "cpu" else 300
        config = TrainConfig(steps=steps, crop=128, batch=8, precision=precision, checkpoint_seconds=1e9, score_seconds=1e9)
        result = train(
            [data], work / f"{device}-{precision}.pt", config, device=device, restart=True, show_progress=False, log=lambda *a: None
        )
        card = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or platform.machine()
        rows.append({"device": device, "card": card, "precision": precision, "crops_per_second": steps * 8 / result.elapsed})
    return rows


def quality_of_each(cache: Path = CACHE) -> dict[str, dict[str, float]]:
    """PSNR_T of every timed denoiser on each cached box-track test frame of the quality benchmark
    (4 spp, against its reference), by scene; empty without the cache."""
    import pyoidn  # here, not at the top: the render-pairs and training measures run without it

    scores: dict[str, dict[str, float]] = {}
    denoisers = {_label(n, p): Denoiser.load(n, device="cpu", precision=p) for n in MODELS for p in PRECISIONS}
    denoisers.update({_prior_label(p): Denoiser.base("oidn", device="cpu", precision=p) for p in PRECISIONS})
    for test in cached_test_folders(cache):
        frame, reference = load_test_frame(test)
        scene = scores.setdefault(scene_name(test), {})
        for label, denoiser in denoisers.items():
            scene[label] = psnr_t(denoiser.denoise_frame(frame), reference)
        color, albedo, normal = frame.stack(COLOR), frame.stack(ALBEDO), frame.stack(NORMAL)
        for quality in ("high", "balanced", "fast"):
            scene[f"OIDN 2.5 {quality}"] = psnr_t(pyoidn.denoise(color, albedo, normal, hdr=True, quality=quality), reference)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    torch.set_num_threads(THREADS)
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{cpu_model()}, {THREADS} threads",
        "command": "python benchmarks/speed.py",
    }
    with tempfile.TemporaryDirectory(prefix="mcdenoise-speed-") as tmp:
        work = Path(tmp)
        frame = _render_frame(1920, 1080)
        print("jobs ...", flush=True)
        record["jobs"] = measure_jobs(frame, work)
        print("apply ...", flush=True)
        record["apply"] = measure_apply(frame, work)
        print("memory ...", flush=True)
        record["memory"] = [measure_memory(frame, work, precision) for precision in PRECISIONS]
        print("seams ...", flush=True)
        record["seams"] = [measure_seams(frame, work, precision) for precision in PRECISIONS]
        print("render-pairs ...", flush=True)
        record["render_pairs"] = [measure_render_pairs(v) for v in ("scalar_rgb", "llvm_ad_rgb")]
        record["exr_write"] = measure_exr_writing(frame, work)
        print("train ...", flush=True)
        record["train"] = measure_training(work)
    print("quality ...", flush=True)
    record["psnr_t_by_scene"] = quality_of_each()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(record, indent=1) + "\n")
    write_tables(RESULTS, "speed", speed_tables(record, Provenance.of(record, "../speed.json")))


if __name__ == "__main__":
    main()
