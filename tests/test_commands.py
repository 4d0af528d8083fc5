"""Each command is a config dataclass and a run: the command line maps its flags onto the config,
and Python runs the same config to the same result."""

from dataclasses import MISSING, fields, is_dataclass

import numpy as np
import pytest

from mcdenoise.cli import _config, build_parser
from mcdenoise.commands import COMMANDS
from mcdenoise.commands.apply import ApplyConfig, run
from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name

from conftest import run_cli

#: The fewest arguments each command takes.
REQUIRED = {
    "render-pairs": ["scene.xml", "--out", "o"],
    "render-sequence": ["scene.xml", "--out", "o"],
    "live": ["scene.xml", "--out", "o"],
    "train": ["d", "--out", "m.pt"],
    "apply": ["f.exr"],
    "eval": ["f.exr", "--ref", "r.exr"],
    "demo": [],
}


def _defaults(config) -> dict:
    """Every field's default, nested configs as dicts."""
    values = {}
    for field in fields(config):
        if is_dataclass(field.type):
            values[field.name] = _defaults(field.type)
        elif field.default is MISSING and field.default_factory is not MISSING:
            values[field.name] = field.default_factory()
        else:
            values[field.name] = field.default
    return values


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_the_command_line_gives_each_config_field_its_declared_default(command):
    parsed = vars(build_parser().parse_args([command.name, *REQUIRED[command.name]]))
    config = _config(command.config, parsed)
    given = {"scene", "out", "dirs", "frames", "frame", "ref"}  # the arguments above, not defaults

    def compare(expected: dict, actual) -> None:
        for name, default in expected.items():
            if name in given:
                continue
            value = getattr(actual, name)
            if isinstance(default, dict):
                compare(default, value)
            else:
                assert value == default, (command.name, name, value, default)

    compare(_defaults(command.config), config)


def test_a_flag_lands_in_its_nested_field():
    parsed = vars(build_parser().parse_args(["render-pairs", "s.xml", "--out", "o", "--filter", "scene", "--spp", "8"]))
    config = _config(COMMANDS[0].config, parsed)
    assert (config.job.pixel_filter, config.job.spp, config.out) == ("scene", 8, "o")


def test_apply_run_from_python_writes_what_the_command_line_writes(test_dir, tmp_path):
    source = test_dir / frame_name(0, 0, "a")
    report = run(ApplyConfig(frames=[str(source)], output=str(tmp_path / "python.exr"), route="base", precision="fp32"))
    assert report.exit_code == 0 and str(tmp_path / "python.exr") in report.lines()[0][1]
    assert run_cli("apply", source, "-o", tmp_path / "cli.exr", "--route", "base", "--precision", "fp32").returncode == 0
    python, cli = (read_exr(tmp_path / f"{name}.exr").stack(COLOR) for name in ("python", "cli"))
    np.testing.assert_array_equal(python, cli)
