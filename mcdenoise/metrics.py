"""Image error metrics of BENCHMARK.md, on linear HDR (H, W, 3) arrays."""

import numpy as np

from mcdenoise.tonemap import tonemap_np


def psnr_t(image: np.ndarray, reference: np.ndarray) -> float:
    """PSNR (dB, peak 1) of T(image) against T(reference), T the Noise2Noise tonemap."""
    error = np.mean((tonemap_np(image.astype(np.float64)) - tonemap_np(reference.astype(np.float64))) ** 2)
    return float(10 * np.log10(1.0 / max(error, 1e-20)))


def rel_mse(image: np.ndarray, reference: np.ndarray) -> float:
    """Mean of (x - ref)^2 / (ref^2 + 0.01)."""
    x, r = image.astype(np.float64), reference.astype(np.float64)
    return float(np.mean((x - r) ** 2 / (r**2 + 0.01)))


def smape(image: np.ndarray, reference: np.ndarray) -> float:
    """Mean of |x - ref| / (|x| + |ref| + 0.01)."""
    x, r = image.astype(np.float64), reference.astype(np.float64)
    return float(np.mean(np.abs(x - r) / (np.abs(x) + np.abs(r) + 0.01)))


def still_flicker(frames) -> float:
    """Flicker of a still camera's sequence (BENCHMARK.md): the mean over pixels of the temporal
    standard deviation of T(frame), over ``frames``, each (H, W, 3). A converged render has almost none."""
    stack = tonemap_np(np.stack([np.asarray(f, dtype=np.float64) for f in frames]))
    return float(stack.std(axis=0).mean())


def flip_hdr(image: np.ndarray, reference: np.ndarray) -> float | None:
    """Mean HDR FLIP error (NVIDIA FLIP, package ``flip-evaluator``); None when it is not installed."""
    try:
        import flip_evaluator
    except ImportError:
        return None
    clean = [np.ascontiguousarray(np.maximum(np.nan_to_num(x.astype(np.float32)), 0.0)) for x in (reference, image)]
    _, mean_error, _ = flip_evaluator.evaluate(clean[0], clean[1], "HDR", applyMagma=False)
    return float(mean_error)


def all_metrics(image: np.ndarray, reference: np.ndarray) -> dict[str, float | None]:
    """Every metric of BENCHMARK.md for one image against its reference."""
    return {
        "psnr_t": psnr_t(image, reference),
        "rel_mse": rel_mse(image, reference),
        "smape": smape(image, reference),
        "flip": flip_hdr(image, reference),
    }
