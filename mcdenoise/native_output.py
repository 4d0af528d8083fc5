"""Quieting native libraries: what C code prints goes around Python's sys.stdout, to the file descriptors."""

import os
import sys
import tempfile
from contextlib import contextmanager


@contextmanager
def captured_native_output():
    """Capture what native libraries (OpenEXR, Blender) print on file descriptors 1 and 2 in the
    block, so that a problem reaches the user once, in our words. Yields a list that holds the
    captured text once the block ends."""
    captured: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.append(sink.read().decode(errors="replace"))
