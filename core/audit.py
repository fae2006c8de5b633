"""The audit log's vocabulary: what an entry holds, which actions the app records, how a filter
narrows the log, and the log as CSV. Pure: the store is core/storage/audit_store.py.

An entry says who did what, to what, when and from where, with figures (counts, limits, kinds and
ids). It never holds a prompt, an answer, a title or a file name: anything a person or a model
wrote stays out, so the log can be shown to an administrator and kept after the data is gone."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from core.usage_report import csv_cell

Detail = str | int | float | bool | None

SIGN_IN = "sign_in"
LIMITS_CHANGED = "limits_changed"
POLICY_SAVED = "policy_saved"
POLICY_REMOVED = "policy_removed"
SHARE_CREATED = "share_created"
SHARE_OPENED = "share_opened"  # by someone other than its owner
SHARE_REVOKED = "share_revoked"
IMPORTED = "imported"
DELETED = "deleted"
CHATS_MOVED = "chats_moved"
RETENTION_PURGE = "retention_purge"
ARCHIVE_DOWNLOADED = "archive_downloaded"
EVERYTHING_DELETED = "everything_deleted"

# What the Admin page offers to filter by; other parts of the app may record actions of their own
# which the filter lists once they appear in the log.
ACTIONS = (
    SIGN_IN,
    LIMITS_CHANGED,
    POLICY_SAVED,
    POLICY_REMOVED,
    SHARE_CREATED,
    SHARE_OPENED,
    SHARE_REVOKED,
    IMPORTED,
    DELETED,
    CHATS_MOVED,
    RETENTION_PURGE,
    ARCHIVE_DOWNLOADED,
    EVERYTHING_DELETED,
)
_ACTION = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
DETAIL_TEXT_LIMIT = 64  # a detail that is text is a kind, an id or a name, never prose
DETAILS_LIMIT = 20


class AuditRefused(ValueError):
    """An entry the log does not take: a malformed action, or details that are not figures."""


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor_id: str | None  # None: the app itself (the retention purge, a command run on the server)
    actor: str | None  # their email, else name, as their sign-in gave it then
    action: str
    subject: str | None  # what it was done to: a conversation or share id, a person's id
    origin: str | None  # the client address the app saw; None when the browser was on localhost
    details: Mapping[str, Detail]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: one person (by id), one action, a period [since, until)."""

    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def checked_action(action: str) -> str:
    """`action` when it is a name the log takes (lower case, digits, `_` and `.`, up to 40)."""
    if not _ACTION.match(action):
        raise AuditRefused(f"An audit action is a short lower-case name such as {SIGN_IN!r}, not {action!r}.")
    return action


def checked_details(details: Mapping[str, Detail] | None) -> dict[str, Detail]:
    """`details` when each is a figure, a flag or a short name (a kind, an id): long text is
    refused rather than clipped, because only what someone wrote is that long."""
    checked: dict[str, Detail] = {}
    for key, value in (details or {}).items():
        if not isinstance(value, str | int | float | bool | None):
            raise AuditRefused(f"The audit detail {key!r} must be a number, a flag or a short name.")
        if isinstance(value, str) and (len(value) > DETAIL_TEXT_LIMIT or "\n" in value):
            raise AuditRefused(f"The audit detail {key!r} is text, which the audit log never keeps.")
        checked[checked_action(key)] = value
    if len(checked) > DETAILS_LIMIT:
        raise AuditRefused(f"An audit entry keeps at most {DETAILS_LIMIT} details.")
    return checked


def details_text(details: Mapping[str, Detail]) -> str:
    """The details on one line, `name=value` in the order given."""
    return ", ".join(f"{key}={'' if value is None else value}" for key, value in details.items())


CSV_COLUMNS = ("at_utc", "actor_id", "actor", "action", "subject", "origin", "details")


def audit_csv(entries: Iterable[AuditEntry]) -> str:
    """The entries as CSV, one line each, in the order given (times in UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        cells = (entry.at, entry.actor_id, entry.actor, entry.action, entry.subject, entry.origin)
        writer.writerow([*(csv_cell(cell) for cell in cells), csv_cell(details_text(entry.details))])
    return out.getvalue()
