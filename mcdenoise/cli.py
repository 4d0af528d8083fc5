"""Command line: maps flags to each command's config dataclass and prints what its ``run`` reports.

Every flag, default, choice and help text is declared on the config dataclasses
(:mod:`mcdenoise.commands`, :mod:`mcdenoise.config`); this module decides nothing. It is the
only module that turns errors into exit codes: a :class:`McDenoiseError` becomes one line on
stderr and exit status 1.
"""

import argparse
import sys
from dataclasses import MISSING, fields, is_dataclass

from mcdenoise.commands import COMMANDS
from mcdenoise.errors import ConfigError, McDenoiseError

_DESCRIPTION = """\
mcdenoise: a Monte Carlo denoiser that learns from pairs of noisy renders (Noise2Noise).
No clean reference images are needed to train it.

The loop:
  mcdenoise render-pairs scene.xml --out renders/myscene              # 32 views x 4 noisy pairs
  mcdenoise train renders/myscene --out myscene.pt --minutes 10       # learn from them
  mcdenoise apply frame.exr --model myscene.pt                        # -> frame.denoised.exr
Training starts from the bundled base model (itself trained on noisy pairs of generated
scenes only). 'mcdenoise apply frame.exr' with no --model gives each frame Intel OIDN's
output or the base model's, whichever suits its noise (--route). Or all of it on a bundled scene:
  mcdenoise demo
"""


class _Parser(argparse.ArgumentParser):
    """Reports a bad option in one line, pointing at --help, instead of a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _default(field):
    if field.default is not MISSING:
        return field.default
    return field.default_factory() if field.default_factory is not MISSING else MISSING


def _add_flags(parser, config, flags: dict, prefix: str = "", expose=None) -> None:
    """A flag (or argument) for each option field of ``config``, and of the option dataclasses
    that it holds; ``flags`` gathers each field's flag, for naming it in errors."""
    for field in fields(config):
        meta = field.metadata
        if is_dataclass(field.type):
            group = parser.add_argument_group(*meta["group"]) if "group" in meta else parser
            _add_flags(group, field.type, flags, f"{prefix}{field.name}.", meta.get("expose"))
            continue
        if "help" not in meta or (expose is not None and field.name not in expose):
            continue
        default, dest = _default(field), prefix + field.name
        if meta["positional"]:
            parser.add_argument(dest, metavar=field.name, nargs=meta["nargs"], help=meta["help"])
            continue
        flag = flags[field.name] = meta["flag"] or "--" + field.name.replace("_", "-")
        names = [meta["short"], flag] if meta["short"] else [flag]
        shown = meta["help"] if default in (MISSING, None, False, []) else meta["help"] + " (default %(default)s)"
        if isinstance(default, bool):
            parser.add_argument(*names, dest=dest, action="store_true", help=shown)
            continue
        choices = meta["choices"]
        metavar = meta["metavar"] or (None if choices else flag.lstrip("-").upper().replace("-", "_"))
        kind = meta["parse"] or (type(default) if default not in (MISSING, None) and not isinstance(default, list) else str)
        parser.add_argument(
            *names,
            dest=dest,
            type=kind,
            default=None if default is MISSING else default,
            required=default is MISSING,
            choices=choices,
            metavar=metavar,
            nargs=meta["nargs"],
            const=meta["const"],
            help=shown,
        )


def _config(config, values: dict, prefix: str = ""):
    """An instance of ``config`` from the parsed ``values``; fields without a flag keep their defaults."""
    given = {}
    for field in fields(config):
        key = prefix + field.name
        if is_dataclass(field.type):
            given[field.name] = _config(field.type, values, key + ".")
        elif key in values:
            given[field.name] = values[key]
    return config(**given)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command. A parsed command's values hold its config fields by
    dotted name (``job.spp``), and ``_flags``: the flag of each field, for naming it in errors."""
    parser = _Parser(prog="mcdenoise", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            epilog=command.epilog or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        flags = {}
        _add_flags(sub, command.config, flags)
        sub.set_defaults(_flags=flags)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``mcdenoise`` console script."""
    values = vars(build_parser().parse_args(argv))
    command = next(c for c in COMMANDS if c.name == values["command"])
    try:
        report = command.run(_config(command.config, values), show_progress=not values["quiet"], log=print)
        for stream, text in report.lines():
            print(text, file=sys.stderr if stream == "err" else sys.stdout)
        return report.exit_code
    except ConfigError as error:
        named = {field: values["_flags"].get(field, "--" + field.replace("_", "-")) for field in error.fields}
        print(f"mcdenoise: error: {error.naming(named)}", file=sys.stderr)
        return 1
    except McDenoiseError as error:
        print(f"mcdenoise: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mcdenoise: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
