"""Share links through the app: Share makes a read-only snapshot link, the owner lists and revokes
it, a viewer sees only what was there when it was shared and can copy it into their own chats,
and every other link answers like a missing page."""

from __future__ import annotations

import random
import re

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import share_links as share_state
from core.compare import Vote
from core.compare_flow import start_round
from core.conversation import ChatParams, Message, Status, Usage, user_message
from core.share_links import MISSING, chat_snapshot, new_token
from core.storage import (
    ComparisonStore,
    ConversationStore,
    database_url,
    make_engine,
    migrate,
    upsert_user,
)
from core.storage.share_store import ShareStore
from devtools.standin import Reply
from tests.app.helpers import APP, bubble_texts, open_page, send, start_app

LINK = re.compile(r"/shared\?s=([A-Za-z0-9_-]{43})$")


@pytest.fixture
def engine(tmp_path):
    """The app's own database (GPTPROTO_DATA_DIR is tmp_path/data), for another user's rows."""
    created = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(created)
    yield created
    created.dispose()


def open_link(token: str | None) -> AppTest:
    """A new browser session opening `<app>/shared?s=<token>`."""
    at = AppTest.from_file(APP, default_timeout=30)
    if token is not None:
        at.query_params["s"] = token
    open_page(at, "shared").run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything written on the page: markdown, captions, titles, notices, code."""
    kinds = ("markdown", "caption", "title", "subheader", "info", "warning", "error", "success", "code")
    return "\n".join(str(getattr(node, "value", "")) for kind in kinds for node in at.get(kind))


def share_from_conversations_page(at: AppTest, conversation_id: str) -> str:
    """Share on the conversation's row, Create link: the token of the link shown."""
    open_page(at, "history").run()
    click(at, share_state.open_key(conversation_id))
    click(at, share_state.CREATE)
    links = [code.value for code in at.code if LINK.search(code.value)]
    assert len(links) == 1, texts(at)
    found = LINK.search(links[0])
    assert found is not None
    return found.group(1)


def close_dialog(at: AppTest) -> AppTest:
    """Done: the dialog closes and the page (its list of links too) is drawn again."""
    return click(at, share_state.CLOSE)


def test_a_shared_chat_opens_read_only_without_later_messages_and_stops_when_revoked(gateway_env):
    gateway_env.enqueue(Reply(text="Blue, mostly."), Reply(text="Added later."))
    owner = send(start_app(), "What colour is the sea?")
    conversation = owner.session_state[chat_state.CONVERSATION]
    token = share_from_conversations_page(owner, conversation)
    # Without sign-in, the dialog says the link works only for the local user.
    assert "Sign-in is not configured on this app" in "\n".join(w.value for w in owner.warning)
    close_dialog(owner)
    assert share_state.CREATE not in [button.key for button in owner.button]
    assert "Shared links (1)" in [e.label for e in owner.expander]
    assert owner.button(key=share_state.revoke_key(token))

    viewer = open_link(token)
    assert bubble_texts(viewer) == [("user", "What colour is the sea?"), ("assistant", "Blue, mostly.")]
    assert "a read-only snapshot" in texts(viewer)
    assert len(viewer.chat_input) == 0  # nothing can be sent from a shared page
    assert [button.key for button in viewer.button] == [share_state.COPY]  # no edit, retry, delete

    open_page(owner, "chat").run()
    send(owner, "And at night?")
    assert bubble_texts(owner)[-1] == ("assistant", "Added later.")
    again = open_link(token)
    assert bubble_texts(again) == [("user", "What colour is the sea?"), ("assistant", "Blue, mostly.")]
    assert "And at night?" not in texts(again)

    open_page(owner, "history").run()
    click(owner, share_state.revoke_key(token))
    assert "Shared links (0)" in [e.label for e in owner.expander]
    gone = open_link(token)
    assert MISSING in [info.value for info in gone.info]
    assert bubble_texts(gone) == []
    assert "Blue, mostly." not in texts(gone)


@pytest.mark.parametrize("token", [None, "", "not-a-token", "' OR '1'='1", "../history"])
def test_malformed_links_answer_like_a_missing_page(token):
    at = open_link(token)
    assert MISSING in [info.value for info in at.info]
    assert bubble_texts(at) == []


def test_unknown_and_revoked_links_answer_exactly_alike(engine):
    ConversationStore(engine, "alice")
    alice = ShareStore(engine, "alice")
    revoked = alice.create("chat", "Secret title", snapshot_of_alices_chat(engine)[0])
    alice.revoke(revoked.token)
    unknown, gone = open_link(new_token()), open_link(revoked.token)
    assert texts(unknown) == texts(gone)
    assert MISSING in texts(gone)
    assert "Secret title" not in texts(gone)


def snapshot_of_alices_chat(engine) -> tuple[str, str]:
    """Alice's chat with a prompt and an answer, stored as the app stores it: (snapshot, its id)."""
    chats = ConversationStore(engine, "alice")
    conversation = chats.create(ChatParams(model="gpt-4o", instructions="Answer in French."))
    prompt = user_message("Alice asks about tides")
    chats.save_message(conversation, prompt)
    answer = Message(
        role="assistant",
        text="Les marées suivent la lune.",
        parent_id=prompt.id,
        model="gpt-4o",
        usage=Usage(prompt_tokens=21, completion_tokens=8, total_tokens=29),
    )
    chats.save_message(conversation, answer)
    stored = chats.load(conversation)
    return chat_snapshot(stored.info.title, stored.params, stored.tree), conversation


