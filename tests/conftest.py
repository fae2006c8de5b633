"""Every test is sealed: no real key, no real settings, files under a tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit import config

from devtools.standin.fixture import standin  # noqa: F401  (a fixture, used by name)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def sealed_environment(tmp_path, monkeypatch):
    """No developer .env, secrets or GPTPROTO_* variables leak into a test."""
    for name in list(os.environ):
        if name.startswith(("GPTPROTO_", "OPENAI_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GPTPROTO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    # AppTest runs no server, so it reads no server.address: give it the committed default
    # (.streamlit/config.toml binds to loopback), as `scripts/start.sh` and the browser tests run.
    config.set_option("server.address", "127.0.0.1")
    yield
