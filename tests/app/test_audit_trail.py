"""The audit log through the app: each action a person takes lands in it (sign-in, share links
made, opened by someone else and revoked, imports, deletions, the archive download, deleting
everything) with who, what and when, and never a prompt, an answer or a title; the archive imports
back after deleting everything, which asks for a typed confirmation; admins list the log with
filters and download it as CSV; a limit change is recorded against the person it concerns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from components.state import admin as admin_state
from components.state import chat as chat_state
from components.state import conversations as history_state
from components.state import prompt_sets as sets_state
from components.state import share_links as share_state
from core.audit import (
    ARCHIVE_DOWNLOADED,
    DELETED,
    EVERYTHING_DELETED,
    IMPORTED,
    LIMITS_CHANGED,
    SHARE_CREATED,
    SHARE_OPENED,
    SHARE_REVOKED,
    SIGN_IN,
    AuditFilter,
)
from core.compare_flow import start_round
from core.conversation import ChatParams, Status
from core.formats.comparison import export_comparison_json
from core.storage import (
    AuditStore,
    ConversationStore,
    PromptSetStore,
    database_url,
    make_engine,
    migrate,
    upsert_user,
)
from core.storage.share_store import ShareStore
from devtools.standin import Reply
from tests.app.helpers import open_page, send, start_app
from tests.app.test_admin_page import ADMIN, look_as, open_admin
from tests.app.test_share_links import (
    click,
    open_link,
    share_from_conversations_page,
    snapshot_of_alices_chat,
)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """The app's own database (GPTPROTO_DATA_DIR is tmp_path/data)."""
    created = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(created)
    yield created
    created.dispose()


PROMPT = "Draft the merger memo for Project Heron"
ANSWER = "Heron memo: confidential terms follow"
SET_TEXT = "Describe the acquisition target"
COMPARED = "Which river is longest, said the board"


def _log(engine) -> list:
    return list(reversed(AuditStore(engine).entries()))  # oldest first: the order things were done


