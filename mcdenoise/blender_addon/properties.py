"""The panel's settings, kept with each scene (``scene.mcdenoise``), and the "Denoise renders" toggle."""

import bpy
from bpy.app.handlers import persistent


def model_path(settings) -> str:
    """The model file, absolute, or "" for none (Intel OIDN or the base model, by each frame's noise)."""
    return bpy.path.abspath(settings.model) if settings.model.strip() else ""


def apply_denoise_renders(settings) -> None:
    """Start or stop denoising written frames as ``settings.denoise_renders`` says
    (:func:`mcdenoise.blender.denoise_renders`). A failure turns the toggle off and is kept, in one
    line, in ``settings.denoise_error`` for the panel to show."""
    from mcdenoise.blender import denoise_renders, stop_denoising
    from mcdenoise.errors import McDenoiseError

    if not settings.denoise_renders:
        stop_denoising()
        return
    try:
        denoise_renders(model_path(settings) or None)
    except McDenoiseError as error:
        settings.denoise_renders = False  # calls this again, which stops denoising
        settings.denoise_error = str(error).splitlines()[0]
        return
    settings.denoise_error = ""


def _denoise_renders_changed(settings, context) -> None:
    apply_denoise_renders(settings)


@persistent
def _after_load(*_) -> None:
    """A file saved with "Denoise renders" on denoises again once it is opened (handlers are not saved)."""
    scene = bpy.context.scene
    if scene is not None and scene.mcdenoise.denoise_renders:
        apply_denoise_renders(scene.mcdenoise)


class McDenoiseSettings(bpy.types.PropertyGroup):
    """What the mcdenoise panel renders, trains and denoises with."""

    pairs_folder: bpy.props.StringProperty(
        name="Pairs folder",
        description="Where Render pairs writes the pairs, and what Train learns from (// is the .blend's folder)",
        default="//mcdenoise_pairs",
        subtype="DIR_PATH",
    )
    views: bpy.props.IntProperty(
        name="Views", description="Camera views: 1 is the scene's camera, more are small moves of it", default=32, min=1
    )
    pairs: bpy.props.IntProperty(name="Pairs", description="Pairs of noisy frames per view", default=4, min=1)
    spp: bpy.props.IntProperty(name="Samples", description="Samples per pixel of each noisy frame", default=4, min=1)
    pixels: bpy.props.IntProperty(
        name="Pixels",
        description="About this many pixels per frame, at the scene's aspect ratio (0: the scene's own size)",
        default=65536,
        min=0,
    )
    minutes: bpy.props.FloatProperty(name="Minutes", description="Training time budget (0: none)", default=10.0, min=0.0)
    steps: bpy.props.IntProperty(name="Steps", description="Training step budget (0: none)", default=0, min=0)
    model: bpy.props.StringProperty(
        name="Model file",
        description="The model that Train writes (and resumes) and that denoising uses; empty: Intel OIDN or the base "
        "model, by each frame's noise",
        default="",
        subtype="FILE_PATH",
    )
    denoise_renders: bpy.props.BoolProperty(
        name="Denoise renders",
        description="Denoise each frame as Blender writes it into FRAME.denoised.exr (sets the output to multilayer EXR "
        "with Cycles' denoising data passes)",
        default=False,
        update=_denoise_renders_changed,
    )
    denoise_error: bpy.props.StringProperty(name="Why denoising renders stopped", default="")


def register() -> None:
    """Add ``scene.mcdenoise`` and the handler that restores the toggle's work on file load."""
    bpy.utils.register_class(McDenoiseSettings)
    bpy.types.Scene.mcdenoise = bpy.props.PointerProperty(type=McDenoiseSettings)
    bpy.app.handlers.load_post.append(_after_load)


def unregister() -> None:
    """Remove ``scene.mcdenoise``, its handlers and the denoising of written frames."""
    if _after_load in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_after_load)
    try:
        from mcdenoise.blender import stop_denoising
    except ImportError:
        pass
    else:
        stop_denoising()
    del bpy.types.Scene.mcdenoise
    bpy.utils.unregister_class(McDenoiseSettings)
