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


class FrameError(McDenoiseError):
    """A frame given as arrays or tensors does not have the shape or features that the model needs."""


class PixelError(McDenoiseError):
    """A frame holds NaN, infinite or negative color values and strict mode is on."""


class ModelError(McDenoiseError):
    """A model file is missing, corrupt, or does not fit the input."""


class OutputError(McDenoiseError):
    """An output path is unusable (it is the input, or not writable)."""


class JobError(McDenoiseError):
    """A render or training job cannot go on as asked (bad options, mismatched resume)."""


class ConfigError(McDenoiseError):
    """Options that cannot make a job.

    ``template`` names each option at fault as ``{field}``: the message speaks of parameters
    (``spp must be at least 1``), and the command line puts flags in their place
    (``--spp must be at least 1``) with :meth:`naming`.
    """

    def __init__(self, template: str, *fields: str):
        self.template, self.fields = template, fields
        super().__init__(self.naming({field: field for field in fields}))

    def naming(self, names: dict[str, str]) -> str:
        """The message with each field called by ``names[field]`` (a flag, say)."""
        text = self.template
        for field in self.fields:
            text = text.replace("{" + field + "}", names.get(field, field))
        return text
