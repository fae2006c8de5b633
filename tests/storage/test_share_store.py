"""Share links in storage, on SQLite and PostgreSQL: the owner creates, lists and revokes only
their own; anyone opens a live link by its token; revoked, unknown and malformed tokens answer
alike."""

from __future__ import annotations

import pytest

from core.conversation import ChatParams, user_message
from core.share_links import new_token
from core.storage import ConversationStore, NotFound, migrate, upsert_user
from core.storage.share_store import ShareStore

SNAPSHOT = '{"format": "gptproto-chat.conversation", "version": 1}'


def person(engine, user_id: str, name: str | None, email: str | None) -> ShareStore:
    """A user as the app makes one (their store first), with what their sign-in said."""
    ConversationStore(engine, user_id)
    upsert_user(engine, user_id, email=email, name=name, issuer=None, subject=None)
    return ShareStore(engine, user_id)


@pytest.fixture
def alice(engine) -> ShareStore:
    migrate(engine)
    return person(engine, "alice", "Alice Doe", "alice@example.com")


@pytest.fixture
def bob(engine, alice) -> ShareStore:
    return person(engine, "bob", None, "bob@example.com")


def test_a_link_opens_for_another_user_with_its_snapshot_and_who_shared_it(alice, bob):
    created = alice.create("chat", "Colours", SNAPSHOT, conversation_id="c" * 32)
    assert len(created.token) == 43
    opened = bob.open(created.token)
    assert opened is not None
    assert (opened.kind, opened.title, opened.snapshot) == ("chat", "Colours", SNAPSHOT)
    assert (opened.shared_by, opened.own) == ("Alice Doe", False)
    mine = alice.open(created.token)
    assert mine is not None and mine.own


def test_without_a_name_the_owner_is_named_by_email(alice, bob):
    created = bob.create("chat", "Bob's chat", SNAPSHOT)
    opened = alice.open(created.token)
    assert opened is not None and opened.shared_by == "bob@example.com"


def test_each_owner_lists_only_their_own_links_newest_first(alice, bob):
    first = alice.create("chat", "First", SNAPSHOT)
    second = alice.create("comparison", "Second", SNAPSHOT)
    bob.create("chat", "Bob's", SNAPSHOT)
    listed = alice.shares()
    assert [(info.token, info.title, info.kind) for info in listed] == [
        (second.token, "Second", "comparison"),
        (first.token, "First", "chat"),
    ]
    assert [info.title for info in bob.shares()] == ["Bob's"]


def test_a_revoked_link_stops_opening_for_everyone_and_leaves_the_list(alice, bob):
    kept = alice.create("chat", "Kept", SNAPSHOT)
    gone = alice.create("chat", "Gone", SNAPSHOT)
    alice.revoke(gone.token)
    assert bob.open(gone.token) is None
    assert alice.open(gone.token) is None
    assert bob.open(kept.token) is not None
    assert [info.title for info in alice.shares()] == ["Kept"]
    revoked = [info for info in alice.shares(include_revoked=True) if info.token == gone.token]
    assert len(revoked) == 1 and revoked[0].revoked_at is not None

    first_revocation = revoked[0].revoked_at
    alice.revoke(gone.token)  # twice: no error, the first moment stays
    again = [info for info in alice.shares(include_revoked=True) if info.token == gone.token]
    assert again[0].revoked_at == first_revocation


def test_nobody_revokes_someone_elses_link_and_it_answers_like_a_missing_one(alice, bob):
    created = alice.create("chat", "Alice's", SNAPSHOT)
    with pytest.raises(NotFound):
        bob.revoke(created.token)
    with pytest.raises(NotFound):
        bob.revoke(new_token())
    assert bob.open(created.token) is not None


@pytest.mark.parametrize("token", [None, "", "short", "' OR '1'='1", "%" * 43, "a" * 44])
def test_malformed_tokens_open_nothing(alice, bob, token):
    alice.create("chat", "Alice's", SNAPSHOT)
    assert bob.open(token) is None


def test_an_unknown_token_of_the_right_shape_opens_nothing(alice, bob):
    alice.create("chat", "Alice's", SNAPSHOT)
    assert bob.open(new_token()) is None


def test_the_snapshot_stays_as_shared_when_the_conversation_changes_or_goes(engine, alice, bob):
    chats = ConversationStore(engine, "alice")
    conversation = chats.create(ChatParams(model="o3"))
    chats.save_message(conversation, user_message("Before sharing"))
    created = alice.create("chat", "Before", SNAPSHOT, conversation_id=conversation)
    chats.save_message(conversation, user_message("After sharing"))
    chats.delete(conversation)
    opened = bob.open(created.token)
    assert opened is not None and opened.snapshot == SNAPSHOT
    assert [info.conversation_id for info in alice.shares()] == [conversation]


def test_titles_are_clipped_and_kinds_checked(alice):
    created = alice.create("chat", "x" * 500, SNAPSHOT)
    assert len(created.title) == 200
    assert alice.shares()[0].title == created.title
    with pytest.raises(ValueError, match="chat, comparison"):
        alice.create("secrets", "t", SNAPSHOT)


def test_a_large_snapshot_is_stored_whole(alice, bob):
    big = '{"text": "' + "é" * 3_000_000 + '"}'
    created = alice.create("chat", "Big", big)
    opened = bob.open(created.token)
    assert opened is not None and opened.snapshot == big
