"""Self-supervised post-correction of a denoiser's output, from two halves of one frame.

After Back, Hua, Hachisuka and Moon, *Self-Supervised Post-Correction for Monte Carlo
Denoising* (SIGGRAPH 2022), written anew for this codebase. A frame rendered as two halves
A and B with independent seeds is its own Noise2Noise pair:

- **Inputs strictly from one half.** To correct A, a small network sees A's noisy color,
  its albedo and normal, and the denoiser's output for A alone; its target is B. Nothing of
  B reaches A's output, so fitting A's noise cannot lower the expected loss.
- **A bounded output.** The network predicts, per pixel, the parameters of a normalised
  cross-bilateral kernel over the half's own noisy pixels in a window around it, with a
  first-order correction by the guides' differences (:func:`bilateral_correction`). It never
  writes a color freely, so it cannot invent light where the half has none.
- **A symmetric relative loss:** ``(f(A) − B)² / (D(B)² + 0.01)`` and the same with A and B
  swapped, D(B) the denoised other half. The output is the mean of both corrected halves.

This codebase's own choices:

- the window is 11² (19² in the paper), and the output is a per-pixel share of the denoiser's own
  output and the rest the kernel's estimate, a share that starts at 98 %, so the corrector starts
  as its denoiser and training moves it only where the other half says so;
- the corrector fitted on the halves corrects the whole frame (both halves' samples, denoised
  once), since denoising each half and averaging loses to denoising the frame once;
- a quarter of the frame's tiles are held out of the fit, and the correction is kept only where
  it is ahead there (:func:`correct_frame`).

``mcdenoise apply A.exr --other-half B.exr`` runs it; ``benchmarks/correct.py`` measures it.
"""

import time
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from mcdenoise.denoise.inputs import merge_halves, read_halves
from mcdenoise.features import ALBEDO, COLOR, NORMAL, invalid_color
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.tonemap import tonemap

#: The kernel's window is (2 * RADIUS + 1)² pixels (the paper's is 19², far too slow on a CPU).
RADIUS = 5
#: Channels and 3x3 convolutions of the network that predicts the kernel's parameters.
WIDTH, LAYERS = 16, 8
#: Training crops' side, and crops a step.
CROP, BATCH = 64, 4
#: Frames are corrected in tiles of at most this many pixels a side, so memory is bounded by the tile, not the frame.
TILE = 512
#: Training steps and Adam's learning rate of a frame's corrector (benchmarks/correct.py).
STEPS, LEARNING_RATE = 100, 1e-2
#: Center weights and bandwidths are kept above this, so no weight sum vanishes.
EPSILON = 1e-4
#: The noisy color's bandwidth starts at about 1/5², so the window's noisy pixels start weighted alike.
NOISY_BANDWIDTH_START = 5.0
#: The denoised color's share of the output starts at sigmoid(4), 98 %: the corrector starts as the denoiser.
KEEP_START = 4.0


@dataclass(frozen=True)
class Half:
    """One half of a frame, (H, W, 3) float32 arrays: its noisy color, the denoiser's output
    for it alone, and its albedo and normal where the frame has them."""

    color: np.ndarray
    denoised: np.ndarray
    albedo: np.ndarray | None = None
    normal: np.ndarray | None = None

    def guides(self) -> list[np.ndarray]:
        """What the kernel compares pixels by, besides the noisy color: the denoised color, then the features."""
        return [self.denoised] + [g for g in (self.albedo, self.normal) if g is not None]


