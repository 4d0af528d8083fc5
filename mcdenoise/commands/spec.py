"""How a command is declared: a config dataclass whose fields are flags
(:func:`mcdenoise.options.option`), a ``run(config, show_progress)`` function, and the report it returns.

The command line (:mod:`mcdenoise.cli`) reads these declarations and nothing else: a field made
with :func:`~mcdenoise.options.option` is a flag (or an argument), and a field holding another
option dataclass (:class:`mcdenoise.config.PairJob`, say) lends it the flags of that dataclass's
fields. Python callers build the same config and call the same ``run``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Report(Protocol):
    """What a command's ``run`` returns: its result, the lines the command line prints, and its exit status."""

    def lines(self) -> list[tuple[str, str]]:
        """``(stream, text)`` pairs to print, stream ``"out"`` or ``"err"``."""

    @property
    def exit_code(self) -> int:
        """0 when everything asked for was done."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, its texts for ``--help``, its config and its run."""

    name: str
    summary: str
    description: str
    config: type
    run: Callable[..., Report]
    epilog: str = ""


@dataclass
class Printed:
    """A report of lines alone, for commands whose result is what they wrote."""

    printed: list[tuple[str, str]] = field(default_factory=list)
    code: int = 0

    def lines(self) -> list[tuple[str, str]]:
        """The lines to print."""
        return self.printed

    @property
    def exit_code(self) -> int:
        """The exit status."""
        return self.code
