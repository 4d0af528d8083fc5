"""The pairs directory: the one module that reads and writes its format.

A directory written by ``mcdenoise render-pairs`` holds::

    manifest.json                 job settings, cameras, and every finished frame's seed
    view000_pair000_a.exr         frame A of pair 0 of view 0
    view000_pair000_b.exr         frame B, same camera, independent seed (the features are shared)
    view000_ref.exr               optional high-spp reference (evaluation only)

A frame counts as finished only once it is recorded in the manifest and its file
exists. Each frame's EXR header repeats its record (``mcdenoise.*`` attributes),
so a frame copied out of its directory still says how it was made.

Pairs rendered by anything else (Blender, Arnold, any renderer: the same frame
twice with two seeds) are a folder without a manifest, read by
:func:`read_pairs_directory` too, in one of two ways:

- files named ``NAME_a.exr`` and ``NAME_b.exr``, each NAME a view of its own, with
  an optional ``NAME_ref.exr`` reference for scoring;
- a list, ``pairs.json``: ``[{"a": "A.exr", "b": "B.exr", "view": "shot1",
  "reference": "REF.exr"}, ...]`` with paths relative to the folder; entries of
  the same ``view`` (optional) are pairs of one view, and ``reference`` is optional.
"""

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from mcdenoise.errors import JobError
from mcdenoise.io.files import read_json, write_json

MANIFEST = "manifest.json"
#: Version of the manifest layout; directories of another version are refused, never guessed at.
FORMAT = 2
#: Longest time between manifest writes while a job runs.
MANIFEST_SECONDS = 1.0
#: The sides of a frame: the two frames of a pair, and a view's reference.
SIDES = ("a", "b", "ref")
#: The list of a folder of pairs rendered by anything else (see the module's docstring).
PAIRS_LIST = "pairs.json"


def frame_seed(base: int, view: int, pair: int, side: str) -> int:
    """The seed of one frame: a hash of (base, view, pair, side), never 0, below 2**31.

    Distinct frames get distinct, unrelated seeds, so the two frames of a pair
    have independent noise, and references never share a seed with training frames.
    """
    digest = hashlib.sha256(f"mcdenoise/{base}/{view}/{pair}/{side}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1) + 1


def frame_name(view: int, pair: int | None, side: str) -> str:
    """File name of a frame: ``viewVVV_pairPPP_{a,b}.exr`` or ``viewVVV_ref.exr``."""
    if side == "ref":
        return f"view{view:03d}_ref.exr"
    return f"view{view:03d}_pair{pair:03d}_{side}.exr"


def frame_record(view: int, pair: int | None, side: str, seed: int, feature_seed: int, spp: int, variant: str) -> dict:
    """The manifest entry of one frame."""
    return {"view": view, "pair": pair, "side": side, "seed": seed, "feature_seed": feature_seed, "spp": spp, "variant": variant}


def frame_attributes(record: dict, settings: dict) -> dict:
    """The EXR header attributes of a frame: its record and the job's settings."""
    return {
        "mcdenoise.seed": int(record["seed"]),
        "mcdenoise.feature_seed": int(record["feature_seed"]),
        "mcdenoise.spp": int(record["spp"]),
        "mcdenoise.variant": record["variant"],
        "mcdenoise.resolution": f"{settings['width']}x{settings['height']}",
        "mcdenoise.filter": settings["filter"],
        "mcdenoise.scene": settings["scene"],
        "mcdenoise.scene_sha256": settings["scene_sha256"],
        "mcdenoise.view": int(record["view"]),
    }


def start_or_resume(directory: Path, settings: dict) -> dict:
    """The manifest to continue in ``directory``: a new one, or the one there if its settings match.

    Raises :class:`JobError` when the directory holds renders made with other settings (the
    scene's path may differ; its hash may not) or a manifest of another format.
    """
    path = Path(directory) / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "settings": settings, "cameras": {}, "frames": {}}
    manifest = read_json(path)
    if manifest.get("format") != FORMAT:
        raise JobError(f"{path}: manifest format {manifest.get('format')!r} is not {FORMAT}; render into a new directory")
    old = manifest.get("settings", {})
    changed = sorted(k for k in set(settings) | set(old) if k != "scene" and old.get(k) != settings.get(k))
    if changed:
        raise JobError(
            f"{directory}: holds renders made with other settings ({', '.join(changed)} differ); "
            "render into a new directory, or with the same settings to resume"
        )
    manifest["settings"] = settings
    return manifest


