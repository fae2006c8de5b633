"""AppTest fixtures: the app pointed at a fresh stand-in."""

from __future__ import annotations

import pytest


@pytest.fixture
def gateway_env(standin, monkeypatch):
    """The stand-in as the gateway, with its key as the server's key."""
    monkeypatch.setenv("GPTPROTO_BASE_URL", standin.base_url)
    monkeypatch.setenv("GPTPROTO_API_KEY", standin.api_key)
    return standin
