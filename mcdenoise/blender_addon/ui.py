"""Where the add-on shows: a panel under Render Properties, and Denoise this image in the Image
Editor's Image menu and sidebar."""

import bpy

from .preferences import missing_line, missing_packages


class RENDER_PT_mcdenoise(bpy.types.Panel):
    """Render pairs of this scene, train a model on them, denoise renders."""

    bl_label = "mcdenoise"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "render"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.mcdenoise
        missing = missing_packages()
        if missing:
            layout.label(text=missing_line(missing), icon="ERROR")
        column = layout.column(heading="Pairs")
        column.prop(settings, "pairs_folder")
        row = column.row(align=True)
        row.prop(settings, "views")
        row.prop(settings, "pairs")
        row = column.row(align=True)
        row.prop(settings, "spp")
        row.prop(settings, "pixels")
        column.operator("mcdenoise.render_pairs", icon="RENDER_STILL")
        column = layout.column(heading="Training")
        column.prop(settings, "model")
        row = column.row(align=True)
        row.prop(settings, "minutes")
        row.prop(settings, "steps")
        column.operator("mcdenoise.train", icon="PLAY")
        column = layout.column(heading="Denoising")
        column.prop(settings, "denoise_renders")
        if settings.denoise_error:
            column.label(text=settings.denoise_error, icon="ERROR")
        column.operator("mcdenoise.denoise_image", icon="IMAGE")


class IMAGE_PT_mcdenoise(bpy.types.Panel):
    """Denoise the image shown here, with the scene's model file."""

    bl_label = "mcdenoise"
    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_category = "mcdenoise"

    def draw(self, context):
        layout = self.layout
        layout.prop(context.scene.mcdenoise, "model")
        layout.operator("mcdenoise.denoise_image", icon="IMAGE")


def _image_menu(self, context):
    self.layout.separator()
    self.layout.operator("mcdenoise.denoise_image", icon="IMAGE")


CLASSES = (RENDER_PT_mcdenoise, IMAGE_PT_mcdenoise)


def register() -> None:
    """Register the panels and the Image menu's entry."""
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.IMAGE_MT_image.append(_image_menu)


def unregister() -> None:
    """Remove what :func:`register` added."""
    bpy.types.IMAGE_MT_image.remove(_image_menu)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
