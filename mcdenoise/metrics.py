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


#: Two frames whose difference holds less than this share of the noise of each are not a pair.
#: Renders of two scenes (16,384 px; box and gaussian filters): 0.42 to 0.99 for independent seeds
#: at 4 to 256 spp (lower as the samples grow and the signal's own detail counts more), at most
#: 0.10 where three quarters of the samples are shared, 0 for a copy (a one-off probe, issue 38).
INDEPENDENT_AT_LEAST = 0.2


def noise_independence(first: np.ndarray, second: np.ndarray) -> float:
    """How independent the noise of two renders of one view is: the spread of the tonemapped
    luminance of ``first − second``, over the sum of the same spread of each frame. The spread is
    the squared median of absolute second differences along rows and columns, which smooth shading
    and the odd edge barely move. About 1 for independent seeds at low spp (a pixel filter that
    spreads noise changes all three alike), lower as the signal's own detail outweighs the noise;
    0 for the same seed."""

    def spread(image: np.ndarray) -> float:
        rows, columns = image[:, 2:] - 2 * image[:, 1:-1] + image[:, :-2], image[2:] - 2 * image[1:-1] + image[:-2]
        return float(np.median(np.abs(np.concatenate([rows.ravel(), columns.ravel()])))) ** 2

    a, b = (tonemap_np(np.clip(np.nan_to_num(np.asarray(f, dtype=np.float64)[..., :3]), 0, None)).mean(-1) for f in (first, second))
    alone = spread(a) + spread(b)
    return spread(a - b) / alone if alone > 0 else 0.0


def shared_noise(first: np.ndarray, second: np.ndarray) -> str | None:
    """Why two (H, W, C) frames cannot be a Noise2Noise pair or two halves, by their noise
    (:func:`noise_independence` under :data:`INDEPENDENT_AT_LEAST`); None when they can."""
    independence = noise_independence(first, second)
    if independence >= INDEPENDENT_AT_LEAST:
        return None
    return (
        f"their noise is not independent (their difference holds {independence:.0%} of the noise of two independent renders): "
        "render them with two different seeds (the renderer's seed setting), not one frame copied or the same samples twice"
    )
