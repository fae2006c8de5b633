"""Documents attached to a prompt are stored with it (SQLite and PostgreSQL): their text survives a
reload, in chats, in comparisons, and in an imported conversation; a database from before them
gains the column and keeps its messages."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import inspect, text

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, DocumentAttachment, Message, Status, user_message
from core.storage import ComparisonStore, ConversationStore, migrate

PARAMS = ChatParams(model="o3")
# Text with what a database might trip on: quotes, a backslash, non-ASCII, a very long line.
REPORT = DocumentAttachment(
    "report.pdf", "pdf", '[page 1]\nQ3 "revenue" \\ grew — 12 %\n' + "x" * 50_000, pages=1, size=4096
)
CODE = DocumentAttachment("main.py", "text", "print('hi')\n", size=12)


@pytest.fixture
def chats(engine) -> ConversationStore:
    migrate(engine)
    return ConversationStore(engine, "ana")


def test_a_prompt_keeps_its_documents_across_a_reload(chats):
    conversation = chats.create(PARAMS)
    prompt = user_message("Compare these", documents=[REPORT, CODE])
    chats.save_message(conversation, prompt, PARAMS)
    chats.save_message(
        conversation, Message(role="assistant", text="Done.", parent_id=prompt.id, model="o3"), PARAMS
    )
    first, second = chats.load(conversation).tree.path()
    assert first.documents == [REPORT, CODE]
    assert second.documents == []


def test_a_chat_started_with_only_a_document_is_titled_by_it(chats):
    conversation = chats.create(PARAMS)
    chats.save_message(conversation, user_message("", documents=[REPORT]), PARAMS)
    assert chats.load(conversation).info.title == "report.pdf"


def test_an_imported_conversation_keeps_its_documents(chats):
    prompt = user_message("Review", documents=[CODE])
    answer = Message(role="assistant", text="Fine.", parent_id=prompt.id, model="o3", status=Status.COMPLETE)
    conversation = chats.add_conversation("Imported", PARAMS, ConversationTree.of([prompt, answer]))
    assert chats.load(conversation).tree.path()[0].documents == [CODE]


def test_a_comparison_prompt_keeps_its_documents(chats, engine):
    comparisons = ComparisonStore(engine, "ana")  # after the chats' store, which adds the user
    round_ = start_round([], ["o3", "gpt-4o"], "Review", random.Random(2), documents=[REPORT])
    comparison = comparisons.begin_round(None, round_, PARAMS)
    (loaded,) = comparisons.load(comparison).rounds
    assert loaded.prompt_message.documents == [REPORT]
    assert [column.history[-1].documents for column in loaded.columns] == [[REPORT], [REPORT]]


def test_a_database_from_before_documents_gains_the_column_and_keeps_its_messages(engine):
    from tests.storage.test_usage import NOW, _chat_at_0002, downgrade_to
    from tests.storage.test_writes import upgrade_to

    upgrade_to(engine, "0009")
    _chat_at_0002(engine, "ana", "Old chat")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO messages (id, conversation_id, seq, role, text, status, usage_reported, "
                "created_at, updated_at) VALUES (:id, :c, 1, 'user', 'old words', 'complete', true, :t, :t)"
            ),
            {"id": "m" * 32, "c": "c" * 32, "t": NOW},
        )
    migrate(engine)
    assert "documents" in {column["name"] for column in inspect(engine).get_columns("messages")}
    (old,) = ConversationStore(engine, "ana").load("c" * 32).tree.path()
    assert (old.text, old.documents) == ("old words", [])

    downgrade_to(engine, "0009")
    assert "documents" not in {column["name"] for column in inspect(engine).get_columns("messages")}
    with engine.connect() as connection:
        assert list(connection.execute(text("SELECT text FROM messages")).scalars()) == ["old words"]
