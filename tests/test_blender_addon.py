"""The Blender add-on, headless in bpy: registering it, its panel's settings, Render pairs and Train
(mcdenoise in a process of its own, waited for in the background), Denoise this image on a loaded
EXR and on the Render Result, the Denoise renders toggle, and its one-line errors."""

import sys
import zipfile

import numpy as np
import pytest

from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.io.files import read_json
from mcdenoise.metrics import psnr_t
from mcdenoise.native_output import captured_native_output
from mcdenoise.progress import Progress
from mcdenoise.render.scenes.blender_box import build_blender_box

# bpy 5.0.1 is built for Python 3.11 only; there, the [blender] extra must have installed it.
if sys.version_info[:2] != (3, 11):
    pytest.skip("bpy 5.0.1 (the [blender] extra) is built for Python 3.11 only", allow_module_level=True)

ADDON = "mcdenoise.blender_addon"
COMBINED = [f"ViewLayer.Combined.{c}" for c in COLOR]
HANDLER = "mcdenoise_denoise_written_frame"


def _bpy():
    with captured_native_output():
        import bpy
    import addon_utils  # Blender's own module, importable once bpy is

    return bpy, addon_utils


def _render(bpy, path, spp: int, seed: int) -> None:
    """The open scene's camera at ``spp`` with ``seed``, written as Blender's multilayer EXR (or kept as the Render Result)."""
    scene = bpy.context.scene
    scene.cycles.samples, scene.cycles.seed = spp, seed
    if path is not None:
        scene.render.filepath = str(path)
    with captured_native_output():
        bpy.ops.render.render(write_still=path is not None)


def _pixels(image) -> np.ndarray:
    """A Blender image's RGB, top row first (Blender keeps the bottom row first)."""
    width, height = image.size
    pixels = np.empty(width * height * 4, np.float32)
    image.pixels.foreach_get(pixels)
    return pixels.reshape(height, width, 4)[::-1, :, :3]


def _one_line_error(caught) -> str:
    """What bpy.ops raised for an operator's ERROR report: one line, and no traceback."""
    message = str(caught.value).strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    return message


def test_the_addon_registers_and_unregisters():
    bpy, addon_utils = _bpy()
    addon_utils.enable(ADDON, default_set=True)
    try:
        assert ADDON in bpy.context.preferences.addons
        assert bpy.context.preferences.addons[ADDON].preferences.packages == ""
        settings = bpy.context.scene.mcdenoise
        assert (settings.views, settings.pairs, settings.spp, settings.minutes) == (32, 4, 4, 10.0)
        for name in ("pairs_folder", "pixels", "steps", "model", "denoise_renders"):
            assert hasattr(settings, name), name
        for operator in ("render_pairs", "train", "denoise_image"):
            getattr(bpy.ops.mcdenoise, operator).get_rna_type()  # raises where it is not registered
        assert hasattr(bpy.types, "RENDER_PT_mcdenoise") and hasattr(bpy.types, "IMAGE_PT_mcdenoise")
    finally:
        addon_utils.disable(ADDON, default_set=True)
    assert ADDON not in bpy.context.preferences.addons
    assert not hasattr(bpy.types.Scene, "mcdenoise") and not hasattr(bpy.types, "RENDER_PT_mcdenoise")


def test_the_zip_holds_the_manifest_and_the_modules_and_installs(tmp_path, monkeypatch):
    import tomllib  # Python 3.11

    from mcdenoise.blender_addon.build import build

    with zipfile.ZipFile(build(tmp_path / "mcdenoise_blender.zip")) as archive:
        archive.extractall(tmp_path / "addons")
        names = set(archive.namelist())
        manifest = tomllib.loads(archive.read("mcdenoise_blender/blender_manifest.toml").decode())
        init = archive.read("mcdenoise_blender/__init__.py").decode()
    assert {f"mcdenoise_blender/{name}" for name in ("__init__.py", "operators.py", "jobs.py", "image.py")} <= names
    assert "mcdenoise_blender/build.py" not in names and "bl_info" in init  # a classic add-on too
    bpy, addon_utils = _bpy()  # installed from the zip, as Blender installs it: a module of its own
    monkeypatch.syspath_prepend(str(tmp_path / "addons"))
    addon_utils.enable("mcdenoise_blender", default_set=True)
    try:
        assert bpy.context.scene.mcdenoise.views == 32 and "mcdenoise_blender" in bpy.context.preferences.addons
    finally:
        addon_utils.disable("mcdenoise_blender", default_set=True)
    assert not hasattr(bpy.types.Scene, "mcdenoise")
    assert manifest["id"] == "mcdenoise" and manifest["type"] == "add-on" and manifest["blender_version_min"] == "4.2.0"


