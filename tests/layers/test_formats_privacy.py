"""core/formats is used through its public names only: nothing outside the package imports an
underscore name from it, or reaches one through a module it imported, so its internals can
change without breaking the pages, storage, sharing, tests or benchmarks."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = "core.formats"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _in_package(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def private_uses(source: str) -> list[str]:
    """Each private name of core.formats that `source` imports or reaches, as `line: name`."""
    if "formats" not in source:  # walking every tree in pure Python takes seconds
        return []
    tree = ast.parse(source)
    found: list[str] = []
    bound: set[str] = set()  # local names (or dotted chains) that are modules of the package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _in_package(alias.name):
                    bound.add(alias.asname or alias.name)
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if not _in_package(full):
                    continue
                if any(_private(part) for part in full.split(".")):
                    found.append(f"{node.lineno}: {full}")
                bound.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and ast.unparse(node.value) in bound:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found, key=lambda use: int(use.split(":")[0]))


def _outside_the_package() -> list[Path]:
    package = ROOT / "core" / "formats"
    tops = [path for path in ROOT.iterdir() if not path.name.startswith(".")]  # not .venv or .git
    files = [path for top in tops for path in ([top] if top.is_file() else top.rglob("*.py"))]
    return sorted(path for path in files if path.suffix == ".py" and not path.is_relative_to(package))


def test_nothing_outside_core_formats_uses_its_private_names():
    files = _outside_the_package()
    assert ROOT / "components" / "conversations_view.py" in files  # the scan sees the importers
    offenders = [
        f"{path.relative_to(ROOT)}:{use}"
        for path in files
        for use in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_scan_sees_every_way_to_reach_a_private_name():
    planted = (
        "from core.formats.strict import read, _checked\n"
        "from core.formats import _hidden\n"
        "from core.formats._inner import thing\n"
        "import core.formats.json_reader as reader\n"
        "import core.formats.yaml_reader\n"
        "from core.formats import strict\n"
        "def later():\n"
        "    reader._prescan('x')\n"
        "    core.formats.yaml_reader._build([])\n"
        "    strict._check_size(1)\n"
        "    strict.read(b'', None)\n"
        "    other._private()\n"
        "    reader.__name__\n"
    )
    assert private_uses(planted) == [
        "1: core.formats.strict._checked",
        "2: core.formats._hidden",
        "3: core.formats._inner.thing",
        "8: reader._prescan",
        "9: core.formats.yaml_reader._build",
        "10: strict._check_size",
    ]
