"""Saved comparisons against the stand-in: every round is stored as it streams and reopens from its
URL in a new session with its votes and blind labels; the library lists it beside chats; its JSON
export imports back as the same comparison."""

from __future__ import annotations

import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from components.library import COMPARISON_ICON
from components.state import chat as chat_state
from components.state import compare as compare_state
from components.state import conversations as history_state
from core.conversation import Status
from devtools.standin import ErrorReply, Reply
from tests.app.helpers import APP, errors, open_page, reopen_comparison, start_app
from tests.app.test_compare_page import (
    PRICES,
    ask,
    columns,
    latest_round,
    script_answers,
    start_compare,
)

TWO = ["o4-mini", "gpt-4o"]


@pytest.fixture
def gateway(gateway_env, monkeypatch):
    """The stand-in, with the prices the cost estimates use."""
    monkeypatch.setenv("GPTPROTO_PRICES", PRICES)
    return gateway_env


def url_id(at: AppTest) -> str:
    value = at.query_params[compare_state.QUERY]
    return value[0] if isinstance(value, list) else value


def shown(at: AppTest) -> list[tuple[str, list[str], str | None, bool]]:
    """Each round as the page has it: prompt, answers by column, verdict, blind."""
    return [
        (r.prompt, [c.answer.text for c in r.columns], r.winner, r.blind)
        for r in at.session_state[compare_state.ROUNDS]
    ]


def test_every_round_reopens_with_its_votes_and_blind_labels(gateway):
    script_answers(gateway, {"o4-mini": "Small one.", "gpt-4o": "Big one."})
    at = ask(start_compare(TWO, blind=True), "First question")
    order = latest_round(at).order
    winner = TWO[order[1]]
    at.button(key=compare_state.vote_key("B")).click().run()
    script_answers(gateway, {"o4-mini": "Small two.", "gpt-4o": "Big two."})
    ask(at, "Second question")
    comparison = at.session_state[compare_state.CURRENT]
    assert url_id(at) == comparison

    again = reopen_comparison(comparison)
    assert shown(again) == [
        ("First question", ["Small one.", "Big one."], winner, True),
        ("Second question", ["Small two.", "Big two."], None, True),
    ]
    assert [r.order for r in again.session_state[compare_state.ROUNDS]] == [order, order]
    # The first round shows its labels with the names; the second still hides them.
    titles = [c["title"] for c in columns(again, 1, count=2)]
    assert titles == [f"{label} · {TWO[i]}" for label, i in zip("AB", order, strict=True)]
    assert [c["title"] for c in columns(again, 2, count=2)] == ["Model A", "Model B"]
    assert again.multiselect(key=compare_state.MODELS).value == TWO
    assert again.toggle(key=compare_state.BLIND).value is True
    assert all("tokens/s" in c["captions"] for c in columns(again, 2, count=2))

    # The vote cast after reopening is stored on the round and counts on the leaderboard.
    again.button(key=compare_state.vote_key("tie")).click().run()
    third = reopen_comparison(comparison)
    assert [r.winner for r in third.session_state[compare_state.ROUNDS]] == [winner, "tie"]
    board = third.dataframe[-1].value.set_index("model")
    assert board.loc[winner, "wins"] == 1 and board["ties"].sum() == 2 and board["rounds"].sum() == 4

    # A follow-up in the reopened comparison continues each model's own conversation.
    script_answers(gateway, {"o4-mini": "Small three.", "gpt-4o": "Big three."})
    ask(third, "Third question")
    sent = {r.body["model"]: r.body["messages"] for r in gateway.requests[-2:]}
    assert [m["content"] for m in sent["gpt-4o"]] == [
        "First question",
        "Big one.",
        "Second question",
        "Big two.",
        "Third question",
    ]
    assert [r[0] for r in shown(reopen_comparison(comparison))] == [
        "First question",
        "Second question",
        "Third question",
    ]


