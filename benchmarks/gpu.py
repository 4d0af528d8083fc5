"""mcdenoise on a CUDA GPU: correctness against the CPU, apply time at 1080p, memory, seams, training.

    python benchmarks/gpu.py                    # about 2 minutes on one GPU
    python benchmarks/gpu.py --frames DIR...    # other render-pairs folders with a reference

Needs a CUDA GPU (CI has none; this is run by hand where one is lent). Reads the quality
benchmark's cached box-track test frames (4 spp, with a reference; `python benchmarks/quality.py`
renders them), so it needs neither Mitsuba nor OIDN. Measures, for each bundled model:
- agreement: the CUDA fp32 output against the CPU fp32 output of the same frame
  (relative L2 error), and PSNR_T per precision against the
  reference, beside the CPU's;
- apply at 1920x1080 (the test frame tiled): milliseconds per frame, median of 50 warm runs,
  (a) for a frame already on the GPU (a tensor in, a tensor out: a GPU renderer's pipeline) and
  (b) for a numpy frame in host memory (the copies there and back included);
- where the time of a 1080p apply goes (a profile, written beside the results as gpu_profile.txt);
- peak GPU memory at 3840x2160, and the largest |tiled - untiled| difference;
- training: crops per second at 128x128, batch 8 (the speed benchmark's setting) and larger
  batches, with autocast (AMP) in bf16, against fp32.

Writes benchmarks/results/gpu.json, its tables (benchmarks/table.py) tables/gpu.json and gpu.md beside it.
"""

import argparse
import datetime
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from table import Provenance, Table, Tables, source_of, write_tables

from mcdenoise.config import TrainConfig
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR, FeatureSet
from mcdenoise.io.bundled import BUNDLED_MODELS
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import autocast_dtype
from mcdenoise.learn.encode import encode, exposure_scale
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t

HERE = Path(__file__).parent
RESULTS = HERE / "results"
MODELS = ("base", "fast")
PRECISIONS = ("fp32", "bf16", "fp16")
DEFAULT_FRAMES = sorted((HERE / "cache").glob("*-65536px/box/test"))  # the quality benchmark's box-track test frames
#: Where the measurements run; `--device cpu` is a quick dry run of this script's logic.
DEVICE = "cuda"
#: Timed repetitions (fewer in a dry run).
RUNS = 50


def scene_name(folder: Path) -> str:
    """``.../mitsuba_cbox-65536px/box/test`` -> ``mitsuba_cbox``."""
    return folder.parent.parent.name.rsplit("-", 1)[0]


def load_test_frame(folder: Path):
    """The 4 spp test frame of a folder and its reference color (H, W, 3)."""
    return read_exr(folder / frame_name(0, 0, "a")), read_exr(folder / frame_name(0, None, "ref")).stack(COLOR)


def _sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _width(name: str) -> int:
    return load_checkpoint(BUNDLED_MODELS[name]).model_config.width


