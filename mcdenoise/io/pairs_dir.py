"""The pairs directory: the one module that reads and writes its format.

A directory written by ``mcdenoise render-pairs`` holds::

    manifest.json                 job settings, cameras, and every finished frame's seed
    view000_pair000_a.exr         frame A of pair 0 of view 0
    view000_pair000_b.exr         frame B, same camera, independent seed (the features are shared)
    view000_ref.exr               optional high-spp reference (evaluation only)

The manifest is a :class:`Manifest`: the job's :class:`RenderSettings`, each view's camera and a
:class:`FrameRecord` of every finished frame, read by :func:`read_manifest` and written by
:func:`write_manifest` alone. A frame counts as finished only once it is recorded in the manifest
and its file exists. Each frame's EXR header repeats its record (``mcdenoise.*`` attributes,
:func:`frame_attributes`), so a frame copied out of its directory still says how it was made.

:func:`read_pairs_directory` reads this folder and folders of pairs rendered by anything else
(:mod:`mcdenoise.io.own_pairs`): it asks each kind of folder in :data:`FOLDER_KINDS` in turn
whether a folder is one of its own.
"""

import hashlib
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from mcdenoise.config import CameraPath
from mcdenoise.errors import JobError
from mcdenoise.io.fields import FieldError, read_fields
from mcdenoise.io.files import read_json, write_json
from mcdenoise.io.own_pairs import PAIRS_LIST, NamedPairs, PairsList
from mcdenoise.io.pairs_folder import PairsDirectory, PairsFolder, View

MANIFEST = "manifest.json"
#: Version of the manifest layout; directories of another version are refused, never guessed at.
FORMAT = 2
#: Longest time between manifest writes while a job runs.
MANIFEST_SECONDS = 1.0
#: The sides of a frame: the two frames of a pair, and a view's reference.
SIDES = ("a", "b", "ref")
_AGAIN = "render the set again into a new directory"
_MANIFEST_KEYS = {"format", "settings", "cameras", "frames"}


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


@dataclass(frozen=True)
class FrameRecord:
    """A finished frame as the manifest records it: where it sits in the job, and its seeds."""

    view: int
    #: Its pair in the view; None for the view's reference.
    pair: int | None
    #: ``a`` or ``b`` (the frames of a pair), or ``ref`` (:data:`SIDES`).
    side: str
    seed: int
    #: The seed of the pass that its features come from (its own seed where they come from its own render).
    feature_seed: int
    spp: int
    #: What rendered it: the Mitsuba variant, or Cycles and Blender's version.
    variant: str
    #: The seed of its pair's emission pass (``render-pairs --emission-spp``); None: none was rendered.
    emission_seed: int | None = None

    @property
    def name(self) -> str:
        """Its file name (:func:`frame_name`)."""
        return frame_name(self.view, self.pair, self.side)


@dataclass(frozen=True)
class RenderSettings:
    """A render-pairs job's settings, as its manifest and every frame's header record them. A job
    resumes only in a directory rendered with the same settings (the scene's path aside)."""

    #: Whether frames carry the emission seen in their own samples (the emission split).
    emission_split: bool
    emission_spp: int
    #: The sampler of the emission pass (None: no pass).
    emission_sampler: str | None
    scene: str
    scene_sha256: str
    spp: int
    seed: int
    views: int
    jitter: float
    width: int
    height: int
    filter: str
    #: A sequence's camera move (None: the views are random small moves of the scene's camera).
    path: CameraPath | None = None


@dataclass
class Manifest:
    """A pairs directory's manifest: the job's settings, each rendered view's camera, and the
    record of every finished frame."""

    settings: RenderSettings
    #: Each rendered view's camera, by view: the fields of :class:`mcdenoise.render.scene.Camera`.
    cameras: dict[int, dict] = field(default_factory=dict)
    #: Every finished frame's record, by file name.
    frames: dict[str, FrameRecord] = field(default_factory=dict)

    def is_finished(self, directory, name: str, spp: int | None = None) -> bool:
        """Whether frame ``name`` is recorded (at ``spp``, if given) and its file is in ``directory``."""
        record = self.frames.get(name)
        return record is not None and (spp is None or record.spp == spp) and (Path(directory) / name).exists()


