"""Where and how precisely to compute: the torch device, and the autocast dtype for a precision."""

from pathlib import Path

import torch

from mcdenoise.config import Device, Precision, choices
from mcdenoise.errors import ConfigError, JobError


def resolve_device(requested: Device = "auto") -> torch.device:
    """``auto`` is CUDA when available, else the CPU; raises when CUDA is asked for and missing."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested not in choices(Device):
        raise ConfigError(f"unknown {{device}} {requested!r}; choose {', '.join(choices(Device))}", "device")
    if requested == "cuda" and not torch.cuda.is_available():
        raise JobError("a CUDA device was asked for, but no CUDA GPU is available to torch")
    return torch.device(requested)


def cpu_model() -> str:
    """The CPU's model name and core count, as ``lscpu`` names it (``AMD EPYC 7B13, 2 cores``), for records."""
    import os
    import platform

    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
    except OSError:
        names = []
    return f"{names[0] if names else platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(precision: Precision, device: torch.device, training: bool = False) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None: plain fp32).

    ``auto`` is, on CUDA, fp16 for inference (as fast as bf16 there and about ten times closer
    to fp32, by ``benchmarks/gpu.py``) and bf16 for training where the GPU has it (no loss
    scaling to go wrong); on a CPU with native bf16 instructions it is bf16 (which roughly
    halves convolution time, and tiled inference still equals untiled inference exactly), and on
    other CPUs fp32.
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if training and torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if _cpu_has_bf16() else None
