"""Where and how precisely to compute: the torch device, and the autocast dtype for a precision."""

from pathlib import Path

import torch

from mcdenoise.errors import JobError

#: Precision names that training and inference accept.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_device(requested: str = "auto") -> torch.device:
    """``auto`` is CUDA when available, else the CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise JobError("--device cuda was asked for, but no CUDA GPU is available to torch")
    if requested not in ("cpu", "cuda"):
        raise JobError(f"unknown device {requested!r}; choose auto, cpu or cuda")
    return torch.device(requested)


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(precision: str, device: torch.device, training: bool = False) -> torch.dtype | None:
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
