"""The add-on's long work, ``render-pairs`` and ``train``, as mcdenoise commands in processes of
their own, so Blender's interface stays live: their command lines, and :class:`Job`, which runs
one and reads its progress bar as it goes.

The process writes to a pseudo-terminal where there is one (Linux, macOS), so mcdenoise redraws
its progress bar at every step; elsewhere to a pipe, where it prints a line every 10 s.
"""

import codecs
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path

#: The count or percentage of a progress line: ``render-pairs box [####----] 3/8 12s eta 20s``.
_PROGRESS = re.compile(r"\[[#-]+\]\s+(?:(\d+)/(\d+)|(\d+)%)")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ERROR = "mcdenoise: error: "


def progress_of(line: str) -> float | None:
    """The fraction done that a line of mcdenoise's progress bar shows, or None for another line."""
    match = _PROGRESS.search(line)
    if match is None:
        return None
    done, total, percent = match.groups()
    if percent is not None:
        return min(int(percent) / 100, 1.0)
    return min(int(done) / int(total), 1.0) if int(total) else 1.0


def mcdenoise_command(args: list[str], paths: list[str], blender: str = "") -> list[str]:
    """The command line of ``mcdenoise ARGS``. ``blender``, Blender's own binary, runs it in the
    background (where it opens a .blend: Blender's Python has no ``bpy`` module outside Blender,
    and ignores ``PYTHONPATH``, so ``paths`` go to ``sys.path`` there); without it, this Python."""
    if blender:
        code = f"import sys; sys.path[:0] = {paths!r}; from mcdenoise.cli import main; sys.exit(main({args!r}))"
        return [blender, "--background", "--factory-startup", "--python-expr", code]
    return [sys.executable, "-m", "mcdenoise", *args]


def render_pairs_args(blend: Path, out: Path, views: int, pairs: int, spp: int, pixels: int) -> list[str]:
    """``mcdenoise render-pairs``'s arguments for pairs of ``blend`` in ``out``."""
    args = ["render-pairs", str(blend), "--out", str(out), "--views", str(views), "--pairs", str(pairs)]
    return args + ["--spp", str(spp), "--pixels", str(pixels)]


def train_args(pairs: Path, model: Path, minutes: float, steps: int) -> list[str]:
    """``mcdenoise train``'s arguments: fine-tune on the pairs in ``pairs`` into ``model`` (resumed
    where it is there), for ``minutes`` and/or ``steps`` (0: no such budget)."""
    return ["train", str(pairs), "--out", str(model), "--minutes", f"{minutes:g}", "--steps", str(steps)]


def python_paths(packages: str) -> list[str]:
    """The folders that a process needs to import what this one imports: the add-on's packages
    folder and the one that holds this Python's mcdenoise."""
    import mcdenoise

    paths = [packages] if packages else []
    return paths + [str(Path(mcdenoise.__file__).resolve().parent.parent)]


class Job:
    """One command in a process of its own; a thread reads its output as it comes.

    ``done()`` says whether it has ended; ``status()`` is the last progress line and the fraction
    it shows; ``result()`` waits for the end and raises :class:`mcdenoise.errors.JobError` with
    the command's own one-line error where it failed; ``cancel()`` ends it. ``folder``, a
    temporary folder that the command reads (a copy of the .blend), is removed at the end.
    """

    def __init__(self, command: list[str], label: str, paths=(), folder: tempfile.TemporaryDirectory | None = None):
        self.label = label
        self._folder = folder
        self._lines: deque[str] = deque(maxlen=50)
        self._progress = ("", None)
        self._lock = threading.Lock()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [env.get("PYTHONPATH")])])
        read_fd, write_fd = self._output_ends()
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd, env=env)
        except OSError:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the child holds its own copy: the reader sees the end when the child ends
        self._reader = threading.Thread(target=self._read, args=(read_fd,), name=f"mcdenoise {label}", daemon=True)
        self._reader.start()

    @staticmethod
    def _output_ends() -> tuple[int, int]:
        if os.name == "posix":
            import pty

            return pty.openpty()
        return os.pipe()

    def _read(self, fd: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        partial = ""
        try:
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # a pseudo-terminal whose other end is closed
                    break
                if not chunk:
                    break
                parts = re.split(r"[\r\n]", partial + decoder.decode(chunk))
                partial = parts.pop()
                for part in parts:
                    self._take(part)
            self._take(partial)
        finally:
            os.close(fd)

    def _take(self, text: str) -> None:
        line = _ESCAPE.sub("", text).strip()
        if not line:
            return
        fraction = progress_of(line)
        with self._lock:
            if fraction is not None:
                self._progress = (line, fraction)
            else:
                self._lines.append(line)

    def done(self) -> bool:
        """Whether the process has ended."""
        return self.process.poll() is not None

    def status(self) -> tuple[str, float | None]:
        """The last progress line (or other line, before the first) and its fraction done."""
        with self._lock:
            line, fraction = self._progress
            return (line or (self._lines[-1] if self._lines else f"{self.label}: starting")), fraction

    def error_line(self) -> str:
        """The command's one-line error: its ``mcdenoise: error:`` line, else its last line."""
        with self._lock:
            lines = list(self._lines)
        errors = [line for line in lines if line.startswith(_ERROR)]
        if errors:
            return errors[-1][len(_ERROR) :]
        return lines[-1] if lines else f"exit status {self.process.returncode}"

    def result(self) -> None:
        """Wait for the end; raise :class:`mcdenoise.errors.JobError` in one line where it failed."""
        from mcdenoise.errors import JobError

        code = self.process.wait()
        self._reader.join()
        self._cleanup()
        if code != 0:
            raise JobError(f"{self.label} failed: {self.error_line()}")

    def cancel(self) -> None:
        """End the process (what it has written stays: rerunning the same command resumes)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