def finished_views(directory, views: int, pair: int = 0) -> set[int]:
    """The views of ``range(views)`` whose pair ``pair`` the manifest in ``directory`` (if any)
    records as finished, both frames' files there."""
    directory = Path(directory)
    manifest = read_json(directory / MANIFEST) if (directory / MANIFEST).is_file() else {"frames": {}}
    return {v for v in range(views) if all(is_finished(manifest, directory, frame_name(v, pair, side)) for side in ("a", "b"))}


def is_finished(manifest: dict, directory: Path, name: str, spp: int | None = None) -> bool:
    """Whether frame ``name`` is recorded in ``manifest`` (at ``spp``, if given) and its file exists."""
    record = manifest["frames"].get(name)
    return bool(record) and (spp is None or record["spp"] == spp) and (Path(directory) / name).exists()


def canonical_manifest(manifest: dict) -> dict:
    """``manifest`` with its cameras and frames in order of view, then pair, then side (the
    reference last), whatever order they were rendered in: a job resumed, or rendered on a farm,
    writes the same file as one run in order."""
    frames = manifest["frames"]

    def frame_order(name: str):
        record = frames[name]
        return record["view"], record["pair"] is None, record["pair"] or 0, record["side"]

    return {
        **manifest,
        "cameras": {key: manifest["cameras"][key] for key in sorted(manifest["cameras"], key=int)},
        "frames": {name: frames[name] for name in sorted(frames, key=frame_order)},
    }


class ManifestSaver:
    """Writes a job's manifest at most once per :data:`MANIFEST_SECONDS`, and on demand.

    A crash loses at most that much recorded work (those frames render again on resume), and a
    long job does not rewrite its ever larger manifest after every pair.
    """

    def __init__(self, directory: Path, manifest: dict):
        self.path, self.manifest = Path(directory) / MANIFEST, manifest
        self.last = time.monotonic()

    def write(self) -> None:
        """Write the manifest now, its cameras and frames in order of view (:func:`canonical_manifest`)."""
        write_json(self.path, canonical_manifest(self.manifest))
        self.last = time.monotonic()

    def record(self, records: dict) -> None:
        """Enter finished frames (file name -> record); write the manifest if it is due."""
        self.manifest["frames"].update(records)
        if time.monotonic() - self.last >= MANIFEST_SECONDS:
            self.write()


@dataclass(frozen=True)
class View:
    """The finished frames of one view of a pairs directory."""

    directory: Path
    view: int
    pairs: tuple[tuple[Path, Path], ...]
    reference: Path | None
    #: The view's own name in a folder of pairs from another renderer (None: ``viewN``).
    label: str | None = None

    @property
    def name(self) -> str:
        """``DIRECTORY/viewN`` (or ``DIRECTORY/LABEL``), for messages and scores."""
        return f"{self.directory.name}/{self.label or f'view{self.view}'}"


@dataclass(frozen=True)
class PairsDirectory:
    """A pairs directory as read: its settings and its finished frames."""

    path: Path
    settings: dict
    frames: dict
    #: The views of a folder of pairs from another renderer, which has no manifest.
    listed: tuple = ()

    @property
    def emission_split(self) -> bool:
        """Whether its frames carry the emission seen in their own samples (the emission split)."""
        return bool(self.settings.get("emission_split"))

    def views(self) -> list[View]:
        """Every view with a finished pair or a reference, in view order."""
        if self.listed:
            return list(self.listed)
        numbers = sorted({record["view"] for record in self.frames.values()})
        views = []
        for view in numbers:
            pairs = tuple(
                (self.path / name, self.path / frame_name(view, record["pair"], "b"))
                for name, record in sorted(self.frames.items())
                if record["view"] == view and record["side"] == "a" and frame_name(view, record["pair"], "b") in self.frames
            )
            reference = frame_name(view, None, "ref")
            views.append(View(self.path, view, pairs, self.path / reference if reference in self.frames else None))
        return views