def as_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, C) numpy -> (1, C, H, W) float32 tensor, with NaN and infinities as 0."""
    return torch.from_numpy(np.nan_to_num(np.ascontiguousarray(image, dtype=np.float32))).permute(2, 0, 1)[None]


class KernelNet(nn.Module):
    """Per-pixel kernel parameters from a half's inputs: ``3 * guides`` slopes in [-1, 1], a
    bandwidth for the noisy color and for each guide, and the center pixel's weight."""

    def __init__(self, guides: int):
        super().__init__()
        self.guides = guides
        inputs = 3 + 3 * guides
        layers: list[nn.Module] = []
        for i in range(LAYERS):
            layers += [nn.Conv2d(inputs if i == 0 else WIDTH, WIDTH, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(WIDTH, 3 * guides + (guides + 1) + 2, 3, padding=1)
        # It starts as the denoised color plus the window's mean residual (noisy − denoised): the
        # denoised color's slope 1, the features' 0, and the noisy color's bandwidth near 0.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        with torch.no_grad():
            self.head.bias[3 * guides] = NOISY_BANDWIDTH_START
            self.head.bias[-1] = KEEP_START

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(slopes (B, 3*guides, H, W), bandwidths (B, guides+1, H, W), center weight (B, 1, H, W),
        the denoised color's share (B, 1, H, W)). The denoised color's slopes lie in [0, 2], the
        features' in [-1, 1]."""
        slopes, bands, center, keep = self.head(self.body(x)).split([3 * self.guides, self.guides + 1, 1, 1], dim=1)
        slopes = torch.tanh(slopes) + torch.tensor([1.0] * 3 + [0.0] * (3 * self.guides - 3)).view(1, -1, 1, 1)
        bands = 1 / (functional.softplus(bands) ** 2 + EPSILON)
        return slopes, bands, functional.softplus(center) + EPSILON, torch.sigmoid(keep)


def network_input(color: torch.Tensor, guides: list[torch.Tensor]) -> torch.Tensor:
    """The network's input: the tonemapped noisy and denoised colors, then the features as they are."""
    return torch.cat([tonemap(color.clamp_min(0)), tonemap(guides[0].clamp_min(0)), *guides[1:]], dim=1)


def bilateral_correction(color, guides, slopes, bands, center, keep, radius: int = RADIUS) -> torch.Tensor:
    """The kernel's output, (B, 3, H, W): at each pixel c, the mean over its window of
    ``color_i − Σ_k slope_k · (guide_k,i − guide_k,c)``, weighted by
    ``exp(−Σ band · |difference|²)`` over the noisy color's and each guide's differences
    (colors compared in log), and by ``center`` at c itself; pixels beyond the frame weigh 0."""
    height, width = color.shape[-2:]
    pad = (radius,) * 4
    log_color, log_denoised = torch.log1p(color.clamp_min(0)), torch.log1p(guides[0].clamp_min(0))
    compared = [log_color, log_denoised, *guides[1:]]
    padded_color = functional.pad(color, pad)
    padded_guides = [functional.pad(g, pad) for g in guides]
    padded_compared = [functional.pad(g, pad) for g in compared]
    inside = functional.pad(torch.ones_like(color[:, :1]), pad)
    total = torch.zeros_like(color)
    weights = torch.zeros_like(color[:, :1])
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            window = (slice(None), slice(None), slice(dy, dy + height), slice(dx, dx + width))
            if dy == radius and dx == radius:
                weight = center
            else:
                distance = sum(
                    bands[:, k : k + 1] * (p[window] - c).square().sum(1, keepdim=True)
                    for k, (p, c) in enumerate(zip(padded_compared, compared, strict=True))
                )
                weight = torch.exp(-distance) * inside[window]
            value = padded_color[window]
            for k, (p, g) in enumerate(zip(padded_guides, guides, strict=True)):
                value = value - slopes[:, 3 * k : 3 * k + 3] * (p[window] - g)
            total = total + weight * value
            weights = weights + weight
    return keep * guides[0] + (1 - keep) * total / weights.clamp_min(EPSILON)


def crops(image: torch.Tensor, corners: torch.Tensor, side: int) -> torch.Tensor:
    """The ``side`` x ``side`` crops of a (1, C, H, W) image at each (y, x) of ``corners``, as a batch."""
    return torch.cat([image[..., y : y + side, x : x + side] for y, x in corners.tolist()])


class Corrector:
    """A :class:`KernelNet` fitted to the two halves of one frame (:meth:`fit`), that corrects
    either half, or a whole frame's inputs (:meth:`correct`)."""

    def __init__(self, guides: int, seed: int = 0, radius: int = RADIUS):
        self.radius = radius
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net = KernelNet(guides)

    def correct(self, half: Half, tile: int = TILE) -> np.ndarray:
        """The corrected (H, W, 3) color of ``half``, computed in tiles of at most ``tile`` x
        ``tile`` pixels (each with a margin that the network and the window see), so that memory
        stays bounded; the tiles give the whole frame's result."""
        color, guides = as_tensor(half.color), [as_tensor(g) for g in half.guides()]
        height, width = color.shape[-2:]
        out = torch.empty_like(color)
        margin = LAYERS + 1 + self.radius  # the network's reach (its convolutions and head), then the window's
        with torch.no_grad():
            for top in range(0, height, tile):
                for left in range(0, width, tile):
                    rows = slice(max(top - margin, 0), min(top + tile + margin, height))
                    columns = slice(max(left - margin, 0), min(left + tile + margin, width))
                    part_color, part_guides = color[..., rows, columns], [g[..., rows, columns] for g in guides]
                    params = self.net(network_input(part_color, part_guides))
                    part = bilateral_correction(part_color, part_guides, *params, radius=self.radius)
                    y, x = top - rows.start, left - columns.start
                    out[..., top : top + tile, left : left + tile] = part[..., y : y + tile, x : x + tile]
        return out[0].permute(1, 2, 0).clamp_min(0).numpy()

    def loss(self, pair: "TrainingPair", corners: torch.Tensor, crop: int) -> torch.Tensor:
        """The symmetric relative loss on ``pair``'s crops at ``corners``: each half's corrected
        output against the other half, ``(f(A) − B)² / (mean D(B)² + 0.01)``, over the pixels counted."""
        halves = [(crops(color, corners, crop), [crops(g, corners, crop) for g in guides]) for color, guides in pair.halves]
        counted = crops(pair.counted, corners, crop)
        loss = torch.zeros(())
        for (color, guides), (target, target_guides) in (halves, halves[::-1]):
            out = bilateral_correction(color, guides, *self.net(network_input(color, guides)), radius=self.radius)
            scale = target_guides[0].mean(1, keepdim=True).square() + 0.01
            error = (out - target).square() / scale * counted
            loss = loss + error.sum() / (3 * counted.sum()).clamp_min(1) / 2
        return loss

    def fit(
        self, a: Half, b: Half, steps: int = 100, rate: float = 1e-3, trained_on: np.ndarray | None = None, seed: int = 0, on_step=None
    ) -> int:
        """Train on :data:`CROP`-sided crops of both halves, :data:`BATCH` a step, each half the
        other's target, for ``steps`` steps; returns the steps taken. ``trained_on`` (an (H, W) bool
        mask) leaves the pixels where it is False out of the loss, to judge the fit there.
        ``on_step()``, if given, is called after each step (a progress bar's)."""
        pair = TrainingPair.of(a, b, trained_on)
        height, width = pair.size
        crop = min(CROP, height, width)
        generator = torch.Generator().manual_seed(seed)
        optimiser = torch.optim.Adam(self.net.parameters(), lr=rate)
        taken = 0
        self.net.train()
        while taken < steps:
            loss = self.loss(pair, crop_corners(pair.size, crop, BATCH, generator), crop)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            taken += 1
            if on_step is not None:
                on_step()
        self.net.eval()
        return taken


@dataclass(frozen=True)
class TrainingPair:
    """Two halves of one view as tensors (each its color and guides), and the (1, 1, H, W) mask
    of the pixels that the loss counts."""

    halves: tuple
    counted: torch.Tensor

    @classmethod
    def of(cls, a: Half, b: Half, trained_on: np.ndarray | None = None) -> "TrainingPair":
        """The pair of halves ``a`` and ``b``, counting the pixels where ``trained_on`` is True (default: all)."""
        halves = tuple((as_tensor(h.color), [as_tensor(g) for g in h.guides()]) for h in (a, b))
        size = a.color.shape[:2]
        counted = torch.ones(1, 1, *size) if trained_on is None else torch.from_numpy(trained_on).float()[None, None]
        return cls(halves, counted)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of its frames."""
        return tuple(self.counted.shape[-2:])


def crop_corners(size: tuple[int, int], crop: int, batch: int, generator: torch.Generator) -> torch.Tensor:
    """``batch`` random (y, x) corners of ``crop``-sided crops inside a frame of ``size``."""
    return torch.stack([torch.randint(0, n - crop + 1, (batch,), generator=generator) for n in size], 1)


def held_out_error(output: np.ndarray, other: np.ndarray, scale: np.ndarray) -> float:
    """The mean relative squared difference of ``output`` (made from one half alone) from the
    ``other`` half: the output's relative MSE plus a constant, the other half's own noise, since
    the two halves' noise is independent. Comparing two outputs of the same half by it ranks
    them as a reference would, with no reference."""
    return float(np.mean((output - other) ** 2 / (scale.mean(-1, keepdims=True) ** 2 + 0.01)))


@dataclass(frozen=True)
class Correction:
    """A frame corrected from its two halves: its color, whether the correction was kept (else it
    is the denoiser's own output), the held-out estimates that decided it (:func:`held_out_error`,
    lower is better), the training steps and the seconds taken (by :func:`correct_frame`, or in
    all by :meth:`mcdenoise.denoise.hook.Denoiser.corrected`)."""

    color: np.ndarray
    kept: bool
    estimate: float
    denoiser_estimate: float
    steps: int
    seconds: float

    def summary(self, denoiser: str) -> str:
        """One line: what was kept, by which estimates, and the time taken."""
        verdict = "corrected" if self.kept else f"{denoiser} kept, the correction was not ahead"
        return (
            f"{verdict} (held-out error {self.estimate:.4g} against {denoiser}'s {self.denoiser_estimate:.4g}; "
            f"{self.steps} steps, {self.seconds:.1f} s)"
        )


def held_out_tiles(height: int, width: int, tile: int = 32, share: float = 0.25, seed: int = 0) -> np.ndarray:
    """An (H, W) bool mask, True on the pixels of about ``share`` of the ``tile``-sided tiles, drawn at random."""
    rng = np.random.default_rng(seed)
    chosen = rng.random(((height + tile - 1) // tile, (width + tile - 1) // tile)) < share
    return np.kron(chosen, np.ones((tile, tile), dtype=bool))[:height, :width]


def half_of(frame, denoised: np.ndarray, aux: tuple[str, ...] = ("albedo", "normal")) -> Half:
    """A :class:`Half` of an EXR frame (:class:`mcdenoise.io.exr.Frame`) and the denoiser's
    output for it: its color, NaN, infinite and negative values as 0 (as the denoiser takes
    them), and those of the features ``aux`` (albedo, normal) that the frame has."""
    color = frame.stack(COLOR)
    color = np.where(invalid_color(color), 0, color).astype(np.float32)
    features = [
        np.nan_to_num(frame.stack(names)) if feature in aux and all(n in frame.channels for n in names) else None
        for feature, names in (("albedo", ALBEDO), ("normal", NORMAL))
    ]
    return Half(color, denoised, *features)


def oidn_half(frame, aux: tuple[str, ...] = ("albedo", "normal")) -> Half:
    """:func:`half_of` ``frame`` with Intel OIDN's output of it, OIDN given the same features."""
    half = half_of(frame, np.empty(0, np.float32), aux)
    return replace(half, denoised=oidn_denoise(half.color, half.albedo, half.normal))


def correct_frame(
    a: Half,
    b: Half,
    whole: Half,
    steps: int = STEPS,
    learning_rate: float = LEARNING_RATE,
    radius: int = RADIUS,
    seed: int = 0,
    on_step=None,
) -> Correction:
    """Correct ``whole`` (the frame with the samples of both halves, and the denoiser's output of
    it) by a :class:`Corrector` fitted to halves ``a`` and ``b`` with a quarter of the frame's
    tiles held out of its loss. The correction is kept only if, on those tiles, both halves'
    corrected outputs are closer to the other half than the denoiser's are
    (:func:`held_out_error`), so it is never behind the denoiser but for the estimate's own noise.
    ``on_step()`` is called after each training step."""
    started = time.monotonic()
    held = held_out_tiles(*a.color.shape[:2], seed=seed)
    corrector = Corrector(len(a.guides()), seed=seed, radius=radius)
    taken = corrector.fit(a, b, steps=steps, rate=learning_rate, seed=seed, trained_on=~held, on_step=on_step)

    def estimate(first: np.ndarray, second: np.ndarray) -> float:
        """Both halves' outputs against the other half, on the held-out tiles."""
        errors = [held_out_error(out[held], other.color[held], other.denoised[held]) for out, other in ((first, b), (second, a))]
        return sum(errors) / 2

    mine = estimate(corrector.correct(a), corrector.correct(b))
    theirs = estimate(a.denoised, b.denoised)
    kept = mine < theirs
    color = corrector.correct(whole) if kept else whole.denoised
    return Correction(color, kept, mine, theirs, taken, time.monotonic() - started)


def corrected_halves(denoiser, first, second, steps: int = STEPS, names=("first half", "second half"), on_step=None) -> Correction:
    """:meth:`mcdenoise.denoise.hook.Denoiser.corrected` for any ``denoiser`` that has
    ``features`` and ``denoise_frame(frame, name)``: the two halves (EXR frames) merged and
    denoised once, corrected by :func:`correct_frame`, the seconds counted in all."""
    started = time.monotonic()
    read_halves(denoiser.features, first, second, names)
    halves = [half_of(frame, denoiser.denoise_frame(frame, name)) for frame, name in zip((first, second), names, strict=True)]
    merged = merge_halves(first, second)
    whole = half_of(merged, denoiser.denoise_frame(merged, "the merged halves"))
    correction = correct_frame(*halves, whole, steps=steps, on_step=on_step)
    return replace(correction, seconds=time.monotonic() - started)