def _dump(engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_log")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def _comparison_file() -> bytes:
    round_ = start_round([], ["o3", "gpt-4o"], COMPARED)
    for column, answer in zip(round_.columns, ("Nile", "Amazon"), strict=True):
        column.answer.text, column.answer.status = answer, Status.COMPLETE
    return export_comparison_json("Board rivers", ChatParams(model="o3"), [round_]).encode()


def _prompt_set_file() -> bytes:
    return yaml.safe_dump(
        {
            "format": "gptproto-chat.prompt-set",
            "version": 1,
            "name": "Heron set",
            "prompts": [{"text": SET_TEXT}],
        }
    ).encode()


def _import(at: AppTest, name: str, raw: bytes) -> None:
    open_page(at, "history").run()
    at.file_uploader(key=history_state.IMPORT_FILE).upload(name, raw, "application/octet-stream").run()
    click(at, history_state.IMPORT)


def test_every_action_is_recorded_with_who_and_what_but_never_what_was_written(
    gateway_env, engine, downloads
):
    gateway_env.enqueue(Reply(text=ANSWER))
    at = send(start_app(), PROMPT)
    chat = at.session_state[chat_state.CONVERSATION]
    [signed_in] = _log(engine)
    assert (signed_in.action, signed_in.actor_id, signed_in.details) == (SIGN_IN, "local", {"first": True})

    # A link made and revoked by its owner.
    token = share_from_conversations_page(at, chat)
    click(at, share_state.CLOSE)
    click(at, share_state.revoke_key(token))

    # Someone else's link, opened: recorded once however often the page reruns; one's own is not.
    upsert_user(engine, "alice", email="alice@example.com", name="Alice", issuer=None, subject=None)
    snapshot, alices_chat = snapshot_of_alices_chat(engine)
    alices_token = ShareStore(engine, "alice").create("chat", "Tides", snapshot, alices_chat).token
    viewer = open_link(alices_token)
    viewer.run()

    # Imports of each kind, then a deletion.
    _import(at, "rivers.json", _comparison_file())
    open_page(at, "compare").run()
    at.file_uploader(key=sets_state.SET_IMPORT_FILE).upload(
        "set.yaml", _prompt_set_file(), "application/yaml"
    ).run()
    click(at, sets_state.SET_IMPORT)
    [imported_set] = PromptSetStore(engine, "local").sets()
    click(at, sets_state.SET_DELETE)  # this used to stop the page: the picker's key was set late
    assert PromptSetStore(engine, "local").sets() == []
    open_page(at, "history").run()
    click(at, history_state.row_key("delete", chat))
    click(at, history_state.DELETE_CONFIRM)

    entries = _log(engine)
    actions = [(e.action, e.actor_id) for e in entries]
    assert actions == [
        (SIGN_IN, "local"),
        (SHARE_CREATED, "local"),
        (SHARE_REVOKED, "local"),
        (SIGN_IN, "local"),  # the viewer's session
        (SHARE_OPENED, "local"),
        (IMPORTED, "local"),
        (IMPORTED, "local"),
        (DELETED, "local"),
        (DELETED, "local"),
    ]
    created, revoked, opened = entries[1], entries[2], entries[4]
    assert created.subject == revoked.subject == f"link {token[:8]}"
    assert created.details == {"kind": "chat", "conversation": chat}
    assert (opened.subject, opened.details) == (f"link {alices_token[:8]}", {"kind": "chat"})
    assert entries[5].details == {"kind": "comparison", "rounds": 1}
    assert entries[6].details == {"kind": "prompt_set", "prompts": 1}
    assert (entries[7].subject, entries[7].details) == (imported_set.id, {"kind": "prompt_set"})
    assert (entries[8].subject, entries[8].details) == (chat, {"kind": "chat"})
    assert all(e.at <= datetime.now(UTC) and e.origin is None for e in entries)  # AppTest: no address

    dumped = _dump(engine)
    for written in (
        PROMPT,
        ANSWER,
        SET_TEXT,
        COMPARED,
        "Board rivers",
        "Heron set",
        "Alice asks about tides",
    ):
        assert written not in dumped


def test_the_archive_downloads_imports_back_after_deleting_everything_which_asks_first(
    gateway_env, engine, downloads
):
    gateway_env.enqueue(Reply(text=ANSWER))
    at = send(start_app(), PROMPT)
    _import(at, "rivers.json", _comparison_file())
    bystander = ConversationStore(engine, "bo")
    kept = bystander.create(ChatParams(model="o3"), title="Bo's own")

    open_page(at, "history").run()
    [button] = [b for b in at.get("download_button") if b.key == history_state.ARCHIVE]
    archive = downloads(button)
    assert archive[:2] == b"PK"

    # A wrong confirmation deletes nothing and says what to type.
    at.text_input(key=history_state.ERASE_TYPED).set_value("yes please")
    click(at, history_state.ERASE)
    assert "Nothing was deleted: type `delete`" in " ".join(e.value for e in at.error)
    mine = ConversationStore(engine, "local")
    assert len(mine.conversations()) == 2

    at.text_input(key=history_state.ERASE_TYPED).set_value("delete")
    click(at, history_state.ERASE)
    assert "Deleted all your data: 1 conversation(s), 1 comparison(s)" in " ".join(
        s.value for s in at.success
    )
    assert mine.conversations() == []
    assert [info.id for info in bystander.conversations()] == [kept]

    _import(at, "gptproto-my-data.zip", archive)
    assert "Imported 1 conversation(s), 1 comparison(s), 0 prompt set(s) and 0 preset(s)" in " ".join(
        s.value for s in at.success
    )
    assert sorted(info.title for info in mine.conversations()) == ["Board rivers", PROMPT]

    by_action = {e.action: e for e in _log(engine)}
    assert by_action[ARCHIVE_DOWNLOADED].details["bytes"] == len(archive)
    assert by_action[EVERYTHING_DELETED].details == {
        "chats": 1,
        "comparisons": 1,
        "prompt_sets": 0,
        "shares": 0,
        "votes": 0,
        "presets": 0,
    }
    imported = {"kind": "archive", "chats": 1, "comparisons": 1, "prompt_sets": 0, "presets": 0}
    assert by_action[IMPORTED].details == imported
    assert PROMPT not in _dump(engine)


def test_a_damaged_archive_is_refused_whole(gateway_env, engine):
    at = start_app()
    _import(at, "broken.zip", b"PK\x03\x04 not really a zip")
    assert "broken.zip was not imported: This is not a zip archive" in " ".join(e.value for e in at.error)
    assert ConversationStore(engine, "local").conversations() == []
    assert PromptSetStore(engine, "local").sets() == []


# -- the Admin page ---------------------------------------------------------------------------------


@pytest.fixture
def logged(engine) -> datetime:
    """Four entries by two people over ten days, at times the test chose."""
    upsert_user(engine, "ana", email="ana@example.com", name="Ana", issuer=None, subject=None)
    upsert_user(engine, "bob", email="=bob@example.com", name="Bob", issuer=None, subject=None)
    now = datetime.now(UTC)
    audit = AuditStore(engine)
    audit.record(
        SIGN_IN, actor_id="ana", actor="ana@example.com", origin="10.0.0.7", at=now - timedelta(days=10)
    )
    audit.record(SIGN_IN, actor_id="bob", actor="=bob@example.com", at=now - timedelta(days=3))
    audit.record(
        DELETED,
        actor_id="ana",
        actor="ana@example.com",
        subject="c1",
        details={"kind": "chat"},
        at=now - timedelta(days=2),
    )
    audit.record(SIGN_IN, actor_id="ana", actor="ana@example.com", at=now - timedelta(hours=2))
    return now


def _rows(at: AppTest) -> list[tuple[str, str]]:
    frame = next(frame.value for frame in at.dataframe if "action" in frame.value.columns)
    return list(zip(frame["who"], frame["action"], strict=True))


def test_admins_filter_the_audit_log_and_download_it(monkeypatch, engine, logged, downloads):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    assert _rows(at) == [
        ("ada@example.com", "sign in"),  # this very session: the admin looking
        ("ana@example.com", "sign in"),
        ("ana@example.com", "deleted"),
        ("=bob@example.com", "sign in"),
        ("ana@example.com", "sign in"),
    ]
    at.selectbox(key=admin_state.AUDIT_PERSON).set_value("ana").run()
    assert [who for who, _ in _rows(at)] == ["ana@example.com"] * 3
    at.selectbox(key=admin_state.AUDIT_ACTION).set_value(SIGN_IN).run()
    assert _rows(at) == [("ana@example.com", "sign in")] * 2
    at.selectbox(key=admin_state.AUDIT_PERIOD).set_value(7).run()
    assert _rows(at) == [("ana@example.com", "sign in")]  # the one ten days ago is out

    at.selectbox(key=admin_state.AUDIT_PERSON).set_value("__everyone__")
    at.selectbox(key=admin_state.AUDIT_ACTION).set_value("__every__")
    at.selectbox(key=admin_state.AUDIT_PERIOD).set_value(None).run()
    [button] = [b for b in at.get("download_button") if b.key == admin_state.AUDIT_CSV]
    rows = list(csv.DictReader(io.StringIO(downloads(button).decode())))
    assert [(r["actor_id"], r["action"], r["subject"], r["origin"], r["details"]) for r in rows] == [
        ("admin-1", SIGN_IN, "", "", "first=True"),
        ("ana", SIGN_IN, "", "", ""),
        ("ana", DELETED, "c1", "", "kind=chat"),
        ("bob", SIGN_IN, "", "", ""),
        ("ana", SIGN_IN, "", "10.0.0.7", ""),
    ]
    assert rows[3]["actor"] == "'=bob@example.com"  # no formula in a spreadsheet
    assert rows[1]["at_utc"] == f"{logged - timedelta(hours=2):%Y-%m-%d %H:%M:%S}"


def test_a_limit_change_is_recorded_against_the_person_it_concerns(monkeypatch, engine, logged):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    at.selectbox(key=admin_state.LIMITS_USER).set_value("bob").run()
    at.number_input(key=admin_state.limit_key("requests_per_minute", "bob")).set_value(5)
    at.button(key=admin_state.LIMITS_SAVE).click().run()
    assert not at.exception, at.exception
    [changed] = AuditStore(engine).entries(AuditFilter(action=LIMITS_CHANGED))
    assert (changed.actor_id, changed.actor, changed.subject) == ("admin-1", "ada@example.com", "bob")
    assert changed.details == {"requests_per_minute": 5, "tokens_per_day": None, "cost_per_month_usd": None}


def test_the_archive_holds_the_documented_export_files(gateway_env, engine, downloads):
    import zipfile

    gateway_env.enqueue(Reply(text=ANSWER))
    at = send(start_app(), PROMPT)
    open_page(at, "history").run()
    [button] = [b for b in at.get("download_button") if b.key == history_state.ARCHIVE]
    archive = zipfile.ZipFile(io.BytesIO(downloads(button)))
    manifest = json.loads(archive.read("manifest.json"))
    [chat_file] = [f["path"] for f in manifest["files"] if f["kind"] == "conversation"]
    assert json.loads(archive.read(chat_file))["format"] == "gptproto-chat.conversation"
