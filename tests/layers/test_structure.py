"""The house's structure, checked: one door into storage for the UI, and no import cycles
anywhere in the app's own code (a deferred import inside a function counts: it only hides a
circle)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import ROOT
from tests.layers.test_layers import _every_import, _is

STORAGE_DOOR = ROOT / "components" / "plumbing" / "storage.py"
UI_FOLDERS = ("components", "pages")
OWN_CODE = ("app.py", "serve.py", "server_tuning.py", "core", "components", "pages", "devtools")


def storage_door_offenders(root: Path) -> list[str]:
    """Every import of core.storage in components/ or pages/, any kind (top level, deferred or
    for type checking), outside the door (each name it takes may be a submodule, so it is listed
    as one too)."""
    return [
        f"{path.relative_to(root)}:{line} imports {module}"
        for folder in UI_FOLDERS
        for path in sorted((root / folder).rglob("*.py"))
        if path != root / STORAGE_DOOR.relative_to(ROOT)
        for line, module in _every_import(path)
        if _is(module, ("core.storage",))
    ]


def test_only_the_storage_door_imports_core_storage():
    assert storage_door_offenders(ROOT) == []


def test_the_storage_door_scan_catches_a_deferred_import(tmp_path):
    door = tmp_path / "components" / "plumbing" / "storage.py"
    door.parent.mkdir(parents=True)
    door.write_text("from core.storage import ConversationStore\n")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "p.py").write_text(
        "def page():\n    from core.storage.share_store import ShareStore\n"
    )
    assert storage_door_offenders(tmp_path) == [
        "pages/p.py:2 imports core.storage.share_store",
        "pages/p.py:2 imports core.storage.share_store.ShareStore",
    ]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, places: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the modules of `places` it imports (any import, resolved to the module file:
    `from a.b import c` is an edge to a.b.c when that is a module, else to a.b)."""
    files = [
        path
        for place in places
        for path in ([root / place] if place.endswith(".py") else sorted((root / place).rglob("*.py")))
    ]
    modules = {_module_name(path, root): path for path in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    edges.add(child if child in modules else node.module)
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in sorted(graph[node]):
            if edge not in index:
                visit(edge)
                low[node] = min(low[node], low[edge])
            elif edge in on_stack:
                low[node] = min(low[node], index[edge])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycles():
    assert cycles(import_graph(ROOT, OWN_CODE)) == []


def test_the_cycle_finder_sees_a_circle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "view.py").write_text("from pkg.session import save\n")
    (package / "session.py").write_text("def send():\n    from pkg import view\n")
    (package / "alone.py").write_text("import pkg.view\n")
    assert cycles(import_graph(tmp_path, ["pkg"])) == [["pkg.session", "pkg.view"]]
