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

from mcdenoise.errors import OutputError


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
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes owner-only files; outputs get the usual mode
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def ensure_writable_directory(directory) -> Path:
    """Create ``directory`` if needed and prove that files can be written there.

    Raises :class:`OutputError` naming the directory when it cannot be created or
    written, so that a job fails before it does any work rather than after.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        verb = "create" if not directory.is_dir() else "write in"
        raise OutputError(f"{directory}: cannot {verb} the output directory ({error.strerror or error})") from None
    return directory


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
