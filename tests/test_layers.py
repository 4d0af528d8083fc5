"""The house rules of the package, read from its source: the layers that its folders name, no
import cycles, and one owner for each file format."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mcdenoise"
#: Top-level modules that every layer may use, and that use nothing but each other.
FOUNDATION = {
    "mcdenoise.errors",
    "mcdenoise.options",
    "mcdenoise.config",
    "mcdenoise.features",
    "mcdenoise.tonemap",
    "mcdenoise.metrics",
    "mcdenoise.progress",
}
#: Layer -> layers it must not import.
FORBIDDEN = {
    "mcdenoise.io": ("mcdenoise.learn", "mcdenoise.render", "mcdenoise.denoise"),
    "mcdenoise.learn": ("mcdenoise.render", "mcdenoise.denoise"),
    "mcdenoise.denoise": ("mcdenoise.render",),
    "mcdenoise.render": ("mcdenoise.learn", "mcdenoise.denoise"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.Module, modules) -> set[str]:
    """The package modules that ``tree`` imports anywhere (in functions too)."""
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in modules)
    return found


SOURCES = _sources()
GRAPH = {name: _imports(tree, SOURCES) - {name} for name, tree in SOURCES.items()}


def test_the_imports_have_no_cycles():
    state: dict[str, str] = {}

    def visit(module, path):
        state[module] = "open"
        for other in sorted(GRAPH[module]):
            if state.get(other) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [module, other]))
            if other not in state:
                visit(other, path + [module])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_folder_imports_only_the_layers_below_it(layer):
    offending = {
        module: sorted(other for other in imported if other.startswith(FORBIDDEN[layer]))
        for module, imported in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
    }
    assert not {m: o for m, o in offending.items() if o}, offending


def test_inference_never_imports_training():
    """Denoising (the hook, apply, live's denoising) shares the step and the schedule with training
    through mcdenoise.learn.optim, never through the training job itself."""
    inference = [m for m in GRAPH if m.startswith("mcdenoise.denoise") or m == "mcdenoise.live"]
    assert inference and not {m: "mcdenoise.learn.train" for m in inference if "mcdenoise.learn.train" in GRAPH[m]}


def test_the_foundation_imports_nothing_above_it():
    for module in FOUNDATION:
        assert GRAPH[module] <= FOUNDATION | {"mcdenoise"}, (module, GRAPH[module])


def _calls(tree: ast.Module, dotted: str) -> bool:
    """Whether ``tree`` calls ``dotted`` (such as ``torch.save``)."""
    owner, attribute = dotted.rsplit(".", 1)
    return any(
        isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.value, ast.Name) and node.value.id == owner
        for node in ast.walk(tree)
    )


def test_model_files_have_one_owner():
    writers = sorted(name for name, tree in SOURCES.items() if _calls(tree, "torch.save") or _calls(tree, "torch.load"))
    assert writers == ["mcdenoise.io.checkpoint"]


def test_the_pairs_directory_format_has_one_owner():
    def names_the_manifest(tree):
        return any(
            (isinstance(node, ast.Constant) and node.value == "manifest.json") or (isinstance(node, ast.Name) and node.id == "MANIFEST")
            for node in ast.walk(tree)
        )

    assert sorted(name for name, tree in SOURCES.items() if names_the_manifest(tree)) == ["mcdenoise.io.pairs_dir"]
