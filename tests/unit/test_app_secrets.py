"""Reading the app's secrets: without a secrets file (the usual case) settings are read without
touching Streamlit's secrets, which look for the file again on every access under a lock every
session shares; with one, its values count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.runtime.secrets import Secrets, secrets_singleton

from components.plumbing.config import app_secrets, load_settings
from components.plumbing.identity import auth_configured


@pytest.fixture
def secrets_file(tmp_path: Path) -> Iterator[Path]:
    """Where the app's secrets file would be (not written yet): the only place Streamlit looks."""
    path = tmp_path / "secrets.toml"
    previous = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    secrets_singleton._reset()
    yield path
    config.set_option("secrets.files", previous)
    secrets_singleton._reset()


def test_without_a_secrets_file_streamlits_secrets_are_never_read(secrets_file, monkeypatch):
    looks: list[int] = []
    parse = Secrets._parse

    def counted(self: Secrets) -> object:
        looks.append(1)
        return parse(self)

    monkeypatch.setattr(Secrets, "_parse", counted)
    for _ in range(3):
        assert app_secrets() == {}
        load_settings()
        assert auth_configured() is False
    assert looks == []


def test_a_secrets_file_is_read(secrets_file):
    secrets_file.write_text('GPTPROTO_DEFAULT_MODEL = "o3"\n\n[auth]\ncookie_secret = "s3cret"\n')
    assert auth_configured() is True
    assert app_secrets()["GPTPROTO_DEFAULT_MODEL"] == "o3"
