"""Files that survive a crash: atomic writes, JSON, hashes and a lock per output directory.

Every output is written to a hidden temporary file beside its target and then
renamed, so a crash (even ``kill -9``) leaves either the old file or the new
one, never a half-written one. Temporaries left by a killed process are named
``.NAME.*.partial*`` and are swept by :func:`remove_stale_partials`.
"""

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mcdenoise.errors import JobError, OutputError


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


def write_json(path, data) -> None:
    """Write ``data`` as indented JSON to ``path`` via a temporary file and rename."""
    with atomic_output(path) as temp:
        temp.write_text(json.dumps(data, indent=1) + "\n")


def read_json(path, kind: type = dict):
    """Read a JSON value of ``kind`` (an object, or ``list``) from ``path``; raises :class:`JobError`
    when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise JobError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(data, kind):
        raise JobError(f"{path}: expected a JSON {'object' if kind is dict else 'list'}")
    return data


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes (recorded so that renders name the exact scene)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DirectoryLock:
    """Holds ``DIR/.mcdenoise.lock`` with this process's pid while a job writes into DIR.

    A lock left by a process that no longer runs (after ``kill -9``) is taken over.
    """

    def __init__(self, directory):
        self.path = Path(directory) / ".mcdenoise.lock"

    def __enter__(self):
        for _ in range(2):
            if self._try_create():
                return self
            owner = self._owner()
            if owner and owner != os.getpid() and _alive(owner):
                raise JobError(
                    f"{self.path.parent}: another mcdenoise job (pid {owner}) is writing here; wait for it or choose another --out"
                )
            self.path.unlink(missing_ok=True)  # stale: its job was killed
        raise JobError(f"{self.path}: could not take the lock file")

    def _try_create(self) -> bool:
        try:
            handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except OSError as error:
            raise OutputError(f"{self.path.parent}: cannot write in the output directory ({error.strerror})") from None
        with os.fdopen(handle, "w") as stream:
            stream.write(str(os.getpid()))
        return True

    def _owner(self) -> int:
        try:
            return int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)
        return False
