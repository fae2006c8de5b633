"""The metrics that only a failing database moves: counted where the page goes on unsaved."""

from __future__ import annotations

from core.metrics import REGISTRY
from devtools.standin import Reply
from tests.app.helpers import bubble_texts, send, start_app


def _database_errors() -> float:
    return REGISTRY.get_sample_value("gptproto_database_errors_total", {"error": "OperationalError"}) or 0.0


def test_a_database_that_does_not_answer_is_counted(gateway_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/metrics_test?connect_timeout=2")
    gateway_env.enqueue(Reply(text="Still answering."))
    before = _database_errors()
    at = send(start_app(), "Is the database up?")
    assert bubble_texts(at)[-1] == ("assistant", "Still answering.")
    # The store could not be opened: counted once, and then not tried again for a while (the
    # pause is kept per database URL, hence a URL no other test uses).
    assert _database_errors() == before + 1
