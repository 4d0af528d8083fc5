"""Denoise a Blender image (the Render Result, or an EXR loaded in the Image Editor) with
mcdenoise, into a new image ``NAME.denoised``.

The image goes to mcdenoise as an EXR file: a loaded EXR as it is on disk (a Blender multilayer
file keeps its denoising data passes, which the model reads), anything else saved by Blender as
a 32-bit float EXR (the Render Result as a multilayer file, with its passes). The denoised color
comes back as a single-layer float EXR, loaded and packed into the .blend, so that it stays
when the temporary files go.
"""

import tempfile
from contextlib import contextmanager
from pathlib import Path

import bpy
import numpy as np

#: Where Blender's output format is kept; Blender 5 chooses the media type before the format.
_FORMAT = ("media_type", "file_format", "color_depth", "exr_codec")


def denoised_name(image) -> str:
    """The name of ``image``'s denoised copy."""
    return f"{image.name}.denoised"


@contextmanager
def _float_exr_output(scene, multilayer: bool):
    """``scene``'s output set to 32-bit float (multilayer) EXR for the block, then put back."""
    settings = scene.render.image_settings
    saved = [(name, getattr(settings, name)) for name in _FORMAT if hasattr(settings, name)]
    try:
        if hasattr(settings, "media_type"):
            settings.media_type = "MULTI_LAYER_IMAGE" if multilayer else "IMAGE"
        settings.file_format = "OPEN_EXR_MULTILAYER" if multilayer else "OPEN_EXR"
        settings.color_depth = "32"
        yield
    finally:
        for name, value in saved:
            setattr(settings, name, value)


def source_exr(image, scene, folder: Path) -> Path:
    """An EXR file of ``image``: its own file where it is an unchanged EXR on disk, else one
    that Blender writes into ``folder``. Raises :class:`mcdenoise.errors.ExrError` in one line
    where Blender cannot save it (a Render Result before any render, say)."""
    from mcdenoise.errors import ExrError
    from mcdenoise.render.blender import last_line

    if image.source == "FILE" and image.packed_file is None and not image.is_dirty:
        path = Path(bpy.path.abspath(image.filepath, library=image.library))
        if path.suffix.lower() == ".exr" and path.is_file():
            return path
    path = folder / "image.exr"
    try:
        with _float_exr_output(scene, multilayer=image.type == "RENDER_RESULT"):
            image.save_render(str(path), scene=scene)
    except RuntimeError as error:
        raise ExrError(f"{image.name}: Blender could not save it as an EXR ({last_line(error)})") from None
    if not path.is_file():
        raise ExrError(f"{image.name}: Blender wrote no EXR of it (is it empty?)")
    return path


def _color_and_alpha(path: Path) -> dict:
    """R, G, B and A of the denoised color of an output of ``apply``: where its layout writes the
    color (a Blender view layer's Combined), and the alpha beside it (1 where there is none)."""
    from mcdenoise.io.layout import read_frame

    frame, layout = read_frame(path)
    channels = {c: frame.channels[name] for c, name in zip("RGB", layout.color_out, strict=True)}
    group = layout.color_out[0].rpartition(".")[0]
    alpha = frame.channels.get(f"{group}.A" if group else "A")
    channels["A"] = alpha if alpha is not None else np.ones_like(channels["R"])
    return channels


def denoise_image(image, model: str = "", scene=None) -> tuple:
    """Denoise ``image`` with the model file ``model`` (empty: Intel OIDN or the base model, by
    the image's noise, as ``mcdenoise apply`` chooses) into a new image ``NAME.denoised``, which
    replaces an earlier one. Returns the new image and a note on which denoiser took it (or None).
    Raises :class:`mcdenoise.errors.McDenoiseError` subclasses in one line."""
    from mcdenoise.commands.apply import ApplyConfig, denoiser_of
    from mcdenoise.denoise.apply import apply_file
    from mcdenoise.io.exr import Frame, write_exr

    scene = scene or bpy.context.scene
    with tempfile.TemporaryDirectory(prefix="mcdenoise-image-") as temporary:
        folder = Path(temporary)
        source = source_exr(image, scene, folder)
        denoiser = denoiser_of(ApplyConfig(frames=[str(source)], model=model or None))
        result = apply_file(denoiser, source, folder / "denoised.exr")
        path = folder / f"{denoised_name(image)}.exr"
        write_exr(path, Frame(_color_and_alpha(result.output), {}))
        old = bpy.data.images.get(denoised_name(image))
        if old is not None:
            bpy.data.images.remove(old)
        denoised = bpy.data.images.load(str(path))
        denoised.name = denoised_name(image)
        denoised.pack()  # the temporary file goes; the pixels stay, and are saved with the .blend
    return denoised, result.note
