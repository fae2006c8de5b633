"""AppTest fixtures: the app pointed at a fresh stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture(autouse=True)
def _databases_closed(monkeypatch):
    """Every engine the app opens during a test is closed after it. The app keeps one engine per
    database for the life of its process; a suite of fresh databases, one per test, would hold a
    few descriptors each until the process ends, past 1,024, where select() in later tests fails."""
    import core.storage

    opened: list[Any] = []
    original = core.storage.make_engine

    def tracked(*args: Any, **options: Any) -> Any:
        engine = original(*args, **options)
        opened.append(engine)
        return engine

    monkeypatch.setattr(core.storage, "make_engine", tracked)
    yield
    st.cache_resource.clear()
    for engine in opened:
        engine.dispose()


@pytest.fixture
def gateway_env(standin, monkeypatch):
    """The stand-in as the gateway, with its key as the server's key."""
    monkeypatch.setenv("GPTPROTO_BASE_URL", standin.base_url)
    monkeypatch.setenv("GPTPROTO_API_KEY", standin.api_key)
    return standin


@pytest.fixture
def downloads(monkeypatch) -> Callable[[Any], bytes]:
    """`downloads(button)`: the bytes a click on that download button gives. The buttons make
    their file at the click; AppTest drops its media manager after each run, so the makers the
    page registered are kept here (a button with its bytes fixed at the run has none: KeyError)."""
    makers: dict[str, Callable[[], str | bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **options):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **options)
        makers[file_id] = data_callable
        return file_id

    def click(button: Any) -> bytes:
        made = makers[button.proto.deferred_file_id]()
        return made.encode() if isinstance(made, str) else made

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return click
