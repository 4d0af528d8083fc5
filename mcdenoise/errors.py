"""Typed errors.

Library code raises these and never exits; only ``cli.py`` turns them into
exit codes. Every message names the file or value at fault and what to do.
"""


class McDenoiseError(Exception):
    """Base class of every error that mcdenoise reports to a user."""


class ExrError(McDenoiseError):
    """An EXR file cannot be read or written, or lacks channels we need."""


class SceneError(McDenoiseError):
    """A Mitsuba scene cannot be loaded or rendered as asked."""


class PixelError(McDenoiseError):
    """A frame holds NaN, infinite or negative color values and strict mode is on."""


class ModelError(McDenoiseError):
    """A model file is missing, corrupt, or does not fit the input."""


class OutputError(McDenoiseError):
    """An output path is unusable (it is the input, or not writable)."""


class JobError(McDenoiseError):
    """A render or training job cannot go on as asked (bad options, mismatched resume)."""
