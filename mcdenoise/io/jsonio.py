"""Atomic JSON files (manifests), so a crash never leaves a half-written one."""

import json
from pathlib import Path

from mcdenoise.errors import JobError
from mcdenoise.io.files import atomic_output


def write_json(path, data) -> None:
    """Write ``data`` as indented JSON to ``path`` via a temporary file and rename."""
    with atomic_output(path) as temp:
        temp.write_text(json.dumps(data, indent=1) + "\n")


def read_json(path) -> dict:
    """Read a JSON object from ``path``; raises :class:`JobError` when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise JobError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(data, dict):
        raise JobError(f"{path}: expected a JSON object")
    return data
