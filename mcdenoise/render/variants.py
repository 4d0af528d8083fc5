"""Choosing a Mitsuba variant that works on this machine, without ever crashing.

``llvm_ad_rgb`` aborts the whole process with Debian 12's libLLVM 15 (LLVM
"Cannot select fminimum"), so a variant is only used after a render in a
child process succeeded with it. Results are cached per user, keyed by the
Mitsuba, Dr.Jit and libLLVM in use.
"""

import glob
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

from mcdenoise.errors import SceneError

#: Variants that mcdenoise knows, fastest first: the order ``auto`` tries.
KNOWN_VARIANTS = ("cuda_ad_rgb", "llvm_ad_rgb", "scalar_rgb")

_LLVM_GLOBS = (
    "/usr/lib/x86_64-linux-gnu/libLLVM.so.*",
    "/usr/lib/x86_64-linux-gnu/libLLVM-*.so",
    "/usr/lib/aarch64-linux-gnu/libLLVM.so.*",
    "/usr/lib/aarch64-linux-gnu/libLLVM-*.so",
    "/usr/lib/llvm-*/lib/libLLVM*.so*",
)
_MIN_LLVM_MAJOR = 16

_PROBE = r"""
import sys
import mitsuba as mi
mi.set_variant(sys.argv[1])
scene = mi.load_dict(mi.cornell_box())
scene.sensors()[0]
image = mi.render(scene, spp=2, seed=1)
import numpy as np
assert np.isfinite(np.array(image)).all()
print("mcdenoise-variant-ok")
"""


def _llvm_major(path: str) -> int:
    match = re.search(r"libLLVM[-.](?:so\.)?(\d+)", os.path.basename(path))
    return int(match.group(1)) if match else 0


def find_recent_llvm() -> str | None:
    """Path of the newest libLLVM of major version 16 or later on this machine, if any."""
    found = {p for pattern in _LLVM_GLOBS for p in glob.glob(pattern)}
    usable = [p for p in found if _llvm_major(p) >= _MIN_LLVM_MAJOR]
    return max(usable, key=_llvm_major) if usable else None


def configure_llvm() -> None:
    """Point Dr.Jit at a recent libLLVM, unless the user already chose one.

    Must run before Dr.Jit initialises its LLVM backend; it only sets an
    environment variable, so it is cheap and safe to call early.
    """
    if "DRJIT_LIBLLVM_PATH" not in os.environ:
        recent = find_recent_llvm()
        if recent:
            os.environ["DRJIT_LIBLLVM_PATH"] = recent


def _cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "mcdenoise" / "variants.json"


def _cache_key(variant: str) -> str:
    import drjit
    import mitsuba

    library = os.environ.get("DRJIT_LIBLLVM_PATH", "")
    try:
        stamp = os.stat(library).st_mtime_ns if library else 0
    except OSError:
        stamp = -1  # named but missing: never reuse a verdict made with a library that was there
    return f"{variant}|mitsuba {mitsuba.__version__}|drjit {drjit.__version__}|{library}@{stamp}"


def _read_cache() -> dict:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(entries: dict) -> None:
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps(entries, indent=1))
        os.replace(temp, path)
    except OSError:
        pass  # the cache only saves time; a read-only home is fine


@cache
def variant_works(variant: str) -> bool:
    """True when a tiny render with ``variant`` succeeds in a child process."""
    import mitsuba

    if variant not in mitsuba.variants():
        return False
    configure_llvm()
    key = _cache_key(variant)
    entries = _read_cache()
    if key in entries:
        return bool(entries[key])
    try:
        result = subprocess.run(
            [sys.executable, "-c", _PROBE, variant],
            capture_output=True,
            text=True,
            timeout=300,
            env=os.environ.copy(),
        )
        works = result.returncode == 0 and "mcdenoise-variant-ok" in result.stdout
    except (OSError, subprocess.TimeoutExpired):
        works = False
    entries[key] = works
    _write_cache(entries)
    return works


def choose_variant(requested: str = "auto") -> str:
    """Resolve ``auto`` to the fastest working variant, or check a named one works.

    Raises :class:`SceneError` for an unknown variant or one that fails here.
    """
    if requested == "auto":
        for variant in KNOWN_VARIANTS:
            if variant_works(variant):
                return variant
        raise SceneError("no Mitsuba variant works on this machine; check the mitsuba installation")
    if requested not in KNOWN_VARIANTS:
        raise SceneError(f"unknown variant {requested!r}; choose one of auto, {', '.join(KNOWN_VARIANTS)}")
    if not variant_works(requested):
        hint = ""
        if requested == "llvm_ad_rgb":
            hint = " (it needs libLLVM 16 or newer, e.g. apt-get install libllvm19)"
        raise SceneError(f"Mitsuba variant {requested} does not work on this machine{hint}; use --variant auto")
    return requested


def set_variant(requested: str = "auto") -> str:
    """Choose a variant as :func:`choose_variant` does and make it Mitsuba's current one."""
    configure_llvm()
    variant = choose_variant(requested)
    import mitsuba

    mitsuba.set_variant(variant)
    return variant
