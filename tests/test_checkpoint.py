"""Model files (mcdenoise.io.checkpoint): the bundled models load with their run's options typed,
every kind of run is written back as it was read, and a bad field of the options is named."""

from dataclasses import asdict

import pytest
import torch

from mcdenoise.config import LiveConfig, TrainConfig, UNetConfig
from mcdenoise.errors import ModelError
from mcdenoise.features import FeatureSet
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.checkpoint import Checkpoint, LiveRun, load_checkpoint, save_checkpoint
from mcdenoise.learn.model import UNet


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    model = UNet(UNetConfig(width=4, depth=2))
    return Checkpoint(model.config, FeatureSet(), model.state_dict())


def test_the_bundled_models_load_with_their_options_typed_and_save_as_they_were(tmp_path):
    for path in sorted(BASE_MODEL.parent.glob("*.pt")):
        checkpoint = load_checkpoint(path)
        assert isinstance(checkpoint.train_config, TrainConfig)
        grown = path.name == "color_model.pt"  # grown from the base, its feature inputs dropped
        assert (checkpoint.train_config.init != "scratch") == grown, (path.name, checkpoint.train_config.init)
        save_checkpoint(tmp_path / path.name, checkpoint)
        before, after = (torch.load(p, weights_only=True) for p in (path, tmp_path / path.name))
        assert after["train_config"] == before["train_config"]
        assert list(after["train_config"]) == list(before["train_config"])


@pytest.mark.parametrize(
    ("options", "stored"),
    [
        (None, {}),
        (TrainConfig(steps=5, minutes=1.5), {**asdict(TrainConfig()), "steps": 5, "minutes": 1.5}),
        (LiveRun(LiveConfig(prior="none"), 3), {"live": {**asdict(LiveConfig()), "prior": "none"}, "frames": 3}),
    ],
)
def test_each_kind_of_run_is_written_and_read_back(small, tmp_path, options, stored):
    save_checkpoint(tmp_path / "m.pt", Checkpoint(small.model_config, small.features, small.weights, train_config=options, step=7))
    assert torch.load(tmp_path / "m.pt", weights_only=True)["train_config"] == stored
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert (loaded.train_config, loaded.step) == (options, 7)


@pytest.mark.parametrize(
    ("stored", "fault"),
    [
        ({**asdict(TrainConfig()), "steps": "many"}, "train_config: steps"),
        ({**asdict(TrainConfig()), "retired": 1}, "train_config: retired"),
        ({"live": {**asdict(LiveConfig()), "buffer": 2.5}, "frames": 3}, "train_config: live: buffer"),
        ({"live": asdict(LiveConfig()), "frames": -1}, "train_config: frames"),
    ],
)
def test_a_bad_field_of_the_options_is_named(small, tmp_path, stored, fault):
    save_checkpoint(tmp_path / "m.pt", small)
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["train_config"] = stored
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ModelError, match=f"bad.pt: the model file is inconsistent \\({fault}\\)"):
        load_checkpoint(tmp_path / "bad.pt")
