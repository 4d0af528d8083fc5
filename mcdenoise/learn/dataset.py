"""Training data: examples of (noisy input, target) from render-pairs directories, as tensors.

Noise2Noise: each noisy frame's target is the mean of its view's other noisy
frames. With one pair per view that is A -> B and B -> A; with more pairs
(``render-pairs --pairs``) the target averages more independent seeds, so it is
still unbiased (no frame is its own target) and less noisy. For comparison,
"clean" targets pair each noisy frame with its view's high-spp reference
(Noise2Clean). Crops are random, with random flips and 90-degree rotations.
Targets are scaled by the input's exposure, so the network always works on a
mid-grey-normalised frame.

Frames rendered with the emission split (``render-pairs --split-emission``) are
learnt from without the light seen directly: the feature set's
:meth:`~mcdenoise.features.FeatureSet.read` takes it out of input and target colors alike.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mcdenoise.errors import JobError
from mcdenoise.features import FeatureSet, sanitize
from mcdenoise.io.exr import Frame
from mcdenoise.io.layout import LayoutRequest, read_frame, require_features
from mcdenoise.io.pairs_dir import read_pairs_directory
from mcdenoise.learn.encode import encode, exposure_scale
from mcdenoise.learn.prior import with_prior
from mcdenoise.metrics import shared_noise


@dataclass
class NoisyFrame:
    """One frame ready for training: encoded input, linear color and exposure."""

    encoded: torch.Tensor  # (C, H, W)
    color: torch.Tensor  # (3, H, W) linear radiance
    exposure: float


@dataclass
class ValidationView:
    """A noisy frame with a high-spp reference of the same view."""

    name: str
    channels: np.ndarray  # (H, W, C) linear, laid out as the feature set
    reference: np.ndarray  # (H, W, 3) linear
    emission: np.ndarray | None = None  # (H, W, 3) to add to the denoised color: the split-off emission


def emission_split_of(directories) -> bool:
    """Whether the render-pairs ``directories`` were rendered with the emission split; raises
    :class:`JobError` when some were and some were not."""
    splits = {str(d): read_pairs_directory(d).emission_split for d in directories}
    if len(set(splits.values())) > 1:
        split = ", ".join(d for d, v in splits.items() if v)
        raise JobError(f"only some directories were rendered with --split-emission ({split}); train on one kind at a time")
    return any(splits.values())


def _read_channels(path: Path, features: FeatureSet, layout: LayoutRequest | None) -> tuple[np.ndarray, Frame]:
    """``path``'s channels laid out as ``features.channels`` (found by ``layout``), and the frame."""
    frame, found = read_frame(path, layout)
    require_features(frame, found, features.aux, path)
    return features.read(frame, path), frame


def _reference_color(path: Path, features: FeatureSet, layout: LayoutRequest | None) -> np.ndarray:
    """A reference's (H, W, 3) color: its final image (Blender's Combined), less the emission it
    saw with the emission split."""
    frame, found = read_frame(path, layout)
    if features.emission_split:
        return FeatureSet((), True).read(frame, path)
    return frame.stack(found.color_out)


def _view_channels(view, features: FeatureSet, layout: LayoutRequest | None) -> list[np.ndarray]:
    """Every frame of ``view``'s pairs, checked: one size throughout, and the two frames of each
    pair not the same image (which would be no pair: the same seed, or one file twice)."""
    channels = []
    for first, second in view.pairs:
        pair = [_read_channels(path, features, layout)[0] for path in (first, second)]
        if pair[0].shape != pair[1].shape:
            raise JobError(
                f"{second}: is {pair[1].shape[1]}x{pair[1].shape[0]}, its pair {first.name} {pair[0].shape[1]}x{pair[0].shape[0]}"
            )
        if np.array_equal(pair[0][..., :3], pair[1][..., :3]):
            raise JobError(f"{first} and {second.name}: the same image; a pair is the same frame rendered with two different seeds")
        reason = shared_noise(pair[0], pair[1])
        if reason:
            raise JobError(f"{first} and {second.name}: {reason}")
        if channels and pair[0].shape != channels[0].shape:
            raise JobError(f"{first}: is {pair[0].shape[1]}x{pair[0].shape[0]}, unlike the other frames of {view.name}")
        channels += pair
    return channels


def noisy_frame(channels: np.ndarray, features: FeatureSet) -> NoisyFrame:
    """A frame ready for training from its (H, W, C) channels laid out as ``features.channels``
    (as :meth:`FeatureSet.read` gives them); the prior, if any, runs here on the whole frame."""
    channels = channels.copy()
    color, _ = sanitize(channels[..., :3])
    channels[..., :3] = color
    exposure = exposure_scale(color)
    return NoisyFrame(
        encoded=encode(torch.from_numpy(with_prior(channels, features)), features, exposure),
        color=torch.from_numpy(np.ascontiguousarray(color.transpose(2, 0, 1))),
        exposure=exposure,
    )


#: What a network learns from: (noisy input, linear target color (3, H, W)).
Example = tuple[NoisyFrame, torch.Tensor]