def test_a_failed_column_and_its_error_are_kept(gateway, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway.enqueue_for("gpt-4o", ErrorReply.server_error())
    gateway.enqueue_for("o4-mini", Reply(text="Fine here.", prompt_tokens=12, completion_tokens=3))
    at = ask(start_compare(TWO), "Go")
    again = reopen_comparison(at.session_state[compare_state.CURRENT])
    o4, gpt = columns(again, count=2)
    assert o4["text"] == "Fine here." and "12 prompt · 3 completion" in o4["captions"]
    assert "The gateway failed (500)" in gpt["errors"]
    assert [c.answer.status for c in latest_round(again).columns] == [Status.COMPLETE, Status.FAILED]


def test_someone_elses_or_a_missing_comparison_opens_a_new_one(gateway):
    at = reopen_comparison("0" * 32)
    assert "does not exist (or is not yours)" in " ".join(w.value for w in at.warning)
    assert not at.session_state[compare_state.ROUNDS] and compare_state.QUERY not in at.query_params


def test_comparisons_are_listed_beside_chats_and_open_on_the_compare_page(gateway):
    script_answers(gateway, {"o4-mini": "a", "gpt-4o": "b"})
    at = ask(start_compare(TWO), "Library entry")
    comparison = at.session_state[compare_state.CURRENT]
    # The compare sidebar lists it with its models.
    item = at.sidebar.button(key=compare_state.library_item_key(comparison))
    assert "Library entry" in item.label and "o4-mini · gpt-4o" in item.label

    app = start_app()  # the chat page's library, then the Conversations page
    listed = [b for b in app.sidebar.button if comparison in (b.key or "")]
    assert len(listed) == 1 and "o4-mini · gpt-4o" in listed[0].label
    open_page(app, "history").run()
    rows = [m.value for m in app.main.markdown if "Library entry" in m.value]
    assert rows and COMPARISON_ICON in rows[0] and "o4-mini · gpt-4o" in rows[0]
    app.button(key=history_state.row_key("open", comparison)).click().run()
    assert not app.exception, app.exception
    assert [r.prompt for r in app.session_state[compare_state.ROUNDS]] == ["Library entry"]

    # From the chat sidebar too, a comparison opens on the Compare page, not as a chat.
    chat = start_app()
    chat.sidebar.button(key=chat_state.library_item_key(comparison)).click().run()
    assert not chat.exception, chat.exception
    assert [r.prompt for r in chat.session_state[compare_state.ROUNDS]] == ["Library entry"]
    assert not chat.session_state[chat_state.TREE].messages


def test_export_then_import_gives_the_same_comparison(gateway, downloads):
    gateway.enqueue_for("o4-mini", Reply(text="One.", prompt_tokens=7, completion_tokens=2))
    gateway.enqueue_for("gpt-4o", Reply(text="Two.", prompt_tokens=8, completion_tokens=4))
    at = ask(start_compare(TWO, blind=True), "Exported prompt")
    at.button(key=compare_state.vote_key("A")).click().run()
    exported_rounds = shown(at)
    buttons = {b.key: b for b in at.get("download_button")}
    raw = downloads(buttons[compare_state.EXPORT_JSON])
    assert json.loads(raw)["format"] == "gptproto-chat.comparison"

    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    open_page(app, "history").run()
    app.file_uploader(key=history_state.IMPORT_FILE).upload("comparison.json", raw, "application/json").run()
    app.button(key=history_state.IMPORT).click().run()
    assert not app.exception, app.exception
    assert "Imported “Exported prompt”" in " ".join(s.value for s in app.success)
    opened = [(b.key or "").removeprefix("history.open.") for b in app.button]
    new_id = next(k for k in opened if len(k) == 32 and k != url_id(at))

    again = reopen_comparison(new_id)
    assert shown(again) == exported_rounds
    original, copy = latest_round(at), latest_round(again)
    assert copy.order == original.order
    for before, after in zip(original.columns, copy.columns, strict=True):
        assert after.answer.usage == before.answer.usage
        assert after.answer.timing == before.answer.timing
        assert after.answer.id != before.answer.id  # new ids: nothing collides with the original


def test_a_broken_comparison_file_is_refused_with_where_and_what(gateway):
    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    open_page(app, "history").run()
    bad = {
        "format": "gptproto-chat.comparison",
        "version": 1,
        "params": {"model": "o3"},
        "rounds": [
            {
                "prompt": {"text": "x"},
                "models": ["o3", "gpt-4o"],
                "answers": [{"model": "o3"}, {"model": "o4-mini"}],
            }
        ],
    }
    raw = json.dumps(bad).encode()
    app.file_uploader(key=history_state.IMPORT_FILE).upload("bad.json", raw, "application/json").run()
    app.button(key=history_state.IMPORT).click().run()
    message = errors(app)
    assert "rounds[0].answers[1].model" in message and "answers follow the models' order" in message


def test_an_answer_still_streaming_when_the_server_died_reopens_as_interrupted(gateway):
    from core.compare_flow import start_round
    from core.conversation import ChatParams
    from core.storage import ComparisonStore, ConversationStore, database_url, make_engine, migrate

    engine = make_engine(database_url(os.environ["GPTPROTO_DATA_DIR"], None))  # the app's database
    migrate(engine)
    ConversationStore(engine, "local")
    round_ = start_round([], TWO, "Cut short")
    round_.columns[0].answer.text = "Half of"  # a checkpoint; the other never got a word
    comparison = ComparisonStore(engine, "local").begin_round(None, round_, ChatParams(model="o4-mini"))
    engine.dispose()
    again = reopen_comparison(comparison)
    first, second = columns(again, count=2)
    assert first["text"] == "Half of"
    assert all("The answer was interrupted" in c["errors"] for c in (first, second))
    assert [c.answer.status for c in latest_round(again).columns] == [Status.INCOMPLETE] * 2
