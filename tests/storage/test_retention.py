"""Retention on SQLite and PostgreSQL, with a clock the test sets: exactly the conversations and
comparisons untouched for longer than the period go (pinned ones stay unless asked), with their
messages, images, share links and rows other tables keep about them; a dry run only counts; one run
at a time holds the lock; each purge is in the audit log; the command's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from core.audit import RETENTION_PURGE, AuditFilter
from core.compare_flow import start_round
from core.conversation import ChatParams, ImageAttachment, Message, user_message
from core.feedback import Feedback
from core.storage import AuditStore, ComparisonStore, ConversationStore, migrate
from core.storage.feedback_store import FeedbackStore
from core.storage.retention import DAILY, DailyRetention, Purge, RetentionPolicy, purge, retention_lock
from core.storage.schema import ConversationRow, FeedbackRow, ImageRow, MessageRow, ShareRow
from core.storage.share_store import ShareStore
from tests.storage.conftest import twin

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PARAMS = ChatParams(model="o3")
PNG = ImageAttachment(name="dot.png", mime="image/png", data=b"\x89PNG-bytes", width=2, height=1)
ROOT = Path(__file__).resolve().parents[2]


def _touched(engine, conversation_id: str, days_ago: float, pinned: bool = False) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE conversations SET updated_at = :at, pinned = :pinned WHERE id = :id"),
            {"at": NOW - timedelta(days=days_ago), "pinned": pinned, "id": conversation_id},
        )


def _chat(engine, user: str, days_ago: float, *, pinned: bool = False, image: bool = False) -> str:
    chats = ConversationStore(engine, user)
    chat = chats.create(PARAMS, title="kept or not")
    prompt = user_message("hello", images=[PNG] if image else None)
    chats.save_message(chat, prompt)
    chats.save_message(chat, Message(role="assistant", text="hi", model="o3", parent_id=prompt.id))
    _touched(engine, chat, days_ago, pinned)
    return chat


def _comparison(engine, user: str, days_ago: float) -> str:
    first = start_round([], ["o3", "gpt-4o"], "One")
    comparison = ComparisonStore(engine, user).add_comparison("Compared", PARAMS, [first])
    _touched(engine, comparison, days_ago)
    return comparison


def _count(engine, row, *where) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(row).where(*where)) or 0)


@pytest.fixture
def world(engine):
    """Ana: an old chat with an image and a share link, an old pinned chat, a recent chat, an old
    comparison; Bo: an old chat and a recent one. The period is 30 days."""
    migrate(engine)
    with engine.begin() as connection:  # a table another part of the app keeps about answers
        connection.execute(
            text("CREATE TABLE feedback (id INTEGER PRIMARY KEY, conversation_id VARCHAR(32))")
        )
    ids = {
        "ana_old": _chat(engine, "ana", 31, image=True),
        "ana_pinned": _chat(engine, "ana", 400, pinned=True),
        "ana_recent": _chat(engine, "ana", 29),
        "ana_compared": _comparison(engine, "ana", 45),
        "bo_old": _chat(engine, "bo", 90),
        "bo_recent": _chat(engine, "bo", 0.5),
    }
    ShareStore(engine, "ana").create("chat", "Old", "{}", conversation_id=ids["ana_old"])
    ShareStore(engine, "ana").create("chat", "Recent", "{}", conversation_id=ids["ana_recent"])
    with engine.begin() as connection:
        for number, key in enumerate(("ana_old", "ana_recent", "bo_old")):
            connection.execute(
                text("INSERT INTO feedback (id, conversation_id) VALUES (:n, :c)"),
                {"n": number, "c": ids[key]},
            )
    # Ana's thumbs on the answers of her old chat (goes) and her recent one (stays).
    for key in ("ana_old", "ana_recent"):
        with Session(engine) as session:
            answer = session.scalar(
                select(MessageRow.id).where(
                    MessageRow.conversation_id == ids[key], MessageRow.role == "assistant"
                )
            )
        assert answer is not None
        FeedbackStore(engine, "ana").rate(answer, Feedback("down", "not it"))
    return ids


PURGED = Purge(
    chats=2, comparisons=1, messages=7, images=1, shares=1, other={"answer_feedback": 1, "feedback": 2}
)


def _left(engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(select(ConversationRow.id)))


def test_a_purge_deletes_exactly_what_nobody_touched_for_the_period(engine, world):
    done = purge(engine, RetentionPolicy(30), NOW)
    # ana_old (31 days), ana_compared (45) and bo_old (90) go; 29 days, half a day and pinned stay
    assert done == Purge(
        chats=2,
        comparisons=1,
        messages=2 + 3 + 2,
        images=1,
        shares=1,
        other={"answer_feedback": 1, "feedback": 2},
    )  # a chat holds 2 messages; a 2-model round holds its prompt and 2 answers
    assert _left(engine) == {world["ana_pinned"], world["ana_recent"], world["bo_recent"]}
    gone = [world["ana_old"], world["ana_compared"], world["bo_old"]]
    assert _count(engine, MessageRow, MessageRow.conversation_id.in_(gone)) == 0
    assert _count(engine, ImageRow) == 0
    assert _count(engine, ShareRow) == 1  # the recent chat's link stays
    assert _count(engine, FeedbackRow) == 1  # the thumb on the recent chat's answer stays
    with engine.connect() as connection:
        assert connection.execute(text("SELECT conversation_id FROM feedback")).scalars().all() == [
            world["ana_recent"]
        ]


def test_pinned_ones_go_too_only_when_asked(engine, world):
    done = purge(engine, RetentionPolicy(30, pinned=True), NOW)
    assert done is not None and done.chats == 3
    assert _left(engine) == {world["ana_recent"], world["bo_recent"]}


def test_a_dry_run_counts_the_same_and_deletes_nothing(engine, world):
    before = _left(engine)
    counted = purge(engine, RetentionPolicy(30), NOW, dry_run=True)
    assert counted == Purge(
        chats=2, comparisons=1, messages=7, images=1, shares=1, other={"answer_feedback": 1, "feedback": 2}
    )
    assert _left(engine) == before
    assert AuditStore(engine).entries() == []  # nothing was purged, so nothing is recorded
    assert purge(engine, RetentionPolicy(30), NOW) == counted


def test_each_purge_is_in_the_audit_log_with_its_counts(engine, world):
    purge(engine, RetentionPolicy(30), NOW, by="python -m core.storage.retention")
    [entry] = AuditStore(engine).entries(AuditFilter(action=RETENTION_PURGE))
    assert (entry.at, entry.actor_id, entry.actor) == (NOW, None, "python -m core.storage.retention")
    assert entry.details == {
        "days": 30,
        "pinned_too": False,
        "chats": 2,
        "comparisons": 1,
        "messages": 7,
        "images": 1,
        "shares": 1,
        "table_answer_feedback": 1,
        "table_feedback": 2,
    }


def test_while_one_run_holds_the_lock_another_does_nothing(engine, world):
    other_replica = twin(engine)
    try:
        with retention_lock(engine, NOW) as held:
            assert held
            assert purge(other_replica, RetentionPolicy(30), NOW) is None
            assert len(_left(engine)) == 6
        done = purge(other_replica, RetentionPolicy(30), NOW)  # let go: the next run does the work
        assert done is not None and done.chats == 2
    finally:
        other_replica.dispose()


def test_the_daily_check_runs_once_a_day(engine, world, tmp_path):
    clock = [NOW]
    daily = DailyRetention(
        engine.url.render_as_string(hide_password=False), RetentionPolicy(30), lambda: clock[0]
    )
    if engine.dialect.name == "postgresql":
        daily._engine = engine  # the test's schema, which a URL alone does not name
    first = daily.check()
    assert first is not None and first.chats == 2
    _touched(engine, world["ana_recent"], 40)
    clock[0] = NOW + timedelta(hours=23)
    assert daily.check() is None  # a purge ran within the day
    assert world["ana_recent"] in _left(engine)
    clock[0] = NOW + timedelta(days=1)
    again = daily.check()
    assert again is not None and again.chats == 1
    assert len(AuditStore(engine).entries(AuditFilter(action=RETENTION_PURGE))) == 2


def _command(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GPTPROTO_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "core.storage.retention", *args],
        cwd=tmp_path,
        env={**environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_command_says_what_it_did_with_its_exit_codes(engine, world, tmp_path):
    data_dir = str(Path(engine.url.database).parent)
    unset = _command(tmp_path, GPTPROTO_DATA_DIR=data_dir)
    assert unset.returncode == 2 and "GPTPROTO_RETENTION_DAYS is not set" in unset.stderr
    wrong = _command(tmp_path, GPTPROTO_DATA_DIR=data_dir, GPTPROTO_RETENTION_DAYS="soon")
    assert wrong.returncode == 1 and "GPTPROTO_RETENTION_DAYS" in wrong.stderr
    # The command's clock is the real one: every conversation is months from NOW by then, so
    # set them against today, with the same ages.
    real_now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE conversations SET updated_at = :now WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"now": real_now, "ids": [world["ana_recent"], world["bo_recent"], world["ana_pinned"]]},
        )
    dry = _command(tmp_path, "--dry-run", GPTPROTO_DATA_DIR=data_dir, GPTPROTO_RETENTION_DAYS="30")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith(
        "Would delete (untouched for 30 days, pinned ones kept): 2 chats, 1 comparisons"
    )
    assert len(_left(engine)) == 6
    with retention_lock(engine, real_now) as held:
        assert held
        busy = _command(tmp_path, GPTPROTO_DATA_DIR=data_dir, GPTPROTO_RETENTION_DAYS="30")
    assert busy.returncode == 3 and "another replica" in busy.stderr
    done = _command(tmp_path, GPTPROTO_DATA_DIR=data_dir, GPTPROTO_RETENTION_DAYS="30")
    assert done.returncode == 0 and done.stdout.startswith("Deleted (untouched for 30 days")
    assert _left(engine) == {world["ana_recent"], world["bo_recent"], world["ana_pinned"]}


def test_two_replicas_starting_the_daily_purge_together_do_it_once(engine, world):
    replicas = [engine, twin(engine)]
    start = threading.Barrier(2)
    results: list[Purge | None] = [None, None]

    def run(number: int) -> None:
        start.wait()
        results[number] = purge(replicas[number], RetentionPolicy(30), NOW, by=DAILY, only_if_due=True)

    threads = [threading.Thread(target=run, args=(number,)) for number in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        replicas[1].dispose()
    # Whether the second waited for the lock or found it taken, it did nothing: the first ran.
    done = [result for result in results if result is not None]
    assert done == [
        Purge(
            chats=2,
            comparisons=1,
            messages=7,
            images=1,
            shares=1,
            other={"answer_feedback": 1, "feedback": 2},
        )
    ]
    assert len(AuditStore(engine).entries(AuditFilter(action=RETENTION_PURGE))) == 1
    assert _left(engine) == {world["ana_pinned"], world["ana_recent"], world["bo_recent"]}