def load_examples(
    directories, features: FeatureSet, targets: str = "noisy", layout: LayoutRequest | None = None
) -> tuple[list[Example], list[ValidationView]]:
    """Training examples, and every view that has a reference, from render-pairs directories or
    folders of pairs from another renderer (:func:`mcdenoise.io.pairs_dir.read_pairs_directory`),
    their features found by ``layout`` (:mod:`mcdenoise.io.layout`).

    ``targets`` is ``noisy`` (each frame's target is the mean of its view's other
    finished frames) or ``clean`` (each noisy frame's target is its view's reference).
    With ``features.emission_split`` (see :func:`emission_split_of`) clean targets are the
    references without the emission seen in their own samples.
    """
    if targets not in ("noisy", "clean"):
        raise JobError(f"unknown targets {targets!r}; choose noisy or clean")
    examples, views = [], []
    for directory in map(Path, directories):
        for view in read_pairs_directory(directory).views:
            noisy = [noisy_frame(channels, features) for channels in _view_channels(view, features, layout)]
            if targets == "noisy":
                examples += noisy_target_examples(noisy)
            elif view.reference is not None:
                color, _ = sanitize(_reference_color(view.reference, features, layout))
                target = torch.from_numpy(np.ascontiguousarray(color.transpose(2, 0, 1)))
                examples += [(frame, target) for frame in noisy]
            if view.reference is not None and view.pairs:
                channels, first = _read_channels(view.pairs[0][0], features, layout)
                reference = read_frame(view.reference, layout)
                reference = reference[0].stack(reference[1].color_out)
                views.append(ValidationView(view.name, channels, reference, features.emission_to_add(first)))
    if not examples:
        hint = "with --reference-spp " if targets == "clean" else ""
        raise JobError(f"no finished pairs {hint}in {', '.join(map(str, directories))}; run 'mcdenoise render-pairs {hint}' first")
    return examples, views


def noisy_target_examples(frames: list[NoisyFrame]) -> list[Example]:
    """Noise2Noise examples of one view: each frame with the mean color of the view's other frames.

    The frames' seeds are independent, so each target's expectation is the clean image and its
    noise is independent of its input's. For a relative L2 loss with the denominator's gradient
    stopped, the mean target gives the mean of the gradients of the single-frame targets, with
    less variance.
    """
    others = [[other.color for other in frames if other is not frame] for frame in frames]
    return [(frame, torch.stack(colors).mean(0)) for frame, colors in zip(frames, others, strict=True) if colors]


class ExampleSampler:
    """Draws batches of random crops from examples, flipped and rotated, on one device.

    The examples are stacked once into tensors on ``device`` (one stack per frame size),
    each row the encoded input followed by the target in the input's exposure, so a batch
    is a single gather: no per-crop Python work, and no host-to-GPU copy per step.
    """

    def __init__(self, examples: list[Example], crop: int, alignment: int, generator: torch.Generator, device="cpu"):
        smallest = min(min(source.color.shape[1:]) for source, _ in examples)
        self.crop = max(alignment, min(crop, smallest) // alignment * alignment)
        if self.crop > smallest:
            raise JobError(f"frames of {smallest} pixels are smaller than the network's alignment {alignment}")
        self.generator = generator
        self.count = len(examples)
        self.input_width = examples[0][0].encoded.shape[0]
        by_size: dict[tuple[int, int], list[int]] = {}
        for index, (source, _) in enumerate(examples):
            by_size.setdefault(tuple(source.color.shape[1:]), []).append(index)
        #: Per frame size: (stacked examples (n, C + 3, H, W), the example indices they hold).
        self.stacks = []
        for indices in by_size.values():
            stack = torch.stack([torch.cat([examples[i][0].encoded, examples[i][1] * examples[i][0].exposure]) for i in indices])
            self.stacks.append((stack.to(device), torch.tensor(indices)))
        self.group_of = torch.empty(self.count, dtype=torch.long)
        self.row_of = torch.empty(self.count, dtype=torch.long)
        for group, (_, indices) in enumerate(self.stacks):
            self.group_of[indices] = group
            self.row_of[indices] = torch.arange(len(indices))
        # Where each pixel of a crop comes from in its window, for the 8 flips and rotations:
        # the same flip and rot90 applied to a grid of row and column numbers.
        rows, columns = torch.meshgrid(torch.arange(self.crop), torch.arange(self.crop), indexing="ij")
        grids = []
        for flip in (0, 1):
            grid = torch.stack([rows, columns])
            if flip:
                grid = grid.flip(2)
            grids += [torch.rot90(grid, turns, dims=(1, 2)) for turns in range(4)]
        self.source_pixels = torch.stack(grids).to(device)  # (8, 2, crop, crop)
        self.device = torch.device(device)

    def sample(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs (N, C, h, w), targets (N, 3, h, w)) on the device, targets in the input's exposure."""
        chosen = torch.randint(self.count, (batch,), generator=self.generator)
        corner = torch.rand((batch, 2), generator=self.generator, dtype=torch.float64)
        transform = torch.randint(8, (batch,), generator=self.generator)
        out = torch.empty((batch, self.input_width + 3, self.crop, self.crop), device=self.device)
        for group, (stack, _) in enumerate(self.stacks):
            members = torch.nonzero(self.group_of[chosen] == group).flatten()
            if not len(members):
                continue
            free = torch.tensor(stack.shape[2:], dtype=torch.float64) - self.crop + 1
            y, x = (corner[members] * free).long().unbind(1)
            pixels = self.source_pixels[transform[members].to(self.device)]  # (n, 2, crop, crop)
            rows = pixels[:, 0] + y.to(self.device)[:, None, None]
            columns = pixels[:, 1] + x.to(self.device)[:, None, None]
            picked = self.row_of[chosen[members]].to(self.device)[:, None, None]
            out[members.to(self.device)] = stack[picked, :, rows, columns].permute(0, 3, 1, 2)
        return out[:, :-3], out[:, -3:]
