"""Training data: examples of (noisy input, target) from render-pairs directories, as tensors.

Noise2Noise: each pair gives two examples, A -> B and B -> A. For comparison,
"clean" targets pair each noisy frame with its view's high-spp reference
(Noise2Clean). Crops are random, with random flips and 90-degree rotations.
Targets are scaled by the input's exposure, so the network always works on a
mid-grey-normalised frame.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mcdenoise.errors import JobError
from mcdenoise.exr import read_exr
from mcdenoise.features import FeatureSet, encode, exposure_scale, sanitize
from mcdenoise.pairs import frame_name, read_manifest


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


def load_frame_channels(path: Path, features: FeatureSet) -> np.ndarray:
    """(H, W, C) channels of an EXR in ``features.channels`` order; raises if any is missing."""
    return read_exr(path).require(features.channels, path, " that the model needs")


def _noisy_frame(path: Path, features: FeatureSet) -> NoisyFrame:
    channels = load_frame_channels(path, features)
    color, _ = sanitize(channels[..., :3])
    channels[..., :3] = color
    exposure = exposure_scale(color)
    return NoisyFrame(
        encoded=encode(torch.from_numpy(channels), features, exposure),
        color=torch.from_numpy(np.ascontiguousarray(color.transpose(2, 0, 1))),
        exposure=exposure,
    )


#: What a network learns from: (noisy input, linear target color (3, H, W)).
Example = tuple[NoisyFrame, torch.Tensor]


def load_examples(directories, features: FeatureSet, targets: str = "noisy") -> tuple[list[Example], list[ValidationView]]:
    """Training examples, and every view that has a reference, from render-pairs directories.

    ``targets`` is ``noisy`` (each frame of a pair is the other's target) or
    ``clean`` (each noisy frame's target is its view's reference).
    """
    if targets not in ("noisy", "clean"):
        raise JobError(f"unknown targets {targets!r}; choose noisy or clean")
    examples, views = [], []
    for directory in map(Path, directories):
        manifest = read_manifest(directory)
        frames = manifest["frames"]
        references = {}
        if targets == "clean":
            for name, record in frames.items():
                if record["side"] == "ref":
                    color, _ = sanitize(read_exr(directory / name).stack(features.channels[:3]))
                    references[record["view"]] = torch.from_numpy(np.ascontiguousarray(color.transpose(2, 0, 1)))
        for name, record in sorted(frames.items()):
            if record["side"] == "a":
                partner = frame_name(record["view"], record["pair"], "b")
                if partner not in frames:
                    continue
                a, b = _noisy_frame(directory / name, features), _noisy_frame(directory / partner, features)
                if targets == "noisy":
                    examples += [(a, b.color), (b, a.color)]
                elif record["view"] in references:
                    examples += [(a, references[record["view"]]), (b, references[record["view"]])]
            elif record["side"] == "ref":
                first = frame_name(record["view"], 0, "a")
                if first in frames:
                    reference = read_exr(directory / name).stack(features.channels[:3])
                    views.append(
                        ValidationView(
                            f"{directory.name}/view{record['view']}", load_frame_channels(directory / first, features), reference
                        )
                    )
    if not examples:
        hint = "with --reference-spp " if targets == "clean" else ""
        raise JobError(f"no finished pairs {hint}in {', '.join(map(str, directories))}; run 'mcdenoise render-pairs {hint}' first")
    return examples, views


class ExampleSampler:
    """Draws batches of random crops from examples, flipped and rotated."""

    def __init__(self, examples: list[Example], crop: int, alignment: int, generator: torch.Generator):
        smallest = min(min(source.color.shape[1:]) for source, _ in examples)
        self.crop = max(alignment, min(crop, smallest) // alignment * alignment)
        if self.crop > smallest:
            raise JobError(f"frames of {smallest} pixels are smaller than the network's alignment {alignment}")
        self.examples = examples
        self.generator = generator

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1,), generator=self.generator))

    def sample(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs (N, C, h, w), targets (N, 3, h, w)) with targets in the input's exposure."""
        inputs, targets = [], []
        for _ in range(batch):
            source, target = self.examples[self._randint(len(self.examples))]
            _, height, width = source.color.shape
            y, x = self._randint(height - self.crop + 1), self._randint(width - self.crop + 1)
            window = (slice(None), slice(y, y + self.crop), slice(x, x + self.crop))
            both = torch.cat([source.encoded[window], target[window] * source.exposure])
            if self._randint(2):
                both = both.flip(2)
            both = torch.rot90(both, self._randint(4), dims=(1, 2))
            inputs.append(both[:-3])
            targets.append(both[-3:])
        return torch.stack(inputs), torch.stack(targets)
