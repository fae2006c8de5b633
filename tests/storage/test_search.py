"""Searching conversations through the database's text index, on SQLite and PostgreSQL: what
people type must find what they remember, and nothing of anyone else's."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.conversation import ChatParams, Message, user_message
from core.storage import ConversationStore, conversation_store, migrate

PARAMS = ChatParams(model="o3")


@pytest.fixture(params=["listed", "walked"])
def store(request, engine, monkeypatch) -> ConversationStore:
    """Both ways a term is searched: rare terms list their messages through the index; common
    ones (here: any term at all) are checked conversation by conversation, newest first."""
    if request.param == "walked":
        monkeypatch.setattr(conversation_store, "SEARCH_INDEX_CAP", 0)
    migrate(engine)
    return ConversationStore(engine, "ana")


def chat(store: ConversationStore, *texts: str, title: str = "Untitled") -> str:
    conversation = store.create(PARAMS, title=title)
    for body in texts:
        store.save_message(conversation, user_message(body))
    return conversation


def found(store: ConversationStore, term: str) -> set[str]:
    return {c.id for c in store.conversations(term)}


def test_any_part_of_a_word_in_any_message_matches_whatever_the_case(store):
    bread = chat(store, "Hello", "How do I bake Sourdough bread?")
    other = chat(store, "Unrelated question")
    assert found(store, "sourdough") == {bread}
    assert found(store, "OUGH BRE") == {bread}  # across words, inside words
    assert found(store, "rdoug") == {bread}
    assert found(store, "question") == {other}
    assert found(store, "bread!") == set()


def test_one_and_two_letter_terms_still_search_message_text(store):
    maths = chat(store, "what is pi to 5 places")
    chat(store, "nothing here")
    assert found(store, "pi") == {maths}
    assert found(store, "5") == {maths}


def test_wildcards_and_query_syntax_are_plain_characters(store):
    percent = chat(store, "we are 100% done")
    underscore = chat(store, "rename my_var please")
    quoted = chat(store, 'he said "hello" AND left')
    chat(store, "plain text: 1000 done, myXvar, he said hello and left")
    assert found(store, "100%") == {percent}
    assert found(store, "%") == {percent}
    assert found(store, "my_var") == {underscore}
    assert found(store, "_") == {underscore}
    assert found(store, '"hello" AND') == {quoted}
    assert found(store, 'said "') == {quoted}
    for syntax in ("NEAR(a b)", "hel*", "a OR b", "-x", "^he", "\\"):
        assert found(store, syntax) == set()


def test_titles_match_as_well_as_messages(store):
    titled = chat(store, "body text", title="Quarterly plan")
    assert found(store, "TERLY") == {titled}


def test_results_keep_the_library_order_and_limit(store):
    older, pinned, newer = (chat(store, f"the common word, {n}") for n in ("older", "pinned", "newer"))
    chat(store, "nothing in common")
    store.set_pinned(pinned, True)
    assert [c.id for c in store.conversations("COMMON WORD")] == [pinned, newer, older]
    assert [c.id for c in store.conversations("common word", limit=2)] == [pinned, newer]


def test_the_index_follows_edits_and_deletes(store):
    conversation = store.create(PARAMS)
    draft = Message(role="assistant", text="first draft about walruses")
    store.save_message(conversation, draft)
    assert found(store, "walrus") == {conversation}
    draft.text = "rewritten about penguins"
    store.save_message(conversation, draft)
    assert found(store, "walrus") == set()
    assert found(store, "penguin") == {conversation}
    store.delete_exchange(conversation, [draft.id], [], None)
    assert found(store, "penguin") == set()
    gone = chat(store, "about narwhals")
    store.delete(gone)
    assert found(store, "narwhal") == set()


def test_search_sees_only_the_users_own_messages(engine, store):
    mine = chat(store, "shared topic: sailing")
    bo = ConversationStore(engine, "bo")
    bos = chat(bo, "shared topic: sailing too")
    assert found(store, "sailing") == {mine}
    assert found(bo, "sailing") == {bos}


def test_message_text_is_searched_through_the_dialects_index(engine, store):
    chat(store, "something to index")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            indexed = connection.execute(
                text("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'index'")
            )
            assert indexed.scalar() == 1
        else:
            definition = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_text_trgm'")
            ).scalar()
            assert definition is not None and "gin_trgm_ops" in definition
