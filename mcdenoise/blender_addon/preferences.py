"""Where Blender's Python finds torch and mcdenoise: the add-on's "Python packages folder"."""

import importlib.util
import sys
from pathlib import Path

import bpy

#: What the add-on imports, in the order that a message names them.
PACKAGES = ("mcdenoise", "torch")


def packages_folder(context=None) -> str:
    """The preference's folder, absolute, or "" when it is not set (or the add-on is not enabled
    through Blender's preferences, as when a script calls :func:`register`)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(__package__)
    folder = addon.preferences.packages if addon is not None else ""
    return bpy.path.abspath(folder) if folder else ""


def add_packages_folder(context=None) -> None:
    """Put the preference's folder at the front of ``sys.path`` (once)."""
    folder = packages_folder(context)
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
        importlib.invalidate_caches()


def missing_packages() -> list[str]:
    """The packages of :data:`PACKAGES` that Blender's Python cannot find."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def missing_line(missing) -> str:
    """One line saying what Python cannot import and what to do."""
    return (
        f"Blender's Python cannot import {' and '.join(missing)}: pip install them with "
        f"{Path(sys.executable).name} or set the add-on's Python packages folder (docs/blender.md)"
    )


def _folder_changed(preferences, context) -> None:
    add_packages_folder(context)


class McDenoisePreferences(bpy.types.AddonPreferences):
    """The folder of torch and mcdenoise, where Blender's own Python does not have them."""

    bl_idname = __package__

    packages: bpy.props.StringProperty(
        name="Python packages folder",
        description="A site-packages folder that holds torch and mcdenoise (for the Python version of this Blender), "
        "added to Python's path when the add-on starts",
        subtype="DIR_PATH",
        update=_folder_changed,
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "packages")
        layout.label(text=f"Or install into Blender's Python: {sys.executable} -m pip install torch mcdenoise")
        missing = missing_packages()
        if missing:
            layout.label(text=missing_line(missing), icon="ERROR")


def register() -> None:
    """Register the preferences and add their folder to ``sys.path``."""
    bpy.utils.register_class(McDenoisePreferences)
    add_packages_folder()


def unregister() -> None:
    """Unregister the preferences (the folder stays on ``sys.path``: modules may have been imported from it)."""
    bpy.utils.unregister_class(McDenoisePreferences)
