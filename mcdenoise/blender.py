"""In Blender: denoise every frame as Blender writes it, and train on the open scene.

The Blender counterpart of the Mitsuba plugin (:mod:`mcdenoise.mitsuba`), for Blender's
Python console, a startup script or ``bpy`` as a module (``pip install 'mcdenoise[blender]'``)::

    import bpy, mcdenoise.blender
    model = mcdenoise.blender.train_on_scene("shot.pt", minutes=10)  # pairs of the open scene, then Noise2Noise
    mcdenoise.blender.denoise_renders(model)                          # FRAME.exr -> FRAME.denoised.exr from now on
    bpy.ops.render.render(animation=True)                             # or write_still=True for a still
    mcdenoise.blender.stop_denoising()

:func:`denoise_renders` sets the scene's output to a multilayer EXR with Cycles'
denoising data passes (the features the model reads) and adds a ``render_write``
handler: each frame that Blender writes, still or animation, is denoised into
``FRAME.denoised.exr`` beside it, in the same multilayer layout with every pass kept
(:func:`mcdenoise.denoise.apply.apply_file`). :func:`train_on_scene` renders pairs of
a copy of the open scene in a separate process (so the open session is left as it is)
and fine-tunes the base model on them.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from mcdenoise.errors import JobError
from mcdenoise.render.blender import import_bpy

_HANDLER_NAME = "mcdenoise_denoise_written_frame"


def prepare_output(scene) -> None:
    """Make ``scene`` write 32-bit multilayer EXRs that carry Cycles' denoising data passes."""
    image = scene.render.image_settings
    if hasattr(image, "media_type"):  # Blender 5: the media type before the file format (4.x has none)
        image.media_type = "MULTI_LAYER_IMAGE"
    image.file_format = "OPEN_EXR_MULTILAYER"
    image.color_depth = "32"
    for layer in scene.view_layers:
        layer.cycles.denoising_store_passes = True


def written_frame(scene) -> Path | None:
    """The file that Blender has just written for ``scene``: the animation frame's path, or a still's."""
    bpy = import_bpy()
    candidates = [Path(scene.render.frame_path(frame=scene.frame_current)), Path(bpy.path.abspath(scene.render.filepath))]
    existing = [path for path in candidates if path.is_file()]
    return max(existing, key=lambda path: path.stat().st_mtime_ns) if existing else None


def denoise_renders(model="base", prepare: bool = True, **options) -> None:
    """Denoise every frame that Blender writes from now on into ``FRAME.denoised.exr`` with ``model``
    (a file from ``mcdenoise train``, ``"base"``, or None: Intel OIDN or the base model by each
    frame's noise, as ``apply --route auto``); ``options`` are
    :meth:`mcdenoise.denoise.hook.Denoiser.load`'s. ``prepare`` sets the current scene's output
    with :func:`prepare_output`. Replaces an earlier call's handler. A frame that fails is
    reported on stderr in one line, and rendering goes on."""
    from mcdenoise.denoise.apply import apply_file
    from mcdenoise.denoise.hook import Denoiser
    from mcdenoise.denoise.route import Router
    from mcdenoise.errors import McDenoiseError

    bpy = import_bpy()
    denoiser = Router(**options) if model is None else Denoiser.load(model, **options)
    if prepare:
        prepare_output(bpy.context.scene)

    def denoise_written_frame(scene, *_):
        path = written_frame(scene)
        if path is None or path.suffix.lower() != ".exr":
            return
        try:
            result = apply_file(denoiser, path)
        except McDenoiseError as error:
            print(f"mcdenoise: error: {error}", file=sys.stderr)
            return
        print(f"mcdenoise: {result.source} -> {result.output}")

    denoise_written_frame.__name__ = _HANDLER_NAME
    stop_denoising()
    bpy.app.handlers.render_write.append(denoise_written_frame)


def stop_denoising() -> None:
    """Remove the handler of :func:`denoise_renders`, if there is one."""
    bpy = import_bpy()
    for handler in list(bpy.app.handlers.render_write):
        if getattr(handler, "__name__", "") == _HANDLER_NAME:
            bpy.app.handlers.render_write.remove(handler)


def train_on_scene(
    out, minutes: float = 10.0, views: int = 32, pairs: int = 4, spp: int = 4, pixels: int = 65536, work=None, **train_options
) -> Path:
    """Render pairs of the open scene and fine-tune the base model on them for ``minutes``; returns
    the model file ``out``. ``train_options`` are more :class:`mcdenoise.config.TrainConfig` fields
    (``steps=N`` for a step budget). The pairs go to ``work`` (default: a
    temporary folder), rendered from a copy of the open scene by ``mcdenoise render-pairs`` in a
    process of its own. Raises :class:`JobError` when the rendering fails."""
    from mcdenoise.config import TrainConfig
    from mcdenoise.learn.train import train
    from mcdenoise.native_output import captured_native_output

    bpy = import_bpy()
    with tempfile.TemporaryDirectory(prefix="mcdenoise-scene-") as folder:
        copy = Path(folder) / "scene.blend"
        with captured_native_output():
            bpy.ops.wm.save_as_mainfile(filepath=str(copy), copy=True)
        pairs_dir = Path(work) if work else Path(folder) / "pairs"
        command = [sys.executable, "-m", "mcdenoise", "--quiet", "render-pairs", str(copy), "--out", str(pairs_dir)]
        command += ["--views", str(views), "--pairs", str(pairs), "--spp", str(spp), "--pixels", str(pixels)]
        rendered = subprocess.run(command, capture_output=True, text=True)
        if rendered.returncode != 0:
            lines = rendered.stderr.strip().splitlines()
            raise JobError(f"rendering pairs of the open scene failed: {lines[-1] if lines else rendered.returncode}")
        train([pairs_dir], out, TrainConfig(minutes=minutes, **train_options), log=print)
    return Path(out)
