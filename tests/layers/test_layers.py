"""The house rules, checked: core/ never imports Streamlit, components/ never imports the HTTP
client, no page's first run loads the `openai` client, and storage loads only after a page's
main content is drawn."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.plumbing.config import GATEWAY_MODULE, PRELOAD_THREAD
from tests.conftest import ROOT

HTTP_CLIENT = ("openai", "httpx", "httpx2", "core.gateway.client")

# Each page, and the call that draws its main content: storage may load only after it.
PAGES = {
    "chat.py": "st.chat_input(",
    "compare.py": "st.chat_input(",
    "history.py": "st.title(",
}


def _module_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import that runs when the module is imported: top level and
    class bodies, not functions (lazy imports) and not `if TYPE_CHECKING:` blocks."""
    found: list[tuple[int, str]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.extend((node.lineno, name) for name in _imported(node))
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.ClassDef | ast.Try | ast.With):
                visit(getattr(node, "body", []))

    visit(ast.parse(path.read_text()).body)
    return found


def _every_import(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend((node.lineno, name) for name in _imported(node))
    return found


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names. `from core.gateway import client` names the
    package and, as far as a scan can tell, `core.gateway.client`: each name it takes may be a
    submodule, and the client is one."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.module:
        return []
    return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]


def _is(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def test_core_never_imports_streamlit():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for line, module in _every_import(path)
        if _is(module, ("streamlit",))
    ]
    assert offenders == []


def test_components_never_import_the_http_client():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "components").rglob("*.py"))
        for line, module in _module_imports(path)
        if _is(module, HTTP_CLIENT)
    ]
    assert offenders == []


def test_the_import_scan_sees_a_top_level_client_import(tmp_path):
    # The scan above must catch what it is there to catch, and let lazy imports through.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nimport openai\nif TYPE_CHECKING:\n    import httpx2\n"
        "def later():\n    from core.gateway.client import Gateway\n"
        "from core.gateway import client, events\n"
    )
    client_imports = [(line, module) for line, module in _module_imports(sample) if _is(module, HTTP_CLIENT)]
    assert client_imports == [(2, "openai"), (7, "core.gateway.client")]


_WATCH = """
import json, sys, threading, traceback
from importlib.abc import MetaPathFinder

first = {}

class Watch(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in ("openai", "sqlalchemy") and name not in first:
            stack = [(frame.filename, frame.lineno) for frame in traceback.extract_stack()]
            first[name] = {"thread": threading.current_thread().name, "stack": stack}
        return None

sys.meta_path.insert(0, Watch())
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

at = AppTest.from_file(sys.argv[1], default_timeout=60)
at._page_hash = calc_hash(sys.argv[2])  # the page at this URL path (as tests.app.helpers.open_page)
at.run()
assert not at.exception, at.exception
for thread in threading.enumerate():
    if thread.name == sys.argv[3]:
        thread.join(60)
first["gateway loaded after the run"] = sys.argv[4] in sys.modules
print(json.dumps(first))
"""


def first_run_imports(page: Path) -> dict[str, Any]:
    """The thread and stack at the moment each watched module was first imported during the
    page's first run, in a fresh interpreter (so nothing was imported before), and whether the
    gateway was loaded once the run and the preload that follows it had ended."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _WATCH,
            str(ROOT / "app.py"),
            page.stem,  # a page's URL path is its file's name
            PRELOAD_THREAD,
            GATEWAY_MODULE,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    watched: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return watched


@pytest.mark.parametrize("page", sorted(PAGES))
def test_first_run_loads_no_client_and_storage_after_the_main_content(page, tmp_path, monkeypatch):
    monkeypatch.setenv("GPTPROTO_API_KEY", "sk-layer-test-key")
    path = ROOT / "pages" / page
    watched = first_run_imports(path)
    openai_import = watched.get("openai") or {"thread": PRELOAD_THREAD}
    assert openai_import["thread"] == PRELOAD_THREAD, (
        f"{page}'s first run imported openai from {openai_import['stack'][-6:]}"
    )
    assert "sqlalchemy" in watched  # every page lists or opens stored conversations on its first run
    marker = PAGES[page]
    marker_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line)
    page_frames = [line for filename, line in watched["sqlalchemy"]["stack"] if Path(filename) == path]
    assert page_frames, "storage was loaded before the page itself ran"
    assert page_frames[0] > marker_line, (
        f"{page} loads storage at line {page_frames[0]}, before its main content (line {marker_line})"
    )


@pytest.mark.parametrize("page", ["chat.py", "compare.py"])
def test_pages_that_send_load_the_client_in_the_background_after_their_first_run(page, monkeypatch):
    monkeypatch.setenv("GPTPROTO_API_KEY", "sk-layer-test-key")
    watched = first_run_imports(ROOT / "pages" / page)
    assert watched["gateway loaded after the run"]
    assert watched["openai"]["thread"] == PRELOAD_THREAD
