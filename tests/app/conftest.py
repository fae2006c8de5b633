"""AppTest fixtures: the app pointed at a fresh stand-in."""

from __future__ import annotations

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage


@pytest.fixture
def gateway_env(standin, monkeypatch):
    """The stand-in as the gateway, with its key as the server's key."""
    monkeypatch.setenv("GPTPROTO_BASE_URL", standin.base_url)
    monkeypatch.setenv("GPTPROTO_API_KEY", standin.api_key)
    return standin


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes behind every download button, by file id (AppTest drops its media store)."""
    saved: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        saved[file_id] = self._files_by_id[file_id].content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return saved
