"""The flags that say where another renderer's EXR keeps its features (``--layer``, ``--channels``,
and ``--albedo``/``--normal``/``--depth`` files, one frame's or, with ``{frame}``, each frame's)."""

from dataclasses import dataclass

from mcdenoise.io.layout import LayoutRequest
from mcdenoise.options import option

GROUP = (
    "other renderers' EXRs",
    "Blender's multilayer files (a view layer's Noisy Image or Combined, Denoising Albedo, Denoising Normal,\n"
    "Denoising Depth) and common AOV names (diffuse_albedo, N, ...) are found by themselves, and so are\n"
    "separate feature files named X.albedo.exr, X.normal.exr and X.depth.exr beside a color file X.exr;\n"
    "say where to look when they are not. The denoised color goes back where the color was, the other\n"
    "channels kept.",
)


def _file_option(feature: str):
    return option(
        None,
        f"the {feature} from a separate EXR, as oidnDenoise's --alb and --nrm take them; {{frame}} stands for each color "
        f"file's path without .exr: '{{frame}}_{feature}.exr' (quote it)",
        metavar="FILE.exr",
    )


@dataclass(frozen=True)
class LayoutOptions:
    """Where a file keeps its color and features; empty means "find them"."""

    layer: str | None = option(None, "the Blender view layer to read (default: the file's only one)")
    channels: str | None = option(
        None,
        "the channel group of each feature (color, albedo, normal, depth), e.g. color=beauty,albedo=diffuse_albedo,normal=N "
        "reads beauty.R,G,B, diffuse_albedo.R,G,B and N.X,Y,Z",
        metavar="FEATURE=GROUP,...",
    )
    albedo: str | None = _file_option("albedo")
    normal: str | None = _file_option("normal")
    depth: str | None = _file_option("depth")

    def request(self) -> LayoutRequest:
        """The layout request of these options."""
        files = {name: getattr(self, name) for name in ("albedo", "normal", "depth") if getattr(self, name)}
        return LayoutRequest(layer=self.layer, groups=LayoutRequest.parse_channels(self.channels), files=files)
