"""The image recipe cannot be built on the project's machines, so this checks what can be checked
without Docker: the files deploy/Dockerfile copies (and only those) are enough to run the app,
and its ignore file lets each of them into the build context."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.process import stop_process, wait_healthy
from devtools.standin import Reply
from tests.browser.conftest import free_port
from tests.fleet.conftest import ROOT, fleet_env

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"


def _copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY in the Dockerfile."""
    found = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY "):
            *sources, destination = shlex.split(line)[1:]
            assert not any(s.startswith("--") for s in sources), f"unexpected COPY option: {line}"
            found.append((sources, destination))
    return found


def _image_tree(into: Path) -> None:
    """Lay out the files as the Dockerfile's COPY lines put them in the image."""
    for sources, destination in _copies():
        for source in sources:
            origin = ROOT / source
            target = into / destination
            if destination.endswith("/") or len(sources) > 1:
                target = target / Path(source).name
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(origin, target)


def test_the_ignore_file_lets_in_every_file_the_dockerfile_copies():
    patterns = [line.strip() for line in IGNORE.read_text().splitlines() if line.strip()]
    patterns = [p for p in patterns if not p.startswith("#")]
    assert patterns[0] == "*", "the context starts empty, so no .env or secrets.toml can slip in"
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = {source.rstrip("/") for sources, _ in _copies() for source in sources}
    assert copied == allowed
    assert not {".env", ".streamlit/secrets.toml", "data"} & allowed


def test_the_entrypoint_is_serve_py_on_the_image_s_venv():
    text = DOCKERFILE.read_text()
    entrypoint = r'^ENTRYPOINT \["/srv/gptproto-chat/\.venv/bin/python", "serve\.py", "--require-sign-in"\]$'
    assert re.search(entrypoint, text, re.M)
    assert re.search(r"^WORKDIR /srv/gptproto-chat$", text, re.M)
    assert "pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements.lock" in text


@pytest.fixture
def image_tree(tmp_path) -> Path:
    tree = tmp_path / "image"
    _image_tree(tree)
    return tree


@pytest.fixture
def served_from_image_tree(image_tree, standin, tmp_path) -> Iterator[str]:
    """serve.py run from the copied files only, as the entrypoint runs it (on loopback, where the
    image listens on all; anonymous use accepted, as fleet_env says)."""
    port = free_port()
    log = tmp_path / "image-app.log"
    command = [sys.executable, "serve.py", "--require-sign-in", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    env = fleet_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key)
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=image_tree, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, lambda: log.read_text(errors="replace"), timeout=60)
        yield url
    finally:
        stop_process(process)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_copied_files_run_every_page(served_from_image_tree, standin, page: Page, image_tree):
    assert not (image_tree / "tests").exists() and not (image_tree / ".env").exists()
    standin.enqueue(Reply(text="Served from the image's files."))
    page.goto(served_from_image_tree)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Hello")
    box.press("Enter")
    expect(page.get_by_text("Served from the image's files.")).to_be_visible(timeout=30_000)
    for link, title in (("Compare models", "Compare models"), ("Conversations", "Conversations")):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stException")).to_have_count(0)
