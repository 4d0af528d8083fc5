"""A folder of pairs as training reads it, whatever wrote it: its views, and the protocol that the
reader of each kind of folder follows.

The kinds are asked in turn whether a folder is one of theirs
(:data:`mcdenoise.io.pairs_dir.FOLDER_KINDS`): a folder written by ``render-pairs``
(:mod:`mcdenoise.io.pairs_dir`), and folders of pairs from any other renderer
(:mod:`mcdenoise.io.own_pairs`). Another kind of folder is one more reader and one line there.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class View:
    """The finished frames of one view of a folder of pairs."""

    directory: Path
    view: int
    #: Each pair's two frames: paths, or frames kept as separate files (:class:`~mcdenoise.io.layout.FrameFiles`).
    pairs: tuple[tuple, ...]
    reference: Path | None
    #: The view's own name in a folder of pairs from another renderer (None: ``viewN``).
    label: str | None = None

    @property
    def name(self) -> str:
        """``DIRECTORY/viewN`` (or ``DIRECTORY/LABEL``), for messages and scores."""
        return f"{self.directory.name}/{self.label or f'view{self.view}'}"


@dataclass(frozen=True)
class PairsDirectory:
    """A folder of pairs as read: every view with a finished pair or a reference, in view order."""

    path: Path
    views: tuple[View, ...]
    #: Whether its frames carry the emission seen in their own samples (the emission split).
    emission_split: bool = False


class PairsFolder(Protocol):
    """The reader of one kind of folder of pairs."""

    def holds(self, directory: Path) -> bool:
        """Whether ``directory`` is a folder of this kind (by the files that it holds)."""
        ...

    def read(self, directory: Path) -> PairsDirectory:
        """The pairs of a folder that this kind holds; raises :class:`~mcdenoise.errors.JobError`
        naming the file at fault when it is malformed."""
        ...