def test_a_job_reads_the_progress_bar_and_the_one_line_error():
    from mcdenoise.blender_addon import jobs
    from mcdenoise.errors import JobError

    lines = []

    class Lines:
        def write(self, text):
            lines.append(text.strip())

        def flush(self):
            pass

    bar = Progress(8, "render-pairs box", stream=Lines())
    bar.advance(3)
    assert jobs.progress_of(lines[-1]) == 3 / 8
    bar = Progress(1000, "train box.pt", stream=Lines(), percent=True)
    bar.advance(370)
    assert jobs.progress_of(lines[-1]) == 0.37 and jobs.progress_of("Saved model") is None
    # The real bar in a process of its own, drawn on a terminal (a pseudo-terminal) or a pipe.
    code = (
        "import sys; from mcdenoise.progress import Progress; bar = Progress(4, 'work')\n"
        "for _ in range(4): bar.advance()\n"
        "bar.close(); print('mcdenoise: error: scene.blend: no such file', file=sys.stderr); sys.exit(1)"
    )
    job = jobs.Job([sys.executable, "-c", code], "render-pairs", jobs.python_paths(""))
    with pytest.raises(JobError, match=r"^render-pairs failed: scene.blend: no such file$"):
        job.result()
    line, fraction = job.status()
    assert fraction == 1.0 and line.startswith("work [") and job.done()


@pytest.fixture(scope="module")
def bpy(tmp_path_factory):
    """The add-on enabled, and the box open in Blender at 64x64, as an artist's session has it."""
    bpy, addon_utils = _bpy()
    blend = build_blender_box(tmp_path_factory.mktemp("blend") / "box.blend", width=64, height=64)
    with captured_native_output():
        bpy.ops.wm.open_mainfile(filepath=str(blend), load_ui=False)
    addon_utils.enable(ADDON, default_set=True)
    scene = bpy.context.scene
    scene.cycles.use_denoising = False
    for layer in scene.view_layers:
        layer.cycles.denoising_store_passes = True
    yield bpy
    addon_utils.disable(ADDON, default_set=True)


@pytest.fixture(scope="module")
def pairs(bpy, tmp_path_factory):
    """Render pairs as the button does: 2 views x 1 pair of 2 spp, 64x64, from a copy of the .blend."""
    settings = bpy.context.scene.mcdenoise
    settings.pairs_folder = str(tmp_path_factory.mktemp("addon") / "pairs")
    settings.views, settings.pairs, settings.spp, settings.pixels = 2, 1, 2, 4096
    assert bpy.ops.mcdenoise.render_pairs() == {"FINISHED"}
    return settings.pairs_folder


@pytest.fixture(scope="module")
def model(bpy, pairs, tmp_path_factory):
    """Train as the button does, on those pairs, for a budget of 5 steps."""
    settings = bpy.context.scene.mcdenoise
    settings.model = str(tmp_path_factory.mktemp("model") / "box.pt")
    settings.minutes, settings.steps = 0.0, 5
    assert bpy.ops.mcdenoise.train() == {"FINISHED"}
    return settings.model


@pytest.fixture(scope="module")
def frames(bpy, tmp_path_factory):
    """A 4 spp frame as Blender writes it (multilayer, with the denoising data passes), and a 256 spp reference."""
    from mcdenoise.blender import prepare_output

    out = tmp_path_factory.mktemp("frames")
    prepare_output(bpy.context.scene)
    _render(bpy, out / "reference.exr", 256, 5)
    _render(bpy, out / "frame.exr", 4, 77)
    return out / "frame.exr", read_exr(out / "reference.exr").stack(COMBINED)


