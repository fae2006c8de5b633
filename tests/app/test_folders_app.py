"""Folders on the Conversations page, driven through the pages: create one, file a chat in it,
the list groups by folder and its search keeps to one, rename, delete (the chat stays, in no
folder); names are checked with a clear message; an export carries the feedback and folder and
imports back with them."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import conversations as history_state
from components.state.feedback import rating_key
from devtools.standin import Reply
from tests.app.helpers import errors, open_page, send, start_app


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    return gateway_env


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def history_page(at: AppTest) -> AppTest:
    return run(open_page(at, "history"))


def headings(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def titles(at: AppTest) -> list[str]:
    return [m.value.split("**")[1] for m in at.markdown if m.value.startswith(("**", ":material/keep:"))]


def _engine():
    import os

    from core.storage import database_url, make_engine

    return make_engine(database_url(os.environ["GPTPROTO_DATA_DIR"], None))


def _names(at: AppTest) -> dict[str, str]:
    """The local user's folders as stored: name -> id."""
    from core.storage import FolderStore

    return {folder.name: folder.id for folder in FolderStore(_engine(), "local").folders()}


def create_folder(at: AppTest, name: str) -> AppTest:
    at.text_input(key=history_state.NEW_FOLDER).set_value(name)
    at.button(key=history_state.NEW_FOLDER_CREATE).click()
    return run(at)


def test_a_chat_is_filed_grouped_searched_in_its_folder_and_kept_when_the_folder_goes(gateway_env):
    gateway_env.enqueue(Reply(text="Spreadsheet attached."), Reply(text="Go to Lisbon."))
    at = send(start_app(), "Budget for 2027")
    budget = at.session_state[chat_state.CONVERSATION]
    at.button(key=chat_state.NEW).click().run()
    send(at, "Holiday budget ideas")
    history_page(at)
    assert headings(at) == []  # no folder yet: a plain list

    create_folder(at, "Work")
    assert "Folder created." in "\n".join(s.value for s in at.success)
    assert at.text_input(key=history_state.NEW_FOLDER).value == ""
    work = _names(at)["Work"]
    at.selectbox(key=history_state.row_key("folder", budget)).set_value(work)
    run(at)
    assert headings(at) == [":material/folder: Work :gray[· 1]", "No folder :gray[· 1]"]
    assert titles(at) == ["Budget for 2027", "Holiday budget ideas"]

    # Search keeps to the chosen folder: "budget" is in both titles, only one is in Work.
    at.text_input(key=history_state.SEARCH).set_value("budget")
    at.selectbox(key=history_state.FOLDER_FILTER).set_value(work)
    run(at)
    assert titles(at) == ["Budget for 2027"]
    at.selectbox(key=history_state.FOLDER_FILTER).set_value("")  # no folder
    run(at)
    assert titles(at) == ["Holiday budget ideas"]
    at.selectbox(key=history_state.FOLDER_FILTER).set_value(history_state.EVERY_FOLDER)
    at.text_input(key=history_state.SEARCH).set_value("")
    run(at)

    at.text_input(key=history_state.folder_key("name", work)).set_value("Office")
    at.button(key=history_state.folder_key("rename", work)).click()
    run(at)
    assert headings(at)[0] == ":material/folder: Office :gray[· 1]"

    at.button(key=history_state.folder_key("delete", work)).click()
    run(at)
    assert headings(at) == []
    assert sorted(titles(at)) == ["Budget for 2027", "Holiday budget ideas"]
    assert _names(at) == {}


def test_folder_names_are_checked_and_a_refused_name_stays_typed(gateway_env):
    at = history_page(start_app())
    create_folder(at, "Work")
    create_folder(at, "  work ")
    assert "You already have a folder named “work”. Pick another name." in errors(at)
    assert at.text_input(key=history_state.NEW_FOLDER).value == "  work "
    create_folder(at, "   ")
    assert "A folder needs a name: type one." in errors(at)
    assert list(_names(at)) == ["Work"]


def test_an_export_carries_feedback_and_folder_and_imports_back_with_them(gateway_env, downloads):
    gateway_env.enqueue(Reply(text="Seven."))
    at = send(start_app(), "Name a prime")
    conversation = at.session_state[chat_state.CONVERSATION]
    (answer,) = [m for m in at.session_state[chat_state.TREE].path() if m.role == "assistant"]
    at.feedback(key=rating_key("chat", answer.id)).set_value(0)
    run(at)
    history_page(at)
    create_folder(at, "Maths")
    at.selectbox(key=history_state.row_key("folder", conversation)).set_value(_names(at)["Maths"])
    run(at)
    at.button(key=history_state.row_key("export", conversation)).click()
    run(at)
    (json_button,) = [b for b in at.get("download_button") if "JSON" in b.proto.label]
    raw = downloads(json_button)
    document = json.loads(raw)
    assert document["folder"] == "Maths"
    assert document["messages"][1]["feedback"] == {"rating": "down", "comment": ""}

    at.file_uploader(key=history_state.IMPORT_FILE).upload("prime.json", raw, "application/json")
    run(at)
    at.button(key=history_state.IMPORT).click()
    run(at)
    assert headings(at) == [":material/folder: Maths :gray[· 2]"]
    from core.feedback import Feedback
    from core.storage import ConversationStore, FeedbackStore

    chats, verdicts = ConversationStore(_engine(), "local"), FeedbackStore(_engine(), "local")
    (copy,) = [c.id for c in chats.conversations() if c.id != conversation]
    (copied_answer,) = [m.id for m in chats.load(copy).tree.path() if m.role == "assistant"]
    assert verdicts.of_conversation(copy) == {copied_answer: Feedback("down")}
