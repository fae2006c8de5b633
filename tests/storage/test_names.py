"""Titles and names are stored without bidi or control characters, on SQLite and PostgreSQL: a
chat's title (typed, imported, or taken from its first message), a comparison's, a prompt set's
name and a share's title."""

from __future__ import annotations

import pytest

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, user_message
from core.prompt_sets import PromptItem, PromptSet
from core.storage import ComparisonStore, ConversationStore, PromptSetStore, migrate
from core.storage.share_store import ShareStore

PARAMS = ChatParams(model="o3")
# U+202E turns what follows around; ESC starts a terminal sequence; BEL rings.
HOSTILE = "Invoice \u202egpj.exe\x1b[2J\x07 final\u2066"
CLEAN = "Invoice gpj.exe[2J final"


@pytest.fixture
def chats(engine) -> ConversationStore:
    migrate(engine)
    return ConversationStore(engine, "ana")


def test_a_renamed_chat_keeps_only_printable_characters(chats):
    chat = chats.create(PARAMS)
    chats.rename(chat, HOSTILE)
    assert chats.info(chat).title == CLEAN


def test_a_title_of_nothing_but_controls_is_refused_as_empty(chats):
    chat = chats.create(PARAMS)
    with pytest.raises(ValueError, match="A title cannot be empty"):
        chats.rename(chat, "\u202e\x1b\x07")


def test_an_imported_chat_and_a_first_message_give_clean_titles(chats):
    tree = ConversationTree()
    tree.add(user_message("hello"))
    imported = chats.add_conversation(HOSTILE, PARAMS, tree)
    assert chats.info(imported).title == CLEAN
    fresh = chats.create(PARAMS)
    chats.save_message(fresh, user_message(f"{HOSTILE}\nsecond line"))
    assert chats.info(fresh).title == f"{CLEAN} second line"


def test_a_comparison_title_is_stored_clean(chats, engine):
    comparisons = ComparisonStore(engine, "ana")
    added = comparisons.add_comparison(HOSTILE, PARAMS, [])
    assert chats.info(added).title == CLEAN
    started = comparisons.begin_round(None, start_round([], ["o3", "gpt-4o"], HOSTILE), PARAMS)
    assert chats.info(started).title == CLEAN  # named after its first prompt


def test_a_prompt_set_name_is_stored_clean(chats, engine):
    sets = PromptSetStore(engine, "ana")
    saved = sets.save(PromptSet(HOSTILE, (PromptItem("Describe this"),)))
    assert sets.load(saved).name == CLEAN
    assert [info.name for info in sets.sets()] == [CLEAN]


def test_a_share_title_is_stored_clean(chats, engine):
    created = ShareStore(engine, "ana").create("chat", HOSTILE, '{"format": "x"}', conversation_id="c" * 32)
    assert created.title == CLEAN
    opened = ShareStore(engine, "ana").open(created.token)
    assert opened is not None and opened.title == CLEAN