def frame_attributes(record: FrameRecord, settings: RenderSettings) -> dict:
    """The EXR header attributes of a frame: its record and the job's settings."""
    return {
        "mcdenoise.seed": record.seed,
        "mcdenoise.feature_seed": record.feature_seed,
        "mcdenoise.spp": record.spp,
        "mcdenoise.variant": record.variant,
        "mcdenoise.resolution": f"{settings.width}x{settings.height}",
        "mcdenoise.filter": settings.filter,
        "mcdenoise.scene": settings.scene,
        "mcdenoise.scene_sha256": settings.scene_sha256,
        "mcdenoise.view": record.view,
    }


def read_manifest(directory) -> Manifest:
    """The manifest of the pairs directory ``directory``: the one reader of the format. Raises
    :class:`JobError` naming the file, and the field at fault, when it is not a render-pairs
    manifest of :data:`FORMAT` or is malformed."""
    path = Path(directory) / MANIFEST
    values = read_json(path)
    if values.get("format") != FORMAT or set(values) != _MANIFEST_KEYS or not isinstance(values["frames"], dict):
        raise JobError(f"{path}: not a render-pairs manifest of format {FORMAT}; {_AGAIN}")
    settings = _read_fields(RenderSettings, values["settings"], f"{path}: its settings are malformed")
    cameras = values["cameras"]
    if not isinstance(cameras, dict) or not all(_is_view_number(key) and isinstance(c, dict) for key, c in cameras.items()):
        raise JobError(f"{path}: its cameras are malformed; {_AGAIN}")
    records = {name: _read_record(name, record, path) for name, record in values["frames"].items()}
    return Manifest(settings, {int(key): camera for key, camera in cameras.items()}, records)


def write_manifest(directory, manifest: Manifest) -> None:
    """Write ``manifest`` into ``directory``: the one writer of the format. Its cameras and frames go
    in order of view, then pair, then side (the reference last), whatever order they were rendered in,
    so a job resumed, or rendered on a farm, writes the same file as one run in order."""

    def frame_order(name: str):
        record = manifest.frames[name]
        return record.view, record.pair is None, record.pair or 0, record.side

    settings = {key: value for key, value in asdict(manifest.settings).items() if key != "path" or value is not None}
    values = {
        "format": FORMAT,
        "settings": settings,
        "cameras": {str(view): manifest.cameras[view] for view in sorted(manifest.cameras)},
        "frames": {name: _record_values(manifest.frames[name]) for name in sorted(manifest.frames, key=frame_order)},
    }
    write_json(Path(directory) / MANIFEST, values)


def _record_values(record: FrameRecord) -> dict:
    """A frame record as the manifest holds it: its fields, without an emission seed it does not have."""
    return {key: value for key, value in asdict(record).items() if key != "emission_seed" or value is not None}


def _read_record(name, values, path: Path) -> FrameRecord:
    """Frame entry ``name`` of the manifest at ``path``; raises :class:`JobError` if it is malformed."""
    fault = f"{path}: frame entry {name!r} is malformed"
    record = _read_fields(FrameRecord, values, fault)
    numbers = (record.view, record.pair or 0, record.seed, record.feature_seed, record.spp, record.emission_seed or 0)
    if record.side not in SIDES or (record.pair is None) != (record.side == "ref") or min(numbers) < 0 or name != record.name:
        raise JobError(f"{fault}; {_AGAIN}")
    return record


def _read_fields(kind, values, fault: str):
    """A ``kind`` from a JSON object of its fields (:func:`~mcdenoise.io.fields.read_fields`); raises
    :class:`JobError` with ``fault`` and the fields at fault."""
    try:
        return read_fields(kind, values)
    except FieldError as error:
        raise JobError(f"{fault} ({error}); {_AGAIN}") from None


def _is_view_number(key: str) -> bool:
    """Whether a camera's key is a view number as the manifest writes it."""
    return key.isascii() and key.isdigit() and str(int(key)) == key


