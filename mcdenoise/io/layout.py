"""Where a renderer's EXR keeps each feature, and reading any of them as mcdenoise's own.

mcdenoise's own frames name their channels ``R,G,B``, ``albedo.R,G,B``,
``normal.X,Y,Z`` and ``depth.Z`` (:mod:`mcdenoise.features`). Other renderers
name them otherwise:

- **Blender** writes a multilayer EXR with one group per view layer and pass:
  ``ViewLayer.Combined.R``, ``ViewLayer.Noisy Image.R`` (when Cycles' own denoiser
  ran, ``Combined`` is its denoised image and this the noisy one),
  ``ViewLayer.Denoising Albedo.R``, ``ViewLayer.Denoising Normal.X``,
  ``ViewLayer.Denoising Depth.Z``;
- **Arnold, RenderMan, V-Ray** and compositing tools write AOVs such as
  ``diffuse_albedo.R`` or ``N.X``;
- **OIDN's own tools** take the features as separate files (``--alb``, ``--nrm``).

Separate feature files are found three ways, the first that names one winning:

1. a :class:`FrameFiles` (a ``pairs.json`` entry ``{"color": ..., "albedo": ...}``);
2. ``--albedo``/``--normal``/``--depth`` (:attr:`LayoutRequest.files`), where ``{frame}``
   stands for each color file's path without ``.exr``: ``--albedo '{frame}_albedo.exr'``;
3. the naming convention, for a feature that the color file lacks: beside ``X.exr``,
   ``X.albedo.exr``, ``X.normal.exr`` and ``X.depth.exr`` (:func:`conventional_file`).

A :class:`LayoutRequest` holds what the user said (``--layer``, ``--channels``,
feature files); :func:`read_frame` finds each feature in the file, by the request
first and then by the known names, and gives the frame with mcdenoise's names
added beside the file's own. What it cannot
find or cannot choose between gets one line naming what the file holds and the
flag to use. :attr:`Layout.color` says where the denoised color is written back,
so the output keeps the input's layout.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

from mcdenoise.errors import ConfigError, ExrError
from mcdenoise.features import AUX_CHANNELS, COLOR
from mcdenoise.io.exr import Frame, read_exr

#: The features a file can hold, with mcdenoise's channel names for each.
FEATURE_CHANNELS = {"color": COLOR, **AUX_CHANNELS}
#: Component names tried for each feature, in order: a group ``beauty`` has ``beauty.R`` ...
_COMPONENTS = {
    "color": (("R", "G", "B"), ("r", "g", "b")),
    "albedo": (("R", "G", "B"), ("r", "g", "b"), ("X", "Y", "Z")),
    "normal": (("X", "Y", "Z"), ("x", "y", "z"), ("R", "G", "B"), ("r", "g", "b")),
    "depth": (("Z",), ("T",), ("V",), ("R",), ("Y",), ("z",)),
}
#: Group names of other renderers and tools for each feature, tried where the file has none of ours.
KNOWN_GROUPS = {
    "color": ("", "beauty", "Beauty", "rgba", "RGBA", "Ci"),
    "albedo": ("albedo", "Albedo", "diffuse_albedo", "albedo_diffuse", "DiffuseAlbedo", "denoise_albedo", "DiffCol"),
    "normal": ("normal", "Normal", "N", "normals", "denoise_normal", "Nn", "Ns"),
    "depth": ("depth", "Depth", "Z", "z", "zfiltered"),
}
#: The passes of a Blender view layer for each feature, in the order tried.
BLENDER_PASSES = {
    "color": ("Noisy Image", "Combined"),
    "albedo": ("Denoising Albedo", "DiffCol"),
    "normal": ("Denoising Normal", "Normal"),
    "depth": ("Denoising Depth", "Depth"),
}
#: In a feature file's pattern, each color file's path without ``.exr``.
FRAME_PLACEHOLDER = "{frame}"
#: The features that may sit in files of their own.
SEPARATE_FEATURES = ("albedo", "normal", "depth")
#: The pass that tells a Blender view layer: every layer has it.
_BLENDER_COLOR_PASSES = ("Combined", "Noisy Image")


@dataclass(frozen=True)
class LayoutRequest:
    """What the user said about a file's layout; empty means "find it"."""

    #: Blender view layer (``--layer``); None: the file's only one.
    layer: str | None = None
    #: Feature -> the file's channel group for it (``--channels color=beauty,normal=N``).
    groups: dict = field(default_factory=dict)
    #: Feature -> a separate EXR that holds it (``--albedo A.exr``), or a pattern of such files
    #: with :data:`FRAME_PLACEHOLDER` (``--albedo '{frame}_albedo.exr'``).
    files: dict = field(default_factory=dict)

    @property
    def per_frame(self) -> bool:
        """Whether every feature file is a pattern, and so names a file of each frame."""
        return all(FRAME_PLACEHOLDER in str(file) for file in self.files.values())

    def files_for(self, color) -> dict[str, Path]:
        """The feature files of the frame whose color is at ``color``, by feature."""
        stem = str(Path(color).with_suffix(""))
        return {feature: Path(str(file).replace(FRAME_PLACEHOLDER, stem)) for feature, file in self.files.items()}

    @classmethod
    def parse_channels(cls, text: str | None) -> dict:
        """``"color=beauty,albedo=diffuse_albedo"`` -> ``{"color": "beauty", "albedo": "diffuse_albedo"}``;
        raises :class:`ConfigError` (field ``channels``) for anything else."""
        groups = {}
        for part in filter(None, (text or "").split(",")):
            feature, _, group = part.partition("=")
            feature = feature.strip()
            if not _ or feature not in FEATURE_CHANNELS:
                raise ConfigError(
                    f"{{channels}} takes FEATURE=GROUP pairs, FEATURE one of {', '.join(FEATURE_CHANNELS)}, not {part!r}", "channels"
                )
            groups[feature] = group.strip()
        return groups


