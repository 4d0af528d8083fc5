"""The panel's buttons: Render pairs and Train run mcdenoise in a process of its own, watched by a
modal operator (the interface stays live, the status bar shows the progress, Esc ends it); run
from a script or in the background they wait for it instead. Denoise this image runs here."""

import tempfile
from pathlib import Path

import bpy

from . import jobs
from .preferences import missing_line, missing_packages, packages_folder
from .properties import model_path


class OperatorError(Exception):
    """What an operator reports in one line: a missing setting, or what mcdenoise raised."""


def _require_packages() -> None:
    missing = missing_packages()
    if missing:
        raise OperatorError(missing_line(missing))


def _folder(path: str, what: str) -> Path:
    """``path`` made absolute against the open .blend; a relative one needs the .blend saved."""
    if not path.strip():
        raise OperatorError(f"set the {what}")
    if path.startswith("//") and not bpy.data.filepath:
        raise OperatorError(f"the {what} {path} is relative to the .blend: save the .blend first, or choose an absolute path")
    return Path(bpy.path.abspath(path))


def render_pairs_job(context) -> jobs.Job:
    """Start ``mcdenoise render-pairs`` on a copy of the open .blend (saved to a temporary folder,
    so the artist's file is left as it is) with the panel's settings."""
    _require_packages()
    settings = context.scene.mcdenoise
    out = _folder(settings.pairs_folder, "pairs folder")
    folder = tempfile.TemporaryDirectory(prefix="mcdenoise-blend-")
    name = Path(bpy.data.filepath).name or "untitled.blend"
    copy = Path(folder.name) / Path(name).stem / name  # the progress bar shows the folder's name
    copy.parent.mkdir()
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(copy), copy=True)
    except RuntimeError as error:
        folder.cleanup()
        raise OperatorError(f"could not save a copy of the .blend to render ({_one_line(error)})") from None
    args = jobs.render_pairs_args(copy, out, settings.views, settings.pairs, settings.spp, settings.pixels)
    paths = jobs.python_paths(packages_folder(context))
    return _started(jobs.mcdenoise_command(args, paths, bpy.app.binary_path), "render-pairs", paths, folder)


def train_job(context) -> jobs.Job:
    """Start ``mcdenoise train`` on the pairs folder into the model file, with the panel's budgets."""
    _require_packages()
    settings = context.scene.mcdenoise
    pairs = _folder(settings.pairs_folder, "pairs folder")
    if not settings.model.strip():
        raise OperatorError("set the model file that Train writes (e.g. //shot.pt)")
    model = _folder(settings.model, "model file")
    args = jobs.train_args(pairs, model, settings.minutes, settings.steps)
    paths = jobs.python_paths(packages_folder(context))
    return _started(jobs.mcdenoise_command(args, paths), "train", paths)


def _started(command, label, paths, folder=None) -> jobs.Job:
    """A :class:`jobs.Job` of ``command``, or an :class:`OperatorError` where it cannot start."""
    try:
        return jobs.Job(command, label, paths, folder)
    except OSError as error:
        if folder is not None:
            folder.cleanup()
        raise OperatorError(f"could not start {command[0]} for {label}: {error}") from None


def _one_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _reported_errors():
    """The errors that an operator reports in one line: its own and mcdenoise's."""
    try:
        from mcdenoise.errors import McDenoiseError
    except ImportError:
        return (OperatorError,)
    return (OperatorError, McDenoiseError)


class _JobOperator:
    """A button that runs a :class:`jobs.Job`: modal when invoked from the interface, waiting when
    executed (scripts, ``bpy.app.background``)."""

    start = None  # the function that starts the job, from the context
    done_message = ""

    def execute(self, context):
        try:
            job = type(self).start(context)
        except _reported_errors() as error:
            self.report({"ERROR"}, _one_line(error))
            return {"CANCELLED"}
        return self._outcome(context, job)

    def _outcome(self, context, job):
        """Wait for ``job``'s end and report it."""
        try:
            job.result()
        except _reported_errors() as error:
            self.report({"ERROR"}, _one_line(error))
            return {"CANCELLED"}
        self.report({"INFO"}, self.done_message.format(settings=context.scene.mcdenoise))
        return {"FINISHED"}

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        try:
            self._job = type(self).start(context)
        except _reported_errors() as error:
            self.report({"ERROR"}, _one_line(error))
            return {"CANCELLED"}
        self._timer = context.window_manager.event_timer_add(0.25, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            self._finish(context)
            self.report({"WARNING"}, f"mcdenoise {self._job.label} cancelled; run it again to resume")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not self._job.done():
            line, _ = self._job.status()
            context.workspace.status_text_set(f"mcdenoise: {line}  (Esc: cancel)")
            return {"PASS_THROUGH"}
        self._finish(context)
        return self._outcome(context, self._job)

    def cancel(self, context):
        """Blender ends the operator (the file is closed, say): end the process too."""
        self._job.cancel()
        self._finish(context)

    def _finish(self, context):
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)


class MCDENOISE_OT_render_pairs(_JobOperator, bpy.types.Operator):
    """Render pairs of noisy frames of this scene (a copy of the .blend, in the background) into the pairs folder"""

    bl_idname = "mcdenoise.render_pairs"
    bl_label = "Render pairs"
    start = staticmethod(render_pairs_job)
    done_message = "mcdenoise: pairs written to {settings.pairs_folder}"


class MCDENOISE_OT_train(_JobOperator, bpy.types.Operator):
    """Fine-tune the base model on the pairs folder into the model file (in the background; rerun to resume)"""

    bl_idname = "mcdenoise.train"
    bl_label = "Train"
    start = staticmethod(train_job)
    done_message = "mcdenoise: model written to {settings.model}"


def shown_image(context, name: str = ""):
    """The image called ``name``, else the one in this Image Editor, else in the window's first
    Image Editor that shows one, else the Render Result; and the editor's space (or None)."""
    if name:
        return bpy.data.images.get(name), None
    if context.space_data is not None and context.space_data.type == "IMAGE_EDITOR" and context.space_data.image:
        return context.space_data.image, context.space_data
    screen = context.window.screen if context.window else None
    for area in screen.areas if screen else ():
        if area.type == "IMAGE_EDITOR" and area.spaces.active.image:
            return area.spaces.active.image, area.spaces.active
    return bpy.data.images.get("Render Result"), None


class MCDENOISE_OT_denoise_image(bpy.types.Operator):
    """Denoise the image shown in the Image Editor (or the Render Result) into a new image NAME.denoised"""

    bl_idname = "mcdenoise.denoise_image"
    bl_label = "Denoise this image"
    bl_options = {"REGISTER"}

    image: bpy.props.StringProperty(name="Image", description="The image to denoise (empty: the one shown)", default="")

    def execute(self, context):
        from .image import denoise_image

        try:
            _require_packages()
            image, space = shown_image(context, self.image)
            if image is None:
                missing = f"no image {self.image!r}" if self.image else "no image to denoise: render, or open one in the Image Editor"
                raise OperatorError(missing)
            denoised, note = denoise_image(image, model_path(context.scene.mcdenoise), context.scene)
        except _reported_errors() as error:
            self.report({"ERROR"}, _one_line(error))
            return {"CANCELLED"}
        if space is not None:
            space.image = denoised
        self.report({"INFO"}, f"mcdenoise: {denoised.name}" + (f" ({note})" if note else ""))
        return {"FINISHED"}


CLASSES = (MCDENOISE_OT_render_pairs, MCDENOISE_OT_train, MCDENOISE_OT_denoise_image)


def register() -> None:
    """Register the operators."""
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    """Unregister the operators."""
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
