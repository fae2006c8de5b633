"""The daily retention purge starts from serve.py's replica setup only: once per process when
GPTPROTO_RETENTION_DAYS is set, never without it (and a page never starts it)."""

from __future__ import annotations

import threading

import server_ops
from core.settings import Settings
from core.storage import retention


def _threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "retention"]


def test_without_retention_days_no_thread_starts(monkeypatch):
    monkeypatch.setattr(retention, "_started", [])
    server_ops.start_retention(Settings(retention_days=None))
    assert retention._started == [] and _threads() == []


def test_with_retention_days_one_thread_starts_once_per_process(monkeypatch, tmp_path):
    monkeypatch.setattr(retention, "_started", [])
    settings = Settings(retention_days=30, data_dir=str(tmp_path / "data"))
    server_ops.start_retention(settings)
    server_ops.start_retention(settings)  # a second call (a second bootstrap) changes nothing
    try:
        [daily] = retention._started
        assert daily.policy == retention.RetentionPolicy(30, pinned=False)
        assert len(_threads()) == 1
    finally:
        daily.stopped.set()
        [thread] = _threads()
        thread.join(timeout=60)
    assert not thread.is_alive()


def test_pages_never_start_it():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = [
        str(path.relative_to(root))
        for folder in ("pages", "components")
        for path in (root / folder).rglob("*.py")
        if "start_daily" in path.read_text() or "start_retention" in path.read_text()
    ]
    assert callers == []
