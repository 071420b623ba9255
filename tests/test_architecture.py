"""The package's import graph: no cycle, the library never imports the CLI, layers follow the data path.

Every ``import`` statement counts, at module level and inside functions alike (a lazy
import is still a dependency). The graph is read from the source with :mod:`ast`, as
grimp and import-linter read it: ``from a import b`` depends on the module ``a.b`` when
there is one, else on ``a``.
"""

import ast
from pathlib import Path

import pytest

import distilkit

ROOT = Path(distilkit.__file__).parent

#: Subpackages from the top (may import anything below) to the bottom, in data-path order.
#: The top-level modules (exceptions, progress, sklearn_compat, cluster) sit under all of them.
LAYERS = ["cli", "workflows", "report", "evaluation", "inference", "persistence", "estimators", "encoders",
          "features", "io"]
#: ``python -m distilkit`` runs the CLI: the one module outside it that may import it.
ENTRY_POINT = "distilkit.__main__"


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path, module, modules):
    """The distilkit modules ``module`` (at ``path``) imports anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {name for name in found if name == "distilkit" or name.startswith("distilkit.")}


@pytest.fixture(scope="module")
def graph():
    modules = {_module_name(path): path for path in ROOT.rglob("*.py")}
    return {name: _imports(path, name, modules) - {name} for name, path in modules.items()}


def _layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_graph_sees_lazy_imports(graph):
    # cli/app.py imports the command modules at the top; commands import the library in their bodies.
    assert "distilkit.cli.fit" in graph["distilkit.cli.app"]
    assert any(name.startswith("distilkit.workflows") for name in graph["distilkit.cli.fit"])


def test_no_import_cycle(graph):
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_library_never_imports_the_cli(graph):
    offenders = {module: sorted(t for t in targets if t.startswith("distilkit.cli"))
                 for module, targets in graph.items()
                 if not module.startswith("distilkit.cli") and module != ENTRY_POINT}
    assert {module: targets for module, targets in offenders.items() if targets} == {}


def test_layers_import_only_downwards(graph):
    upward = []
    for module, targets in graph.items():
        if module == ENTRY_POINT:
            continue
        here = _layer(module)
        for target in targets:
            there = _layer(target)
            if there is None:
                # The package root re-exports the public names: only the CLI may use it as a shortcut.
                if target == "distilkit" and here not in (None, "cli"):
                    upward.append(f"{module} -> {target}")
                continue
            if here is None and module != "distilkit" or (
                    here is not None and LAYERS.index(there) < LAYERS.index(here)):
                upward.append(f"{module} -> {target}")
    assert upward == []
