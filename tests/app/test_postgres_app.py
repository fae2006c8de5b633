"""The app on a shared PostgreSQL (DATABASE_URL), as a multi-replica deployment runs it: what one
session writes, another session (another replica) reopens."""

from __future__ import annotations

import uuid

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from devtools.standin import Reply
from tests.app.helpers import APP, bubble_texts, send, start_app
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_env(standin, monkeypatch):
    schema = f"app_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    monkeypatch.setenv("DATABASE_URL", f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    monkeypatch.setenv("GPTPROTO_BASE_URL", standin.base_url)
    monkeypatch.setenv("GPTPROTO_API_KEY", standin.api_key)
    yield standin
    drop_schema(schema)


def test_conversation_written_by_one_session_opens_in_another(postgres_env, tmp_path):
    postgres_env.enqueue(Reply(text="Stored in PostgreSQL."))
    at = send(start_app(), "Where is this kept?")
    conversation = at.session_state[chat_state.CONVERSATION]
    assert not (tmp_path / "data" / "gptproto-chat.db").exists()  # nothing went to SQLite
    other = AppTest.from_file(APP, default_timeout=30)
    other.query_params["c"] = conversation
    other.run()
    assert bubble_texts(other) == [("user", "Where is this kept?"), ("assistant", "Stored in PostgreSQL.")]
