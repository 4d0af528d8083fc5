"""The README's Python examples run as written, against a real model and frame."""

import re
import shutil

import pytest

from mcdenoise.io.pairs_dir import frame_name

from conftest import REPO


def _example(name: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"README has no '{name}' example"
    return match.group(1)


@pytest.fixture
def workdir(tmp_path, monkeypatch, trained_model, test_dir):
    shutil.copy(trained_model, tmp_path / "model.pt")
    shutil.copy(test_dir / frame_name(0, 0, "a"), tmp_path / "frame.exr")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_hook_example(workdir):
    namespace = {}
    exec(_example("hook"), namespace)
    assert namespace["clean"].shape == namespace["color"].shape


def test_mitsuba_plugin_example(workdir):
    import mitsuba as mi
    import numpy as np

    namespace = {}
    exec(_example("mitsuba"), namespace)
    denoised = namespace["denoised"]
    assert denoised.shape == (64, 64, 3) and np.isfinite(denoised).all()
    mi.set_variant("scalar_rgb")
