"""Mitsuba 3 scene XML from a scene dict in ``load_dict`` layout.

Generated scenes are written as ordinary ``scene.xml`` files, so everything
that renders a scene file (``render-pairs``, Mitsuba itself) renders them, and
a user can open one to see what the base model was trained on.
"""

from xml.sax.saxutils import quoteattr

from mcdenoise.errors import SceneError
from mcdenoise.render.scenes.generator import Matrix4

#: The XML tag of each plugin type that the generator uses.
_TAGS = {
    **dict.fromkeys(("sphere", "cube", "cylinder", "disk", "rectangle"), "shape"),
    **dict.fromkeys(
        ("diffuse", "plastic", "roughplastic", "dielectric", "roughdielectric", "conductor", "roughconductor", "twosided"), "bsdf"
    ),
    **dict.fromkeys(("area", "point", "directional", "constant"), "emitter"),
    **dict.fromkeys(("box", "gaussian", "tent"), "rfilter"),
    "checkerboard": "texture",
    "perspective": "sensor",
    "path": "integrator",
    "hdrfilm": "film",
    "independent": "sampler",
}
#: Nested plugins whose dict key is a parameter name that Mitsuba needs to see.
_NAMED_TAGS = ("texture",)


def _value(name: str, value, indent: str) -> list[str]:
    attribute = f"name={quoteattr(name)}"
    if isinstance(value, bool):
        return [f'{indent}<boolean {attribute} value="{str(value).lower()}"/>']
    if isinstance(value, int):
        return [f'{indent}<integer {attribute} value="{value}"/>']
    if isinstance(value, float):
        return [f'{indent}<float {attribute} value="{value:.6g}"/>']
    if isinstance(value, str):
        return [f"{indent}<string {attribute} value={quoteattr(value)}/>"]
    if isinstance(value, Matrix4):
        numbers = " ".join(f"{v:.9g}" for row in value.rows for v in row)  # enough digits to keep a scale uniform
        return [f"{indent}<transform {attribute}>", f'{indent}    <matrix value="{numbers}"/>', f"{indent}</transform>"]
    if isinstance(value, dict) and value.get("type") == "rgb":
        return [f'{indent}<rgb {attribute} value="{", ".join(f"{v:.6g}" for v in value["value"])}"/>']
    if isinstance(value, dict):
        return _plugin(value, indent, name)
    raise SceneError(f"cannot write parameter {name!r} of type {type(value).__name__} to scene XML")


def _plugin(plugin: dict, indent: str, name: str | None = None) -> list[str]:
    kind = plugin.get("type")
    tag = _TAGS.get(kind)
    if tag is None:
        raise SceneError(f"cannot write plugin type {kind!r} to scene XML")
    named = f" name={quoteattr(name)}" if name and tag in _NAMED_TAGS else ""
    lines = [f"{indent}<{tag} type={quoteattr(kind)}{named}>"]
    for key, value in plugin.items():
        if key != "type":
            lines += _value(key, value, indent + "    ")
    return lines + [f"{indent}</{tag}>"]


def scene_xml(scene: dict) -> str:
    """The text of a Mitsuba 3 ``scene.xml`` for ``scene`` (a dict with ``type: scene``)."""
    if scene.get("type") != "scene":
        raise SceneError("a scene dict must have type 'scene'")
    lines = ['<scene version="3.0.0">']
    for key, value in scene.items():
        if key != "type":
            lines += _plugin(value, "    ", key)
    return "\n".join(lines + ["</scene>"]) + "\n"