def _median_ms(function, runs: int) -> float:
    for _ in range(3 if DEVICE == "cuda" else 1):  # warm-up: cuDNN's algorithm search, allocator growth
        function()
    _sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        _sync()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _test_frame(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(channels of the 4 spp frame in the default feature order, reference color)."""
    frame, reference = load_test_frame(folder)
    return frame.stack(FeatureSet().channels), reference


def measure_agreement(folders: list[Path]) -> list[dict]:
    """Per model, scene and precision: PSNR_T on CUDA and on the CPU, and CUDA fp32's deviation from CPU fp32."""
    rows = []
    for name in MODELS:
        cpu = Denoiser.load(name, device="cpu", precision="fp32")
        for folder in folders:
            channels, reference = _test_frame(folder)
            on_cpu = cpu(channels)
            for precision in PRECISIONS:
                on_gpu = Denoiser.load(name, device=DEVICE, precision=precision)(channels)
                rows.append(
                    {
                        "model": name,
                        "scene": scene_name(folder),
                        "precision": precision,
                        "psnr_t_cuda": psnr_t(on_gpu, reference),
                        "psnr_t_cpu_fp32": psnr_t(on_cpu, reference),
                        "relative_l2_to_cpu_fp32": float(np.linalg.norm(on_gpu - on_cpu) / np.linalg.norm(on_cpu)),
                    }
                )
    return rows


def frame_1080p(folder: Path) -> np.ndarray:
    """A 1920x1080 frame made of the test frame repeated (real content, the benchmark's size)."""
    channels, _ = _test_frame(folder)
    reps = (-(-1080 // channels.shape[0]), -(-1920 // channels.shape[1]), 1)
    return np.ascontiguousarray(np.tile(channels, reps)[:1080, :1920])


def measure_apply(frame: np.ndarray) -> list[dict]:
    """Milliseconds per 1080p frame, per model and precision, for a GPU tensor and for a numpy frame."""
    on_gpu = torch.from_numpy(frame).to(DEVICE)
    rows = []
    for name in MODELS:
        for precision in PRECISIONS:
            denoiser = Denoiser.load(name, device=DEVICE, precision=precision)
            rows.append(
                {
                    "model": f"{name} (width {_width(name)})",
                    "precision": precision,
                    "tensor_on_gpu_ms": _median_ms(lambda d=denoiser: d(on_gpu), RUNS),
                    "numpy_in_host_memory_ms": _median_ms(lambda d=denoiser: d(frame), max(1, RUNS // 2)),
                    "network_alone_ms": _network_ms(denoiser, frame),
                }
            )
    return rows


def _network_ms(denoiser: Denoiser, frame: np.ndarray) -> float:
    """The network's forward pass alone on the frame, encoded and padded to the alignment beforehand."""
    align = denoiser.model.alignment
    height, width = (-(-side // align) * align for side in frame.shape[:2])
    padded = np.pad(frame, ((0, height - frame.shape[0]), (0, width - frame.shape[1]), (0, 0)), mode="edge")
    channels = torch.from_numpy(padded).to(DEVICE)
    encoded = encode(channels, denoiser.features, exposure_scale(channels[..., :3]))[None].contiguous(memory_format=torch.channels_last)
    dtype = autocast_dtype(denoiser.precision, torch.device(DEVICE))

    def forward():
        with torch.inference_mode(), torch.autocast(DEVICE, dtype=dtype, enabled=dtype is not None):
            denoiser.model(encoded)

    return _median_ms(forward, RUNS)


def measure_parts(frame: np.ndarray, out: Path) -> dict:
    """Where a 1080p apply of the default model spends its time: the exposure scale alone, the
    apply with cuDNN's benchmark mode, and a profile of three applies (written to gpu_profile.txt)."""
    on_gpu = torch.from_numpy(frame).to(DEVICE)
    denoiser = Denoiser.load("base", device=DEVICE)
    parts = {"exposure_scale_ms": _median_ms(lambda: exposure_scale(on_gpu[..., :3]), RUNS)}
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if DEVICE == "cuda" else [])
    with torch.profiler.profile(activities=activities) as profiler:
        for _ in range(3):
            denoiser(on_gpu)
        _sync()
    averages = profiler.key_averages()
    tables = []
    for key in ("self_cuda_time_total", "self_device_time_total", "cpu_time_total"):
        try:
            tables.append(f"sorted by {key}\n" + averages.table(sort_by=key, row_limit=25))
        except (AttributeError, KeyError, ValueError, RuntimeError):
            continue
    (out / "gpu_profile.txt").write_text("\n\n".join(tables))
    print(tables[0] if tables else "no profile", flush=True)
    if DEVICE == "cuda":
        torch.backends.cudnn.benchmark = True
        parts["apply_tensor_cudnn_benchmark_ms"] = _median_ms(lambda: denoiser(on_gpu), RUNS)
        torch.backends.cudnn.benchmark = False
    return parts


def measure_memory_and_seams(frame: np.ndarray) -> dict:
    """Peak GPU memory of the default model on a 4K frame, and tiled against untiled output."""
    big = torch.from_numpy(np.tile(frame, (2, 2, 1))).to(DEVICE)
    denoiser = Denoiser.load("base", device=DEVICE)
    denoiser(big)
    record = {"size": "3840x2160", "tile": "2048 (default on a GPU)"}
    if DEVICE == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        denoiser(big)
        torch.cuda.synchronize()
        record["peak_gib_beyond_input"] = (torch.cuda.max_memory_allocated() - before) / 2**30
    seams = {}
    small = torch.from_numpy(frame[:768, :1024].copy()).to(DEVICE)
    for precision in PRECISIONS:
        whole = Denoiser.load("base", device=DEVICE, precision=precision, tile=4096)(small)
        tiled = Denoiser.load("base", device=DEVICE, precision=precision, tile=256)(small)
        difference = (whole - tiled).abs()
        seams[precision] = {"max_abs": float(difference.max()), "max_relative": float((difference / whole.abs().clamp(min=1e-2)).max())}
    record["seams_1024x768_tile_256"] = seams
    record["tf32_convolutions"] = bool(torch.backends.cudnn.allow_tf32)
    return record


def measure_training(folders: list[Path], out: Path) -> list[dict]:
    """Crops per second at 128x128 crops, per batch and precision, from the test frames' pairs;
    a profile of 30 steps at batch 8 goes to gpu_train_profile.txt."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for batch, precision in ((8, "fp32"), (8, "bf16"), (32, "bf16"), (128, "bf16")):
            steps = max(2, (300 if batch <= 32 else 100) * RUNS // 50)
            config = TrainConfig(steps=steps, crop=128, batch=batch, precision=precision, checkpoint_seconds=1e9, score_seconds=math.inf)
            model_file = Path(tmp) / f"{batch}-{precision}.pt"
            train(folders, model_file, config, device=DEVICE, restart=True, show_progress=False, log=lambda *a: None)  # warm-up
            result = train(folders, model_file, config, device=DEVICE, restart=True, show_progress=False, log=lambda *a: None)
            rows.append({"batch": batch, "precision": precision, "steps": steps, "crops_per_second": steps * batch / result.elapsed})
        config = TrainConfig(steps=30, crop=128, batch=8, checkpoint_seconds=1e9, score_seconds=math.inf)
        activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if DEVICE == "cuda" else [])
        with torch.profiler.profile(activities=activities) as profiler:
            train(folders, Path(tmp) / "profiled.pt", config, device=DEVICE, restart=True, show_progress=False, log=lambda *a: None)
        (out / "gpu_train_profile.txt").write_text(profiler.key_averages().table(sort_by="cpu_time_total", row_limit=40))
    return rows


def tables(record: dict, provenance: Provenance) -> Tables:
    """The run's tables: apply's times, agreement with the CPU, seams and training; the parts of an apply and the
    peak memory at 4K in notes."""
    apply = tuple(
        (r["model"], r["precision"], r["tensor_on_gpu_ms"], r["numpy_in_host_memory_ms"], r["network_alone_ms"]) for r in record["apply"]
    )
    columns = ("model", "precision", "tensor on the GPU", "numpy in host memory", "network alone")
    parts = ", ".join(f"{name} {value:.2f}" for name, value in record.get("parts", {}).items())
    notes = (f"Parts of a 1080p apply (base, auto precision), ms: {parts}; three applies profiled: gpu_profile.txt.",) if parts else ()
    found = [Table("apply at 1920x1080, ms per frame", columns, apply, ("", "", "{:.2f}", "{:.2f}", "{:.2f}"), notes)]
    agreement = tuple(
        (r["model"], r["scene"], r["precision"], r["psnr_t_cuda"], r["psnr_t_cpu_fp32"], r["relative_l2_to_cpu_fp32"])
        for r in record.get("agreement", [])
    )
    columns = ("model", "scene", "precision", "PSNR_T CUDA", "PSNR_T CPU fp32", "‖CUDA − CPU fp32‖ / ‖CPU fp32‖")
    found += [Table("Agreement with the CPU", columns, agreement, ("", "", "", "{:.2f}", "{:.2f}", "{:.1e}"))] if agreement else []
    memory = record.get("memory", {})
    for name, seams in sorted((k, v) for k, v in memory.items() if k.startswith("seams")):
        rows = tuple((precision, v["max_abs"], v["max_relative"]) for precision, v in seams.items())
        peak = memory.get("peak_gib_beyond_input")
        note = f"Peak GPU memory at {memory['size']}, tile {memory['tile']}: {'—' if peak is None else f'{peak:.2f}'} GiB beyond the input"
        note += f" frame; TF32 convolutions: {memory.get('tf32_convolutions')}."
        columns = ("precision", "absolute", "relative to the pixel")
        found.append(Table(f"{name}: max |tiled − untiled|", columns, rows, ("", "{:.1e}", "{:.1e}"), (note,)))
    train = tuple((f"{record['device']} {r['precision']}", r["batch"], r["steps"], r["crops_per_second"]) for r in record.get("train", []))
    columns = ("device, precision", "batch", "steps", "crops/s")
    found += [Table("Training, 128x128 crops", columns, train, ("", "", "", "{:.0f}"))] if train else []
    notes = (f"torch {record['torch']}, device `{record['device']}`.",)
    return Tables(f"GPU: {record['card']}", provenance, tuple(found), notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--frames", type=Path, nargs="+", default=DEFAULT_FRAMES, help="render-pairs folders with pair 0 of view 0 and a reference"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for gpu.json and gpu.md")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda", help="cpu: a quick dry run of the script itself")
    args = parser.parse_args()
    global DEVICE, RUNS, PRECISIONS
    DEVICE, RUNS = args.device, (50 if args.device == "cuda" else 1)
    if DEVICE == "cpu":
        PRECISIONS = ("fp32",)
    if DEVICE == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu.py needs a CUDA GPU")
    if not args.frames:
        raise SystemExit("no test frames: run `python benchmarks/quality.py` first, or pass --frames")
    card = torch.cuda.get_device_name() if DEVICE == "cuda" else "CPU dry run"
    record = {"date": datetime.date.today().isoformat(), "device": DEVICE, "card": card, "torch": torch.__version__}
    stages = (
        ("agreement", lambda: measure_agreement(args.frames)),
        ("apply", lambda: measure_apply(frame_1080p(args.frames[0]))),
        ("parts", lambda: measure_parts(frame_1080p(args.frames[0]), args.out)),
        ("memory", lambda: measure_memory_and_seams(frame_1080p(args.frames[0]))),
        ("train", lambda: measure_training(args.frames, args.out)),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for key, stage in stages:
        print(f"{key} ...", flush=True)
        record[key] = stage()
        (args.out / "gpu.json").write_text(json.dumps(record, indent=1) + "\n")  # what is done survives a later failure
    source = source_of(args.out, "gpu.json", "gpu_profile.txt", "gpu_train_profile.txt")
    write_tables(args.out, "gpu", tables(record, Provenance.now(card, "python benchmarks/gpu.py", source)))


if __name__ == "__main__":
    main()