@dataclass(frozen=True)
class FrameFiles:
    """One frame kept as separate files, as OIDN's tools take it: its color, and its features by
    name (a ``pairs.json`` entry's object form)."""

    color: Path
    #: (feature, file) for each feature in a file of its own.
    features: tuple[tuple[str, Path], ...] = ()

    @property
    def name(self) -> str:
        """The color file's name, for messages."""
        return self.color.name

    def paths(self) -> list[Path]:
        """Every file of the frame, the color first."""
        return [self.color] + [file for _, file in self.features]

    def __str__(self) -> str:
        return str(self.color)


def conventional_file(color, feature: str) -> Path:
    """Where the naming convention keeps the ``feature`` of the color file ``color``: ``X.exr`` -> ``X.FEATURE.exr``."""
    color = Path(color)
    return color.with_name(f"{color.stem}.{feature}{color.suffix}")


@dataclass(frozen=True)
class Layout:
    """Where one file keeps each feature it has: feature -> the file's channel names."""

    channels: dict
    #: In words, for messages: ``mcdenoise``, ``renamed``, ``Blender view layer 'ViewLayer'``.
    description: str
    #: The file's channels that the denoised color is written to (``Combined`` for Blender).
    color_out: tuple
    #: Where the noisy color is kept when :attr:`color_out` would overwrite it (Blender's ``Noisy Image``).
    noisy_out: tuple = ()
    #: Every channel of the file itself, in its order: what an output keeps.
    file_channels: tuple = ()

    @property
    def color(self) -> tuple:
        """The file's channels of the noisy color."""
        return self.channels["color"]


def _group_channels(names, group: str, feature: str) -> tuple | None:
    """The channels of ``group`` for ``feature`` among ``names``, or None."""
    prefix = f"{group}." if group else ""
    for components in _COMPONENTS[feature]:
        wanted = tuple(prefix + c for c in components)
        if all(w in names for w in wanted):
            return wanted
    if feature == "depth" and group in names:
        return (group,)
    return None


def blender_layers(names) -> list[str]:
    """The view layers of a Blender multilayer EXR's channel names (``ViewLayer.Combined.R`` -> ``ViewLayer``)."""
    layers = []
    for name in names:
        for color_pass in _BLENDER_COLOR_PASSES:
            marker = f".{color_pass}."
            if marker in name:
                layer = name[: name.index(marker)]
                if layer not in layers:
                    layers.append(layer)
    return layers


def _channel_list(names) -> str:
    shown = sorted(names)
    return ", ".join(shown[:24]) + (f" and {len(shown) - 24} more" if len(shown) > 24 else "")