def test_another_users_link_can_be_copied_into_my_chats_and_continued(gateway_env, engine):
    ConversationStore(engine, "alice")
    upsert_user(engine, "alice", email="alice@example.com", name="Alice Doe", issuer=None, subject=None)
    snapshot, alices_chat = snapshot_of_alices_chat(engine)
    alices = ConversationStore(engine, "alice")
    other = alices.create(ChatParams(model="o3"), title="Alice's other secret")
    alices.save_message(other, user_message("Alice's other secret"))
    token = ShareStore(engine, "alice").create("chat", "Tides", snapshot, alices_chat).token

    viewer = open_link(token)
    shown = texts(viewer)
    assert "Shared by Alice Doe" in shown
    assert "gpt-4o" in shown  # the model, and the usage under the answer
    assert "21 prompt" in shown and "8 completion" in shown
    assert "Alice's other secret" not in shown
    assert bubble_texts(viewer) == [
        ("user", "Alice asks about tides"),
        ("assistant", "Les marées suivent la lune."),
    ]

    # Alice goes on after sharing; the link still shows the snapshot.
    later = user_message("Alice's later question")
    later.parent_id = alices.load(alices_chat).tree.leaf_id
    alices.save_message(alices_chat, later)
    assert "Alice's later question" not in texts(open_link(token))

    click(viewer, share_state.COPY)  # Chat opens the copy
    copy = viewer.session_state[chat_state.CONVERSATION]
    assert copy is not None and copy != alices_chat
    assert bubble_texts(viewer) == [
        ("user", "Alice asks about tides"),
        ("assistant", "Les marées suivent la lune."),
    ]
    mine = ConversationStore(engine, "local")
    assert [info.id for info in mine.conversations()] == [copy]
    copied = mine.load(copy).tree.messages
    assert not set(copied) & set(alices.load(alices_chat).tree.messages)  # new rows, not Alice's
    assert len(alices.conversations()) == 2  # Alice's chats are as they were

    gateway_env.enqueue(Reply(text="Deux fois par jour."))
    open_page(viewer, "chat")  # AppTest's next run is its own page, not the script's switch
    send(viewer, "How often?")
    assert [m["content"] for m in gateway_env.requests[-1].body["messages"]] == [
        "Answer in French.",
        "Alice asks about tides",
        "Les marées suivent la lune.",
        "How often?",
    ]
    assert "Alice's later question" not in [text for _role, text in bubble_texts(viewer)]
    assert len(alices.load(alices_chat).tree.messages) == 3  # the viewer's turn went to the copy


def stored_comparison(engine, user_id: str) -> str:
    """A comparison of two rounds as the Compare page stores it: the first voted, the second
    still waiting for its blind vote."""
    ConversationStore(engine, user_id)
    comparisons = ComparisonStore(engine, user_id)
    first = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(1), blind=True)
    comparison = comparisons.begin_round(None, first, ChatParams(model="o3"))
    for column, text in zip(first.columns, ["Seven.", "Eleven."], strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
        comparisons.save_answer(comparison, column.answer)
    comparisons.record_round_verdict(
        comparison, first.prompt_message.id, Vote(("o3", "gpt-4o"), "gpt-4o"), "Name a prime"
    )
    first.winner = "gpt-4o"
    second = start_round([first], ["o3", "gpt-4o"], "One more?", blind=True)
    comparisons.begin_round(comparison, second, ChatParams(model="o3"))
    for column, text in zip(second.columns, ["Thirteen.", "Seventeen."], strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
        comparisons.save_answer(comparison, column.answer)
    return comparison


def test_a_shared_comparison_shows_its_rounds_votes_and_keeps_an_unvoted_round_blind(engine):
    comparison = stored_comparison(engine, "local")
    owner = start_app()
    token = share_from_conversations_page(owner, comparison)
    close_dialog(owner)
    assert "Comparison · shared" in texts(owner)

    viewer = open_link(token)
    shown = texts(viewer)
    assert "Round 1" in shown and "Round 2" in shown
    assert "Seven." in shown and "Eleven." in shown and "Seventeen." in shown
    assert "Vote: gpt-4o wins" in shown
    assert "Not voted yet when shared" in shown
    assert "Models: `o3`, `gpt-4o`" in shown
    headings = [heading.value for heading in viewer.subheader]
    assert headings[0] == "Round 1"
    assert sorted(title.split(" · ")[1] for title in headings[1:3]) == ["gpt-4o", "o3"]  # voted: named
    assert headings[3:] == ["Round 2", "Model A", "Model B"]  # not voted yet: no model named
    assert len(viewer.chat_input) == 0
    assert [button.key for button in viewer.button] == [share_state.COPY]

    click(viewer, share_state.COPY)
    assert "Copied into your comparisons" in texts(viewer)
    assert len(ComparisonStore(engine, "local").comparisons()) == 2
