"""Build the installable zip of the Blender add-on (an extension for Blender 4.2+)::

    python -m mcdenoise.blender_addon.build --out mcdenoise_blender.zip

The zip holds the add-on's own files only, in one folder (:data:`FOLDER`), so that it installs as
an extension and as a classic add-on alike: torch and mcdenoise are installed into Blender's
Python instead (docs/blender.md), as a 1 GB torch cannot ride inside an extension.
"""

import argparse
import zipfile
from pathlib import Path

ADDON = Path(__file__).resolve().parent
#: The folder in the zip: a classic add-on's module name (an extension's is its manifest's id).
FOLDER = "mcdenoise_blender"
#: What the zip leaves out: this script, and what Python writes.
_LEFT_OUT = {"build.py"}


def addon_files() -> list[Path]:
    """The add-on's files: its modules and its manifest."""
    files = sorted(ADDON.glob("*.py")) + [ADDON / "blender_manifest.toml"]
    return [path for path in files if path.name not in _LEFT_OUT]


def build(out) -> Path:
    """Write the extension zip to ``out`` and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in addon_files():
            archive.write(path, f"{FOLDER}/{path.name}")
    return out


def main(argv=None) -> None:
    """Parse ``--out`` and build."""
    parser = argparse.ArgumentParser(prog="python -m mcdenoise.blender_addon.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="mcdenoise_blender.zip", help="the zip to write (default %(default)s)")
    print(build(parser.parse_args(argv).out))


if __name__ == "__main__":
    main()
