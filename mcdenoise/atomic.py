"""Atomic file output: write to a hidden temporary file beside the target, then rename.

A crash (even ``kill -9``) leaves either the old file or the new one, never a
half-written one. Temporaries left by a killed process are named
``.NAME.*.partial*`` and are swept by :func:`remove_stale_partials`.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` when the block succeeds
    and is deleted when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial" + path.suffix, dir=path.parent)
    os.close(handle)
    try:
        yield Path(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_stale_partials(directory, name: str = "*") -> int:
    """Delete temporaries of ``name`` (default: any file) left in ``directory`` by a killed process.

    Call it only while no other process writes there (under the directory's lock,
    or for a file that only this job writes). Returns how many were removed.
    """
    removed = 0
    for temp in Path(directory).glob(f".{name}.*.partial*"):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed
