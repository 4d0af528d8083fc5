"""Folders of pairs rendered by anything else (Blender, Arnold, any renderer: the same frame twice,
with two seeds), which have no manifest. Each kind has a reader of its own:

- :class:`PairsList`: a list, ``pairs.json``: ``[{"a": "A.exr", "b": "B.exr", "view": "shot1",
  "reference": "REF.exr"}, ...]`` with paths relative to the folder; entries of the same
  ``view`` (optional) are pairs of one view, and ``reference`` is optional. Each of ``a`` and
  ``b`` may instead be a frame kept as separate files, ``{"color": "A.exr", "albedo":
  "A_albedo.exr", "normal": "A_normal.exr", "depth": "A_depth.exr"}`` (the features optional);
- :class:`NamedPairs`: files named ``NAME_a.exr`` and ``NAME_b.exr``, each NAME a view of its own,
  with an optional ``NAME_ref.exr`` reference for scoring.

In either kind, a color file's features may also sit beside it as ``X.albedo.exr``,
``X.normal.exr`` and ``X.depth.exr`` (:func:`mcdenoise.io.layout.conventional_file`).
"""

import json
from pathlib import Path

from mcdenoise.errors import JobError
from mcdenoise.io.files import read_json
from mcdenoise.io.layout import SEPARATE_FEATURES, FrameFiles
from mcdenoise.io.pairs_folder import PairsDirectory, View

#: The list of a folder of pairs from another renderer (see the module's docstring).
PAIRS_LIST = "pairs.json"


class PairsList:
    """A folder whose ``pairs.json`` lists its pairs, grouped into views by their ``view``."""

    def holds(self, directory: Path) -> bool:
        """Whether ``directory`` has a ``pairs.json``."""
        return (directory / PAIRS_LIST).is_file()

    def read(self, directory: Path) -> PairsDirectory:
        """The listed pairs; raises :class:`JobError` when the list is malformed, empty or names a missing file."""
        listing = directory / PAIRS_LIST
        entries = read_json(listing, list)
        for index, entry in enumerate(entries):
            fault = _entry_fault(entry)
            if fault:
                form = '{"a": FRAME, "b": FRAME} ("view", "reference" optional), a FRAME a file or {"color": FILE, "albedo": FILE, ...}'
                raise JobError(f"{listing}: entry {index + 1} ({json.dumps(entry)[:80]}): {fault}; each is {form}")
        if not entries:
            raise JobError(f'{listing}: lists no pairs; list each as {{"a": FILE, "b": FILE}}')
        grouped: dict[str, dict] = {}
        for index, entry in enumerate(entries):
            view = grouped.setdefault(str(entry.get("view", f"pair{index}")), {"pairs": [], "reference": None})
            view["pairs"].append((_frame(directory, entry["a"]), _frame(directory, entry["b"])))
            if entry.get("reference"):
                view["reference"] = directory / entry["reference"]
        for view in grouped.values():
            frames = [frame for pair in view["pairs"] for frame in pair]
            files = [path for frame in frames for path in (frame.paths() if isinstance(frame, FrameFiles) else [frame])]
            for file in files + [view["reference"]] * bool(view["reference"]):
                if not file.is_file():
                    raise JobError(f"{file}: listed in {listing} but missing")
        return _pairs(directory, grouped)


class NamedPairs:
    """A folder of ``NAME_a.exr`` and ``NAME_b.exr`` files (and optional ``NAME_ref.exr``), a view per NAME."""

    def holds(self, directory: Path) -> bool:
        """Whether ``directory`` has a ``NAME_a.exr`` file."""
        return any(directory.glob("*_a.exr"))

    def read(self, directory: Path) -> PairsDirectory:
        """A view for each ``NAME_a.exr``; raises :class:`JobError` when its ``NAME_b.exr`` is missing."""
        grouped = {}
        for first in sorted(directory.glob("*_a.exr")):
            label = first.name[: -len("_a.exr")]
            second, reference = directory / f"{label}_b.exr", directory / f"{label}_ref.exr"
            if not second.is_file():
                raise JobError(
                    f"{first}: has no other frame {second.name}; a pair is NAME_a.exr and NAME_b.exr, the same frame with two seeds"
                )
            grouped[label] = {"pairs": [(first, second)], "reference": reference if reference.is_file() else None}
        return _pairs(directory, grouped)


def _frame(directory: Path, value) -> Path | FrameFiles:
    """A checked entry's frame: a path, or its separate files."""
    if isinstance(value, str):
        return directory / value
    features = tuple((feature, directory / value[feature]) for feature in SEPARATE_FEATURES if feature in value)
    return FrameFiles(directory / value["color"], features)


def _is_path(value) -> bool:
    return isinstance(value, str) and bool(value)


def _frame_fault(key: str, value) -> str | None:
    """What is wrong with an entry's frame ``value`` (a path, or an object of separate files)."""
    if isinstance(value, dict):
        if "color" not in value:
            return f"{key!r} has no 'color' file"
        unknown = sorted(set(value) - {"color", *SEPARATE_FEATURES})
        if unknown:
            return f"{key!r} has unknown field {', '.join(map(repr, unknown))}; its files are color, {', '.join(SEPARATE_FEATURES)}"
        for feature, file in value.items():
            if not _is_path(file):
                return f"{key}.{feature} must be a file's path (a string), not {json.dumps(file)[:40]}"
        return None
    if not _is_path(value):
        return f"{key!r} must be a file's path (a string) or an object of files, not {json.dumps(value)[:40]}"
    return None


def _entry_fault(entry) -> str | None:
    """What is wrong with a ``pairs.json`` entry (None: it names its two frames, and its reference
    and view if at all, as it should)."""
    if not isinstance(entry, dict):
        return "not an object"
    missing = [key for key in ("a", "b") if key not in entry]
    if missing:
        return f"no {' or '.join(repr(key) for key in missing)}"
    for key in ("a", "b"):
        fault = _frame_fault(key, entry[key])
        if fault:
            return fault
    if entry.get("reference") is not None and not _is_path(entry["reference"]):
        return f"'reference' must be a file's path (a string), not {json.dumps(entry['reference'])[:40]}"
    if "view" in entry and not isinstance(entry["view"], str | int):
        return f"'view' must be a name (a string), not {json.dumps(entry['view'])[:40]}"
    unknown = sorted(set(entry) - {"a", "b", "view", "reference"})
    if unknown:
        return f"unknown field {', '.join(map(repr, unknown))}"
    return None


def _pairs(directory: Path, grouped: dict[str, dict]) -> PairsDirectory:
    """The folder's views, in the order of ``grouped`` (label -> its pairs and reference)."""
    views = (View(directory, i, tuple(v["pairs"]), v["reference"], label) for i, (label, v) in enumerate(grouped.items()))
    return PairsDirectory(directory, tuple(views))
