"""A lock file per output directory, so two jobs never interleave their files."""

import os
from pathlib import Path

from mcdenoise.errors import JobError, OutputError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DirectoryLock:
    """Holds ``DIR/.mcdenoise.io.lock`` with this process's pid while a job writes into DIR.

    A lock left by a process that no longer runs (after ``kill -9``) is taken over.
    """

    def __init__(self, directory):
        self.path = Path(directory) / ".mcdenoise.io.lock"

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
