"""The quality benchmark's cached test frames, for the benchmarks that score models on them.

`python benchmarks/quality.py` renders them under benchmarks/cache/SCENE-65536px/TRACK/test (TRACK: box or scene): pair 0 of
view 0 at 4 spp, with all features, and a high-spp reference of the same view.
"""

import shutil
from pathlib import Path

import numpy as np

from mcdenoise.features import COLOR
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.files import read_json, write_json
from mcdenoise.io.pairs_dir import MANIFEST, frame_name

CACHE = Path(__file__).parent / "cache"


def cached_test_folders(cache: Path = CACHE, track: str = "box") -> list[Path]:
    """The cached test folders of a track (box by default; ``scene``: the scene's own pixel filter),
    one per scene, in scene order (empty without the cache)."""
    return sorted(Path(cache).glob(f"*-65536px/{track}/test"))


def scene_name(folder: Path) -> str:
    """The scene that a test folder belongs to: ``.../mitsuba_cbox-65536px/box/test`` -> ``mitsuba_cbox``."""
    return folder.parent.parent.name.rsplit("-", 1)[0]


def load_test_frame(folder: Path) -> tuple[Frame, np.ndarray]:
    """The 4 spp test frame of a folder and its reference color (H, W, 3)."""
    return read_exr(folder / frame_name(0, 0, "a")), read_exr(folder / frame_name(0, None, "ref")).stack(COLOR)


def linked_subset(train_dir: Path, out: Path, views: int | None = None, pairs: int | None = None) -> Path:
    """A render-pairs folder at ``out`` holding the first ``views`` views and ``pairs`` pairs per view
    of ``train_dir`` (None: all), references included; files are linked, not copied. ``out`` is
    made anew."""
    manifest = read_json(train_dir / MANIFEST)
    manifest["frames"] = {
        name: r
        for name, r in manifest["frames"].items()
        if (views is None or r["view"] < views) and (pairs is None or r["pair"] is None or r["pair"] < pairs)
    }
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in manifest["frames"]:
        (out / name).symlink_to((train_dir / name).resolve())
    write_json(out / MANIFEST, manifest)
    return out