def read_pairs_directory(directory) -> PairsDirectory:
    """Read a pairs directory's manifest, or a folder of pairs from another renderer (``pairs.json``
    or ``NAME_a.exr``/``NAME_b.exr``); raises :class:`JobError` if it is neither, or malformed."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise JobError(f"{directory}: no such directory")
    if not path.is_file():
        return PairsDirectory(directory, {}, {}, listed=tuple(_listed_views(directory)))
    manifest = read_json(path)
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("frames"), dict):
        raise JobError(f"{path}: not a render-pairs manifest of format {FORMAT}; render the set again into a new directory")
    if not isinstance(manifest.get("settings", {}), dict):
        raise JobError(f"{path}: its settings are malformed; render the set again into a new directory")
    for name, record in manifest["frames"].items():
        if not _valid_record(name, record):
            raise JobError(f"{path}: frame entry {name!r} is malformed; render the set again into a new directory")
    return PairsDirectory(directory, manifest.get("settings", {}), manifest["frames"])


def _valid_record(name, record) -> bool:
    if not isinstance(record, dict) or record.get("side") not in SIDES:
        return False
    if not all(type(record.get(key)) is int and record[key] >= 0 for key in ("view", "seed", "spp")):
        return False
    pair = record.get("pair")
    if record["side"] == "ref":
        return pair is None and name == frame_name(record["view"], None, "ref")
    return type(pair) is int and pair >= 0 and name == frame_name(record["view"], pair, record["side"])


def link_subset(source: Path, out: Path, views: int | None = None, pairs: int | None = None) -> Path:
    """A pairs directory at ``out`` holding the first ``views`` views and ``pairs`` pairs per view of
    ``source`` (None: all), references included; files are linked, not copied. ``out`` is made anew."""
    manifest = read_json(Path(source) / MANIFEST)
    manifest["frames"] = {
        name: record
        for name, record in manifest["frames"].items()
        if (views is None or record["view"] < views) and (pairs is None or record["pair"] is None or record["pair"] < pairs)
    }
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in manifest["frames"]:
        (out / name).symlink_to((Path(source) / name).resolve())
    write_json(out / MANIFEST, manifest)
    return out


def _listed_views(directory: Path) -> list[View]:
    """The views of a folder of pairs from another renderer (see the module's docstring)."""
    if (directory / PAIRS_LIST).is_file():
        entries = read_json(directory / PAIRS_LIST, list)
        if not all(isinstance(e, dict) and {"a", "b"} <= set(e) for e in entries):
            raise JobError(f'{directory / PAIRS_LIST}: must be a list of {{"a": FILE, "b": FILE}} entries ("view", "reference" optional)')
        grouped: dict[str, dict] = {}
        for index, entry in enumerate(entries):
            label = str(entry.get("view", f"pair{index}"))
            view = grouped.setdefault(label, {"pairs": [], "reference": None})
            view["pairs"].append((directory / entry["a"], directory / entry["b"]))
            if entry.get("reference"):
                view["reference"] = directory / entry["reference"]
    else:
        grouped = {}
        for first in sorted(directory.glob("*_a.exr")):
            label = first.name[: -len("_a.exr")]
            second, reference = directory / f"{label}_b.exr", directory / f"{label}_ref.exr"
            if not second.is_file():
                raise JobError(
                    f"{first}: has no other frame {second.name}; a pair is NAME_a.exr and NAME_b.exr, the same frame with two seeds"
                )
            grouped[label] = {"pairs": [(first, second)], "reference": reference if reference.is_file() else None}
    if not grouped:
        raise JobError(
            f"{directory}: no pairs found: a directory written by 'mcdenoise render-pairs' has {MANIFEST}; pairs from another "
            f"renderer are NAME_a.exr and NAME_b.exr (the same frame with two seeds) or a {PAIRS_LIST} list"
        )
    for view in grouped.values():
        for file in [p for pair in view["pairs"] for p in pair] + [view["reference"]] * bool(view["reference"]):
            if not file.is_file():
                raise JobError(f"{file}: listed in {directory / PAIRS_LIST} but missing")
    return [View(directory, i, tuple(v["pairs"]), v["reference"], label) for i, (label, v) in enumerate(grouped.items())]
