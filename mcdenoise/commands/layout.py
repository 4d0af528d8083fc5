"""The flags that say where another renderer's EXR keeps its features (``--layer``, ``--channels``,
and for one frame ``--albedo``/``--normal``/``--depth`` files)."""

from dataclasses import dataclass

from mcdenoise.io.layout import LayoutRequest
from mcdenoise.options import option

GROUP = (
    "other renderers' EXRs",
    "Blender's multilayer files (a view layer's Noisy Image or Combined, Denoising Albedo, Denoising Normal,\n"
    "Denoising Depth) and common AOV names (diffuse_albedo, N, ...) are found by themselves; say where to\n"
    "look when they are not. The denoised color goes back where the color was, the other channels kept.",
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

    def request(self) -> LayoutRequest:
        """The layout request of these options."""
        return LayoutRequest(layer=self.layer, groups=LayoutRequest.parse_channels(self.channels), files=self.feature_files())

    def feature_files(self) -> dict[str, str]:
        """One frame's features from files of their own, by feature: none here."""
        return {}


def _file_option(feature: str):
    return option(
        None, f"the frame's {feature} from a separate EXR, as oidnDenoise's --alb and --nrm take them (one input only)", metavar="FILE.exr"
    )


@dataclass(frozen=True)
class FrameLayoutOptions(LayoutOptions):
    """:class:`LayoutOptions` plus one frame's features from files of their own."""

    albedo: str | None = _file_option("albedo")
    normal: str | None = _file_option("normal")
    depth: str | None = _file_option("depth")

    def feature_files(self) -> dict[str, str]:
        """The feature files given, by feature."""
        return {name: getattr(self, name) for name in ("albedo", "normal", "depth") if getattr(self, name)}
