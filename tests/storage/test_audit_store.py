"""The audit log on SQLite and PostgreSQL: entries are added and read back with their filters,
the database itself refuses to change or remove one, and an entry never takes text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from core.audit import (
    IMPORTED,
    LIMITS_CHANGED,
    SIGN_IN,
    AuditFilter,
    AuditRefused,
)
from core.storage import AuditStore, migrate

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def audit(engine) -> AuditStore:
    migrate(engine)
    return AuditStore(engine)


def _fill(audit: AuditStore) -> None:
    audit.record(
        SIGN_IN, actor_id="ana", actor="ana@example.com", origin="10.0.0.5", details={"first": True}, at=T0
    )
    audit.record(SIGN_IN, actor_id="bo", actor="bo@example.com", at=T0 + timedelta(hours=1))
    audit.record(
        LIMITS_CHANGED,
        actor_id="ana",
        subject="bo",
        details={"requests_per_minute": 5, "tokens_per_day": None, "cost_per_month_usd": 2.5},
        at=T0 + timedelta(days=1),
    )
    audit.record(SIGN_IN, actor_id="ana", actor="ana@example.com", at=T0 + timedelta(days=2))


def test_entries_read_back_newest_first_with_every_field(audit):
    _fill(audit)
    entries = audit.entries()
    assert [(e.action, e.actor_id, e.at) for e in entries] == [
        (SIGN_IN, "ana", T0 + timedelta(days=2)),
        (LIMITS_CHANGED, "ana", T0 + timedelta(days=1)),
        (SIGN_IN, "bo", T0 + timedelta(hours=1)),
        (SIGN_IN, "ana", T0),
    ]
    oldest = entries[-1]
    assert (oldest.actor, oldest.origin, oldest.details) == ("ana@example.com", "10.0.0.5", {"first": True})
    limits = entries[1]
    assert limits.subject == "bo"
    assert limits.details == {"requests_per_minute": 5, "tokens_per_day": None, "cost_per_month_usd": 2.5}


def test_filters_by_person_action_and_period(audit):
    _fill(audit)
    by_ana = audit.entries(AuditFilter(actor_id="ana"))
    assert [e.action for e in by_ana] == [SIGN_IN, LIMITS_CHANGED, SIGN_IN]
    sign_ins = audit.entries(AuditFilter(action=SIGN_IN))
    assert [e.actor_id for e in sign_ins] == ["ana", "bo", "ana"]
    # [since, until): the first day only, the hour-later sign-in included, the next day's not
    first_day = audit.entries(AuditFilter(since=T0, until=T0 + timedelta(days=1)))
    assert [e.actor_id for e in first_day] == ["bo", "ana"]
    both = audit.entries(AuditFilter(actor_id="ana", action=SIGN_IN, since=T0 + timedelta(minutes=1)))
    assert [e.at for e in both] == [T0 + timedelta(days=2)]
    assert audit.entries(AuditFilter(actor_id="nobody")) == []
    assert audit.actions() == [LIMITS_CHANGED, SIGN_IN]
    assert audit.latest(SIGN_IN) == T0 + timedelta(days=2) and audit.latest(IMPORTED) is None


def test_first_and_latest_sign_in_per_person(audit):
    _fill(audit)
    assert audit.sign_ins() == {
        "ana": (T0, T0 + timedelta(days=2)),
        "bo": (T0 + timedelta(hours=1), T0 + timedelta(hours=1)),
    }


def test_the_database_refuses_to_change_or_remove_an_entry(engine, audit):
    _fill(audit)
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert len(audit.entries()) == 4
    assert not [name for name in dir(AuditStore) if name.startswith(("update", "delete", "remove", "clear"))]


@pytest.mark.parametrize(
    "details",
    [
        {"prompt": "Summarise the quarterly figures for the board, with the numbers we discussed"},
        {"answer": "line one\nline two"},
        {"nested": ["a list"]},
    ],
)
def test_text_is_refused_rather_than_kept(audit, details):
    with pytest.raises(AuditRefused):
        audit.record(IMPORTED, actor_id="ana", details=details)
    assert audit.entries() == []


def test_a_malformed_action_is_refused(audit):
    with pytest.raises(AuditRefused):
        audit.record("Deleted everything!", actor_id="ana")
