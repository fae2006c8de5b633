"""Run the real app (`serve.py`, as deployed) on a free port and drive it in headless Chromium."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.browser import free_port
from devtools.process import app_command, stop_process, wait_healthy
from tests.oidc import (
    OidcProvider,
    oidc_provider_fixture,  # noqa: F401  (registers the fixture)
    write_auth_secrets,
)

# A loaded 2-core machine can take several seconds to import the client on a first request.
expect.set_options(timeout=10_000)


class AppServer:
    """The app's server process (`serve.py`) with its own environment and port."""

    def __init__(
        self, env: dict[str, str], workdir: Path, port: int | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self.port = port or free_port()
        self._extra = extra
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = env
        self._workdir = workdir
        self._log = workdir / f"streamlit-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AppServer:
        log = self._log.open("ab")
        command = app_command(self.port, *self._extra)
        self.process = subprocess.Popen(command, cwd=self._workdir, env=self._env, stdout=log, stderr=log)
        wait_healthy(self.url, self.process, self.log)
        return self

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def restart(self) -> AppServer:
        """Stop the process and start a new one on the same port, environment and data."""
        self.stop()
        return self.start()

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no cleanup code runs."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process)


def app_env(**overrides: str) -> dict[str, str]:
    """The test process's sealed environment plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(overrides)
    return env


@pytest.fixture
def app_server(standin, tmp_path) -> Iterator[AppServer]:
    server = AppServer(
        app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key), tmp_path
    ).start()
    yield server
    server.stop()


def new_page(browser: Browser, **options: Any) -> Page:
    """A page in a fresh browser context (its own cookies: another person, or another device)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    return opened


OIDC_COOKIE_SECRET = "browser-tests-cookie-secret-0123456789"


@pytest.fixture
def oidc_app(standin, oidc_provider: OidcProvider, tmp_path: Path) -> Iterator[AppServer]:
    """The app with an [auth] section pointing at the test's OIDC provider, in its own folder."""
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/oauth2callback"
    write_auth_secrets(tmp_path, oidc_provider, redirect, OIDC_COOKIE_SECRET)
    server = AppServer(
        app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key), tmp_path, port
    ).start()
    yield server
    server.stop()
