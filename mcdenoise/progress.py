"""A small progress bar on stderr, so long work shows that it is alive."""

import sys
import time


class Progress:
    """Counts finished units of work and redraws one status line.

    On a terminal the line is redrawn in place; elsewhere (logs, CI) a line is
    printed at most every ``log_every`` seconds.
    """

    def __init__(self, total: int, label: str, stream=None, log_every: float = 10.0, enabled: bool = True, percent: bool = False):
        self.total = max(int(total), 0)
        #: Show "37%" instead of "370/1000" (for work measured as a fraction, like a training budget).
        self.percent = percent
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.log_every = log_every
        self.enabled = enabled
        self.done = 0
        self.note = ""
        self._start = time.monotonic()
        self._last_log = float("-inf")  # the first update is always shown
        self._shown: tuple[int, str] | None = None  # the count and note of the last line printed
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, count: int = 1, note: str = "") -> None:
        """Record ``count`` more finished units and an optional status note."""
        self.done += count
        if note:
            self.note = note
        self._draw(final=False)

    def close(self) -> None:
        """Print the final state of the bar."""
        self._draw(final=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _draw(self, final: bool) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not self._tty and (now - self._last_log < self.log_every if not final else self._shown == (self.done, self.note)):
            return  # off a terminal: at most a line every log_every seconds, and the last state once
        self._last_log, self._shown = now, (self.done, self.note)
        elapsed = now - self._start
        fraction = self.done / self.total if self.total else 1.0
        width = 24
        filled = int(width * min(fraction, 1.0))
        bar = "#" * filled + "-" * (width - filled)
        eta = ""
        if 0 < self.done < self.total:
            eta = f" eta {elapsed / self.done * (self.total - self.done):.0f}s"
        count = f"{100 * fraction:.0f}%" if self.percent else f"{self.done}/{self.total}"
        line = f"{self.label} [{bar}] {count} {elapsed:.0f}s{eta} {self.note}".rstrip()
        if self._tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
