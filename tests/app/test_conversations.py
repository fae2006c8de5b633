"""Conversations that last: saved as they happen, reopened by URL, listed, branched, deleted."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import conversations as history_state
from core.conversation import ChatParams
from devtools.standin import ErrorReply, Reply
from tests.app.helpers import (
    bubble_texts,
    open_page,
    reopen_conversation,
    send,
    shown_messages,
    start_app,
)


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    return gateway_env


def button_labels(at: AppTest, prefix: str) -> list[str]:
    return [b.label for b in at.button if (b.key or "").startswith(prefix)]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_a_conversation_reopens_in_a_new_session_with_its_parameters(gateway_env):
    gateway_env.enqueue(Reply(text="Bonjour !"), Reply(text="Ça va bien."))
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value("gpt-4o")
    at.text_input(key=chat_state.OPTIONS.max_tokens).set_value("300")
    at.text_area(key=chat_state.OPTIONS.instructions).set_value("Answer in French.")
    at.run()
    send(send(at, "Salut"), "Ça va ?")
    conversation = at.session_state[chat_state.CONVERSATION]
    assert at.query_params["c"] == [conversation] or at.query_params["c"] == conversation
    again = reopen_conversation(conversation)
    assert bubble_texts(again) == bubble_texts(at)
    assert again.selectbox(key=chat_state.MODEL).value == "gpt-4o"
    assert again.text_input(key=chat_state.OPTIONS.max_tokens).value == "300"
    assert again.text_area(key=chat_state.OPTIONS.instructions).value == "Answer in French."
    send(again, "Et toi ?")
    assert [m["content"] for m in gateway_env.requests[-1].body["messages"]] == [
        "Answer in French.",
        "Salut",
        "Bonjour !",
        "Ça va ?",
        "Ça va bien.",
        "Et toi ?",
    ]


def test_failed_answers_are_stored_with_their_error(gateway_env):
    gateway_env.enqueue(ErrorReply.server_error())
    at = send(start_app(), "Will fail")
    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert bubble_texts(again)[0] == ("user", "Will fail")
    assert "The gateway failed (500)" in "\n".join(e.value for e in again.error)
    assert again.button(key=chat_state.action_key("retry", shown_messages(again)[-1].id))


def test_library_lists_titles_and_switches_conversations(gateway_env):
    at = send(start_app(), "First topic: apples")
    first = at.session_state[chat_state.CONVERSATION]
    click(at, chat_state.NEW)
    send(at, "Second topic: pears")
    assert button_labels(at, chat_state.library_item_key(""))[0].startswith("Second topic: pears")
    assert any(
        label.startswith("First topic: apples")
        for label in button_labels(at, chat_state.library_item_key(""))
    )
    click(at, chat_state.library_item_key(first))
    assert bubble_texts(at)[0] == ("user", "First topic: apples")
    assert at.session_state[chat_state.CONVERSATION] == first
    at.text_input(key=chat_state.LIBRARY_SEARCH).set_value("pears").run()
    assert [label.split(" :gray")[0] for label in button_labels(at, chat_state.library_item_key(""))] == [
        "Second topic: pears"
    ]


def test_unknown_conversation_in_the_url_says_so():
    at = reopen_conversation("0123456789abcdef0123456789abcdef")
    assert "does not exist" in "\n".join(w.value for w in at.warning)
    assert bubble_texts(at) == []


def test_regenerate_keeps_both_answers_to_flip_between(gateway_env):
    gateway_env.enqueue(Reply(text="First answer."), Reply(text="Second answer."))
    at = send(start_app(), "Question")
    first_id = shown_messages(at)[-1].id
    at.selectbox(key=chat_state.MODEL).set_value("o3").run()
    click(at, chat_state.action_key("retry", first_id))
    assert bubble_texts(at)[-1] == ("assistant", "Second answer.")
    assert gateway_env.requests[-1].body["model"] == "o3"
    second_id = shown_messages(at)[-1].id
    assert at.button(key=chat_state.action_key("next", second_id)).label == "2/2"
    click(at, chat_state.action_key("previous", second_id))
    assert bubble_texts(at)[-1] == ("assistant", "First answer.")
    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert bubble_texts(again)[-1] == ("assistant", "First answer.")


def test_edit_branches_and_the_old_branch_stays_reachable(gateway_env):
    gateway_env.enqueue(Reply(text="A1"), Reply(text="A2"), Reply(text="A1 edited"))
    at = send(send(start_app(), "Q1"), "Q2")
    q1 = shown_messages(at)[0].id
    click(at, chat_state.action_key("edit", q1))
    at.text_area(key=chat_state.edit_text_key(q1)).set_value("Q1 edited")
    click(at, chat_state.EDIT_SEND)
    assert bubble_texts(at) == [("user", "Q1 edited"), ("assistant", "A1 edited")]
    assert gateway_env.requests[-1].body["messages"] == [{"role": "user", "content": "Q1 edited"}]
    new_q1 = shown_messages(at)[0].id
    click(at, chat_state.action_key("previous", new_q1))
    assert [text for _, text in bubble_texts(at)] == ["Q1", "A1", "Q2", "A2"]


def test_delete_an_exchange_after_confirming(gateway_env):
    gateway_env.enqueue(Reply(text="A1"), Reply(text="A2"))
    at = send(send(start_app(), "Q1"), "Q2")
    q1 = shown_messages(at)[0].id
    click(at, chat_state.action_key("delete", q1))
    click(at, chat_state.DELETE_CONFIRM)
    assert [text for _, text in bubble_texts(at)] == ["Q2", "A2"]
    reopened = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert [text for _, text in bubble_texts(reopened)] == ["Q2", "A2"]


def test_copy_shows_the_markdown_source(gateway_env):
    gateway_env.enqueue(Reply(text="Some **bold** text."))
    at = send(start_app(), "Hi")
    click(at, chat_state.action_key("copy", shown_messages(at)[-1].id))
    assert [c.value for c in at.code] == ["Some **bold** text."]


def history_page(at: AppTest) -> AppTest:
    open_page(at, "history").run()
    assert not at.exception, at.exception
    return at


def test_history_page_renames_pins_searches_and_deletes(gateway_env):
    at = send(start_app(), "Budget for 2027")
    budget = at.session_state[chat_state.CONVERSATION]
    click(at, chat_state.NEW)
    send(at, "Holiday plans")
    history_page(at)
    titles = [m.value for m in at.markdown if m.value.startswith(("**", ":material/keep:"))]
    assert titles[0].startswith("**Holiday plans**") and titles[1].startswith("**Budget for 2027**")
    at.text_input(key=history_state.row_key("title", budget)).set_value("Budget (final)")
    click(at, history_state.row_key("rename", budget))
    click(at, history_state.row_key("pin", budget))
    titles = [m.value for m in at.markdown if "**" in m.value]
    assert titles[0].startswith(":material/keep: **Budget (final)**")
    at.text_input(key=history_state.SEARCH).set_value("holiday").run()
    assert [m.value.split("**")[1] for m in at.markdown if "**" in m.value] == ["Holiday plans"]
    at.text_input(key=history_state.SEARCH).set_value("").run()
    click(at, history_state.row_key("delete", budget))
    click(at, history_state.DELETE_CONFIRM)
    assert [m.value.split("**")[1] for m in at.markdown if "**" in m.value] == ["Holiday plans"]


def test_export_then_import_round_trips_and_bad_files_change_nothing(gateway_env):
    gateway_env.enqueue(Reply(text="Exported answer."))
    at = send(start_app(), "Export me")
    conversation = at.session_state[chat_state.CONVERSATION]
    history_page(at)
    click(at, history_state.row_key("export", conversation))
    buttons = at.get("download_button")
    exported = [button for button in buttons if (button.key or "").startswith("history.export")]
    assert len(exported) == 2
    from core.formats.conversation import export_json
    from core.storage import ConversationStore

    store = ConversationStore(_engine_of(), "local")
    stored = store.load(conversation)
    raw = export_json(stored.info.title, stored.params, stored.tree).encode()
    at.file_uploader(key=history_state.IMPORT_FILE).upload("bad.json", b"{not json", "application/json").run()
    click(at, history_state.IMPORT)
    assert "bad.json was not imported" in "\n".join(e.value for e in at.error)
    assert len(store.conversations()) == 1
    at.file_uploader(key=history_state.IMPORT_FILE).upload("chat.json", raw, "application/json").run()
    click(at, history_state.IMPORT)
    imported = [c for c in store.conversations() if c.id != conversation]
    assert len(imported) == 1 and imported[0].title == "Export me"
    assert [m.text for m in store.load(imported[0].id).tree.path()] == ["Export me", "Exported answer."]
    assert json.loads(raw)["format"] == "gptproto-chat.conversation"


def _engine_of():
    import os

    from core.storage import database_url, make_engine

    return make_engine(database_url(os.environ["GPTPROTO_DATA_DIR"], None))


def test_an_answer_cut_short_by_a_restart_shows_as_interrupted_with_its_text(gateway_env):
    from core.conversation import Message, Status, user_message
    from core.storage import ConversationStore, migrate

    engine = _engine_of()
    migrate(engine)
    store = ConversationStore(engine, "local")
    conversation = store.create(ChatParams(model="o4-mini"))
    prompt = user_message("Long question")
    store.save_message(conversation, prompt)
    store.save_message(
        conversation,
        Message(role="assistant", text="The first half", parent_id=prompt.id, status=Status.STREAMING),
    )
    at = reopen_conversation(conversation)
    assert bubble_texts(at)[-1] == ("assistant", "The first half")
    assert "The answer was interrupted" in "\n".join(e.value for e in at.error)
    answer_id = shown_messages(at)[-1].id
    gateway_env.enqueue(Reply(text=" and the rest."))
    click(at, chat_state.action_key("continue", answer_id))
    assert bubble_texts(at)[-1] == ("assistant", "The first half and the rest.")


def test_a_long_conversation_opens_on_its_recent_messages_and_shows_earlier_ones_on_request(gateway_env):
    from core.branches import ConversationTree
    from core.conversation import Message, user_message
    from core.storage import ConversationStore, migrate

    engine = _engine_of()
    migrate(engine)
    messages, parent = [], None
    for index in range(100):
        prompt = user_message(f"Q{index}")
        prompt.parent_id = parent
        answer = Message(role="assistant", text=f"A{index}", parent_id=prompt.id, model="o4-mini")
        messages += [prompt, answer]
        parent = answer.id
    conversation = ConversationStore(engine, "local").add_conversation(
        "Long", ChatParams(model="o4-mini"), ConversationTree.of(messages)
    )
    at = reopen_conversation(conversation)
    texts = [text for _, text in bubble_texts(at)]
    assert texts[0] == "Q90" and texts[-1] == "A99" and len(texts) == 20
    assert at.button(key=chat_state.SHOW_EARLIER).label == "Show earlier messages (180 not shown)"
    click(at, chat_state.SHOW_EARLIER)
    assert bubble_texts(at)[0] == ("user", "Q40")
    click(at, chat_state.SHOW_EARLIER)
    assert len(bubble_texts(at)) == 200
    gateway_env.enqueue(Reply(text="A100"))
    send(at, "Q100")
    assert len(gateway_env.requests[-1].body["messages"]) == 201  # the whole history is sent


def test_with_the_database_down_the_chat_goes_on_and_says_it_is_not_saved(gateway_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")
    gateway_env.enqueue(Reply(text="Still answering."))
    at = send(start_app(), "Is the database up?")
    assert bubble_texts(at) == [("user", "Is the database up?"), ("assistant", "Still answering.")]
    assert "The database is not answering" in "\n".join(w.value for w in at.warning)


def test_a_database_that_failed_is_not_waited_on_again_at_every_rerun(gateway_env, monkeypatch):
    import socket

    # A black hole: it accepts connections and never answers, as a hung database server would.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    hole.settimeout(0.2)
    port = hole.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/test?connect_timeout=1")
    gateway_env.enqueue(Reply(text="One."), Reply(text="Two."))

    def connections() -> int:
        accepted = 0
        while True:
            try:
                conn, _ = hole.accept()
            except TimeoutError:
                return accepted
            conn.close()
            accepted += 1

    try:
        at = send(start_app(), "first")
        assert connections() >= 1  # the first run tried the database and gave up
        send(at, "second")
        assert bubble_texts(at)[-1] == ("assistant", "Two.")  # the chat goes on, unsaved
        open_page(at, "history").run()
        assert connections() == 0  # within the back-off: no new attempt, no new wait
        assert "The database is not answering (it is tried again in" in "\n".join(
            e.value for e in [*at.error, *at.warning]
        )
    finally:
        hole.close()
