"""The audit log's rules: entries take figures, flags and short names, never text; the CSV has
one line per entry with no formula a spreadsheet would run; deleting all one's data needs the
typed confirmation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from core.audit import AuditEntry, AuditRefused, Detail, audit_csv, checked_details
from core.own_data import erase_confirmation, erase_confirmed


def test_figures_flags_and_short_names_are_kept_as_given():
    details: dict[str, Detail] = {
        "kind": "chat",
        "rounds": 3,
        "cost_per_month_usd": 12.5,
        "first": True,
        "tokens_per_day": None,
    }
    assert checked_details(details) == details


@pytest.mark.parametrize("value", ["x" * 65, "two\nlines", ["a"], {"a": 1}])
def test_text_and_structures_are_refused(value):
    with pytest.raises(AuditRefused):
        checked_details({"what": value})


def test_the_csv_has_one_line_per_entry_and_no_formulas():
    entry = AuditEntry(
        7,
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "bob",
        '=HYPERLINK("x")',
        "deleted",
        "c1",
        "10.0.0.7",
        {"kind": "chat", "rounds": 2},
    )
    rows = list(csv.DictReader(io.StringIO(audit_csv([entry]))))
    assert rows == [
        {
            "at_utc": "2026-03-01 09:30:00",
            "actor_id": "bob",
            "actor": '\'=HYPERLINK("x")',
            "action": "deleted",
            "subject": "c1",
            "origin": "10.0.0.7",
            "details": "kind=chat, rounds=2",
        }
    ]


def test_deleting_everything_asks_for_the_email_or_the_word_delete():
    assert erase_confirmation("Ana@Example.com ") == "Ana@Example.com"
    assert erase_confirmation(None) == "delete"
    assert erase_confirmed(" ana@example.COM", "Ana@Example.com")
    assert not erase_confirmed("delete", "Ana@Example.com")
    assert not erase_confirmed("", "delete") and not erase_confirmed(None, "delete")