def test_render_pairs_writes_what_train_reads_and_leaves_the_blend_alone(bpy, pairs):
    from pathlib import Path

    manifest = read_json(Path(pairs) / "manifest.json")
    assert len(manifest["frames"]) == 4 and manifest["settings"]["spp"] == 2  # 2 views x 1 pair x (a, b)
    assert {record["view"] for record in manifest["frames"].values()} == {0, 1}
    assert bpy.data.filepath.endswith("box.blend")  # saved as a copy: the open file is still the artist's
    assert not any(Path(bpy.data.filepath).parent.glob("*.blend1"))


def test_train_writes_a_model_that_loads(model):
    from mcdenoise.denoise.hook import Denoiser

    assert Denoiser.load(model, device="cpu").source.endswith("box.pt")


def test_denoise_this_image_on_a_loaded_exr_and_on_the_render_result(bpy, model, frames):
    frame, reference = frames
    noisy = read_exr(frame).stack(COMBINED)
    image = bpy.data.images.load(str(frame))
    assert bpy.ops.mcdenoise.denoise_image(image=image.name) == {"FINISHED"}
    denoised = _pixels(bpy.data.images[f"{image.name}.denoised"])
    assert np.isfinite(denoised).all() and denoised.shape == noisy.shape
    assert psnr_t(denoised, reference) > psnr_t(noisy, reference) + 3.0
    # The Render Result (the same settings, so as noisy), with no model: OIDN or the base by its noise.
    _render(bpy, None, 4, 77)
    bpy.context.scene.mcdenoise.model = ""
    try:
        assert bpy.ops.mcdenoise.denoise_image(image="Render Result") == {"FINISHED"}
    finally:
        bpy.context.scene.mcdenoise.model = model
    denoised = _pixels(bpy.data.images["Render Result.denoised"])
    assert np.isfinite(denoised).all() and psnr_t(denoised, reference) > psnr_t(noisy, reference) + 3.0


def test_the_toggle_denoises_each_written_frame(bpy, model, frames, tmp_path):
    _, reference = frames
    settings = bpy.context.scene.mcdenoise
    settings.model = ""  # no model: OIDN or the base model, by the frame's noise
    settings.denoise_renders = True
    try:
        assert [h.__name__ for h in bpy.app.handlers.render_write].count(HANDLER) == 1
        _render(bpy, tmp_path / "still.exr", 4, 78)
    finally:
        settings.denoise_renders = False
        settings.model = model
    assert HANDLER not in [h.__name__ for h in bpy.app.handlers.render_write]
    denoised = read_exr(tmp_path / "still.denoised.exr").stack(COMBINED)
    noisy = read_exr(tmp_path / "still.exr").stack(COMBINED)
    assert np.isfinite(denoised).all() and psnr_t(denoised, reference) > psnr_t(noisy, reference) + 3.0


def test_a_missing_model_or_pairs_folder_is_one_line(bpy, model, frames, tmp_path):
    settings = bpy.context.scene.mcdenoise
    image = bpy.data.images.load(str(frames[0]), check_existing=True)
    settings.model = str(tmp_path / "missing.pt")
    try:
        with pytest.raises(RuntimeError) as caught:
            bpy.ops.mcdenoise.denoise_image(image=image.name)
        assert "missing.pt" in _one_line_error(caught)
        settings.denoise_renders = True  # the toggle turns itself off and says why, in one line
        assert not settings.denoise_renders and "missing.pt" in settings.denoise_error
        assert HANDLER not in [h.__name__ for h in bpy.app.handlers.render_write]
        settings.pairs_folder = str(tmp_path / "no pairs")
        with pytest.raises(RuntimeError) as caught:
            bpy.ops.mcdenoise.train()
        assert "train failed" in _one_line_error(caught) and "no pairs" in str(caught.value)
    finally:
        settings.model = model
