"""mcdenoise inside Blender: a panel under Render Properties that renders pairs of the open scene,
trains a model on them and denoises renders, without a terminal (docs/blender.md).

A Blender 4.2+ extension (``blender_manifest.toml``; build the zip with
``python -m mcdenoise.blender_addon.build --out mcdenoise_blender.zip``) that also loads as a
classic add-on (``bl_info``). torch and mcdenoise are not bundled: Blender's own Python must
import them, from its site-packages or from the folder that the add-on's preference names.
Importing this package needs no ``bpy``; :func:`register` does.
"""

bl_info = {
    "name": "mcdenoise",
    "description": "Train a denoiser on noisy pairs of your scene and denoise renders",
    "blender": (4, 2, 0),
    "version": (0, 1, 0),
    "location": "Properties > Render > mcdenoise; Image Editor > Image > Denoise this image",
    "category": "Render",
}


def register() -> None:
    """Register the add-on's preferences, scene properties, operators, panels and handlers."""
    from . import operators, preferences, properties, ui

    preferences.register()
    properties.register()
    operators.register()
    ui.register()


def unregister() -> None:
    """Undo :func:`register`, and stop denoising written frames."""
    from . import operators, preferences, properties, ui

    ui.unregister()
    operators.unregister()
    properties.unregister()
    preferences.unregister()