def start_or_resume(directory: Path, settings: RenderSettings) -> Manifest:
    """The manifest to continue in ``directory``: a new one, or the one there if its settings match.

    Raises :class:`JobError` when the directory holds renders made with other settings (the
    scene's path may differ; its hash may not) or a manifest that is not of this format.
    """
    if not (Path(directory) / MANIFEST).exists():
        return Manifest(settings)
    manifest = read_manifest(directory)
    old = manifest.settings
    changed = sorted(f.name for f in fields(RenderSettings) if f.name != "scene" and getattr(old, f.name) != getattr(settings, f.name))
    if changed:
        raise JobError(
            f"{directory}: holds renders made with other settings ({', '.join(changed)} differ); "
            "render into a new directory, or with the same settings to resume"
        )
    manifest.settings = settings
    return manifest


def finished_views(directory, views: int, pair: int = 0) -> set[int]:
    """The views of ``range(views)`` whose pair ``pair`` the manifest in ``directory`` (if any)
    records as finished, both frames' files there."""
    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        return set()
    manifest = read_manifest(directory)
    return {v for v in range(views) if all(manifest.is_finished(directory, frame_name(v, pair, side)) for side in ("a", "b"))}


class ManifestSaver:
    """Writes a job's manifest at most once per :data:`MANIFEST_SECONDS`, and on demand.

    A crash loses at most that much recorded work (those frames render again on resume), and a
    long job does not rewrite its ever larger manifest after every pair.
    """

    def __init__(self, directory: Path, manifest: Manifest):
        self.directory, self.manifest = Path(directory), manifest
        self.last = time.monotonic()

    def write(self) -> None:
        """Write the manifest now (:func:`write_manifest`)."""
        write_manifest(self.directory, self.manifest)
        self.last = time.monotonic()

    def record(self, records: dict[str, FrameRecord]) -> None:
        """Enter finished frames (file name -> record); write the manifest if it is due."""
        self.manifest.frames.update(records)
        if time.monotonic() - self.last >= MANIFEST_SECONDS:
            self.write()


def link_subset(source: Path, out: Path, views: int | None = None, pairs: int | None = None) -> Path:
    """A pairs directory at ``out`` holding the first ``views`` views and ``pairs`` pairs per view of
    ``source`` (None: all), references included; files are linked, not copied. ``out`` is made anew."""
    manifest = read_manifest(source)
    manifest.frames = {
        name: record
        for name, record in manifest.frames.items()
        if (views is None or record.view < views) and (pairs is None or record.pair is None or record.pair < pairs)
    }
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in manifest.frames:
        (out / name).symlink_to((Path(source) / name).resolve())
    write_manifest(out, manifest)
    return out


class RenderPairs:
    """A folder written by ``render-pairs``: its manifest says which frames are finished."""

    def holds(self, directory: Path) -> bool:
        """Whether ``directory`` has a manifest."""
        return (directory / MANIFEST).is_file()

    def read(self, directory: Path) -> PairsDirectory:
        """Every view of the manifest with a finished pair or a reference, in view order."""
        manifest = read_manifest(directory)
        frames = manifest.frames
        views = []
        for view in sorted({record.view for record in frames.values()}):
            pairs = tuple(
                (directory / name, directory / frame_name(view, record.pair, "b"))
                for name, record in sorted(frames.items())
                if record.view == view and record.side == "a" and frame_name(view, record.pair, "b") in frames
            )
            reference = frame_name(view, None, "ref")
            views.append(View(directory, view, pairs, directory / reference if reference in frames else None))
        return PairsDirectory(directory, tuple(views), manifest.settings.emission_split)


#: The kinds of folder of pairs, asked in this order whether a folder is theirs.
FOLDER_KINDS: tuple[PairsFolder, ...] = (RenderPairs(), PairsList(), NamedPairs())


def read_pairs_directory(directory) -> PairsDirectory:
    """Read a pairs directory, or a folder of pairs from another renderer (``pairs.json`` or
    ``NAME_a.exr``/``NAME_b.exr``), by the first kind in :data:`FOLDER_KINDS` that holds it;
    raises :class:`JobError` if none does, or the folder is malformed."""
    directory = Path(directory)
    if not directory.is_dir():
        raise JobError(f"{directory}: no such directory")
    for kind in FOLDER_KINDS:
        if kind.holds(directory):
            return kind.read(directory)
    raise JobError(
        f"{directory}: no pairs found: a directory written by 'mcdenoise render-pairs' has {MANIFEST}; pairs from another "
        f"renderer are NAME_a.exr and NAME_b.exr (the same frame with two seeds) or a {PAIRS_LIST} list"
    )