def find_layout(frame: Frame, request: LayoutRequest, source) -> Layout:
    """The layout of ``frame`` (read from ``source``) under ``request``. Raises :class:`ExrError`
    in one line naming the channels found and the flag to use where a feature asked for is not
    there, or where the file has several view layers and none is chosen."""
    names = set(frame.channels)
    layers = blender_layers(names)
    if request.layer is not None and request.layer not in layers:
        found = f"its view layers are {', '.join(layers)}" if layers else "it has no Blender view layers"
        raise ExrError(f"{source}: no view layer {request.layer!r} ({found}); choose one with --layer")
    channels = {}
    for feature, group in request.groups.items():
        found = _group_channels(names, group, feature)
        if found is None:
            raise ExrError(f"{source}: no channels {group}.* for {feature} (--channels); it holds {_channel_list(names)}")
        channels[feature] = found
    own = all(c in names for c in COLOR)
    if "color" not in channels and not own and layers:
        if len(layers) > 1 and request.layer is None:
            raise ExrError(f"{source}: holds {len(layers)} view layers ({', '.join(layers)}); choose one with --layer")
        layer = request.layer or layers[0]
        for feature, passes in BLENDER_PASSES.items():
            for blender_pass in passes:
                found = _group_channels(names, f"{layer}.{blender_pass}", feature)
                if found is not None and feature not in channels:
                    channels[feature] = found
                    break
        if "color" not in channels:
            raise ExrError(f"{source}: view layer {layer!r} has no Combined or Noisy Image pass; it holds {_channel_list(names)}")
        combined = _group_channels(names, f"{layer}.Combined", "color") or channels["color"]
        noisy = tuple(f"{layer}.Noisy Image.{c}" for c in COLOR) if combined == channels["color"] else ()
        return Layout(channels, f"Blender view layer {layer!r}", combined, noisy)
    for feature, ours in FEATURE_CHANNELS.items():
        if feature in channels:
            continue
        if all(c in names for c in ours):
            channels[feature] = ours
            continue
        for group in KNOWN_GROUPS[feature]:
            found = _group_channels(names, group, feature)
            if found is not None:
                channels[feature] = found
                break
    if "color" not in channels:
        raise ExrError(
            f"{source}: missing channels R, G, B of the color; it holds {_channel_list(names)}; name them with --channels color=GROUP"
        )
    described = "mcdenoise" if all(channels.get(f) == c for f, c in FEATURE_CHANNELS.items() if f in channels) else "renamed"
    return Layout(channels, described, channels["color"])


def read_frame(source, request: LayoutRequest | None = None) -> tuple[Frame, Layout]:
    """Read the EXR at ``source`` (a path, or a :class:`FrameFiles`) with mcdenoise's channel names
    added beside its own, and its layout.

    Separate feature files (the module's docstring says how they are found) must match the
    frame's size; their channels join the frame under mcdenoise's names only. Raises
    :class:`ExrError` in one line.
    """
    request = request or LayoutRequest()
    path = source.color if isinstance(source, FrameFiles) else Path(source)
    files = {**request.files_for(path), **dict(source.features if isinstance(source, FrameFiles) else ())}
    frame = read_exr(path)
    layout = find_layout(frame, request, path)
    for feature in SEPARATE_FEATURES:
        if feature not in layout.channels and feature not in files and conventional_file(path, feature).is_file():
            files[feature] = conventional_file(path, feature)
    channels = dict(frame.channels)
    for feature, names in layout.channels.items():
        for ours, theirs in zip(FEATURE_CHANNELS[feature], names, strict=True):
            channels[ours] = frame.channels[theirs]
    for feature, file in files.items():
        channels.update(_feature_file(file, feature, frame.shape, path))
    return Frame(channels, frame.attributes), replace(layout, file_channels=tuple(frame.channels))


def require_features(frame: Frame, layout: Layout, needs, source) -> None:
    """Raise :class:`ExrError` in one line, naming what the file holds and the flags to use, when
    ``frame`` (from :func:`read_frame`) lacks a feature of ``needs`` (albedo, normal, depth)."""
    for feature in needs:
        if not all(c in frame.channels for c in FEATURE_CHANNELS[feature]):
            raise ExrError(
                f"{source}: missing channels {', '.join(FEATURE_CHANNELS[feature])} that the model needs for {feature} "
                f"({layout.description} layout; it holds "
                f"{_channel_list(layout.file_channels)}); name them with --channels {feature}=GROUP, or give a file with --{feature} FILE"
            )


def _feature_file(file, feature: str, shape, frame_path) -> dict:
    """mcdenoise's channels of ``feature`` from a separate EXR (OIDN's --alb/--nrm style)."""
    file = Path(file)
    frame = read_exr(file)
    if frame.shape != shape:
        raise ExrError(f"{file}: its {feature} is {frame.shape[1]}x{frame.shape[0]}, the frame {frame_path} {shape[1]}x{shape[0]}")
    names = set(frame.channels)
    for group in ("", feature, *KNOWN_GROUPS[feature]):
        found = _group_channels(names, group, feature)
        if found is not None:
            return dict(zip(FEATURE_CHANNELS[feature], (frame.channels[n] for n in found), strict=True))
    raise ExrError(f"{file}: no {feature} channels found; it holds {_channel_list(names)}")
