"""Atomic JSON files (manifests), so a crash never leaves a half-written one."""

import json
import os
import tempfile
from pathlib import Path

from mcdenoise.errors import JobError


def write_json(path, data) -> None:
    """Write ``data`` as indented JSON to ``path`` via a temporary file and rename."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=1)
            stream.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
