"""Training crops are flips and rotations of windows of one example, with the target in its exposure."""

import itertools

import pytest
import torch

from mcdenoise.learn.dataset import ExampleSampler, NoisyFrame


def _example(height: int, width: int, exposure: float, offset: float):
    encoded = offset + torch.arange(2 * height * width, dtype=torch.float32).reshape(2, height, width)
    color = torch.zeros(3, height, width)
    target = -torch.arange(3 * height * width, dtype=torch.float32).reshape(3, height, width) - offset
    return NoisyFrame(encoded=encoded, color=color, exposure=exposure), target


def _dihedral_windows(example, crop: int):
    """Every (input, target) crop that the sampler may draw from ``example``, as bytes."""
    source, target = example
    both = torch.cat([source.encoded, target * source.exposure])
    found = set()
    for y, x in itertools.product(range(both.shape[1] - crop + 1), range(both.shape[2] - crop + 1)):
        window = both[:, y : y + crop, x : x + crop]
        for flip, turns in itertools.product((False, True), range(4)):
            found.add(torch.rot90(window.flip(2) if flip else window, turns, dims=(1, 2)).contiguous().numpy().tobytes())
    return found


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_every_crop_is_a_transformed_window_of_one_example_of_any_size(device):
    examples = [_example(8, 8, 2.0, 0.0), _example(6, 10, 0.5, 1000.0), _example(8, 8, 4.0, 5000.0)]
    sampler = ExampleSampler(examples, crop=4, alignment=4, generator=torch.Generator().manual_seed(3), device=device)
    possible = set().union(*(_dihedral_windows(example, 4) for example in examples))
    seen_sizes, seen_transforms = set(), set()
    for _ in range(20):
        inputs, targets = sampler.sample(16)
        assert inputs.device.type == device
        inputs, targets = inputs.cpu(), targets.cpu()
        assert inputs.shape == (16, 2, 4, 4) and targets.shape == (16, 3, 4, 4)
        for crop_input, crop_target in zip(inputs, targets, strict=True):
            assert torch.cat([crop_input, crop_target]).numpy().tobytes() in possible
            seen_sizes.add(float(crop_input[0].min()) >= 1000.0)
            # The first channel increases along rows and columns of the window: its corner order shows the transform.
            corners = crop_input[0, [0, 0, -1, -1], [0, -1, 0, -1]]
            seen_transforms.add(tuple(torch.argsort(corners).tolist()))
    assert seen_sizes == {False, True}  # both frame sizes are drawn
    assert len(seen_transforms) == 8  # all flips and rotations occur


def test_the_same_generator_state_draws_the_same_batch():
    examples = [_example(8, 8, 1.0, 0.0), _example(8, 8, 3.0, 100.0)]
    generator = torch.Generator().manual_seed(7)
    sampler = ExampleSampler(examples, crop=4, alignment=4, generator=generator)
    state = generator.get_state()
    first = sampler.sample(5)
    generator.set_state(state)
    second = sampler.sample(5)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
