"""Option fields: a config dataclass's field that says how the command line shows it, and the
parsers of flag values that no type reads by itself. Torch-free, and free of argparse's parser:
:mod:`mcdenoise.cli` reads these declarations to build its flags.
"""

import argparse
from collections.abc import Callable
from dataclasses import MISSING, field
from typing import Any


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    flag: str | None = None,
    short: str | None = None,
    positional: bool = False,
    parse: Callable[[str], Any] | None = None,
    choices: tuple | None = None,
    metavar: str | None = None,
    nargs: str | None = None,
    const: Any = None,
    default_factory: Callable[[], Any] | None = None,
    expose: tuple[str, ...] | None = None,
) -> Any:
    """A dataclass field that the command line shows as ``flag`` (default: ``--`` + the field's
    name with dashes), ``short`` too, or as a positional argument; ``parse`` reads its text
    (default: the default's type), ``choices`` limits it. A field that holds an option dataclass
    lends the flags of its fields, or of those named in ``expose``."""
    metadata = {
        "help": help,
        "flag": flag,
        "short": short,
        "positional": positional,
        "parse": parse,
        "choices": choices,
        "metavar": metavar,
        "nargs": nargs,
        "const": const,
        "expose": expose,
    }
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def whole_number(minimum: int) -> Callable[[str], int]:
    """A flag's parser: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def non_negative(text: str) -> float:
    """A flag's parser: a number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {text}")
    return value


def image_size(text: str) -> tuple[int, int]:
    """A flag's parser: ``WIDTHxHEIGHT``, such as ``256x192``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 256x192, not {text!r}") from None
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"size {text} must be at least 1x1")
    return width, height
