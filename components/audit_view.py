"""The Admin page's audit log: who did what, when and from where, filtered by person, action and
period, each person's first and latest sign-in, and the filtered log as CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import streamlit as st

from components.downloads import download_button
from components.state.admin import AUDIT_ACTION, AUDIT_CSV, AUDIT_PERIOD, AUDIT_PERSON
from core.audit import ACTIONS, AuditEntry, AuditFilter, audit_csv, details_text
from core.safe_text import literal

if TYPE_CHECKING:
    from components.plumbing.storage import AuditStore, UserInfo

EVERYONE = "__everyone__"
EVERY_ACTION = "__every__"
PERIODS: tuple[int | None, ...] = (1, 7, 30, 90, 365, None)  # days back; None: all of it
DEFAULT_PERIOD = 30
SHOWN = 1_000  # rows in the table; the CSV holds every row the filters pick


def render_audit_log(audit: AuditStore, users: list[UserInfo], now: datetime | None = None) -> None:
    """The audit log section, read with the filters chosen."""
    from sqlalchemy.exc import SQLAlchemyError

    st.subheader("Audit log")
    moment = now or datetime.now(UTC)
    labels = {user.id: user.label for user in users}
    try:
        wanted = _filters(labels, sorted(set(ACTIONS) | set(audit.actions())), moment)
        entries = audit.entries(wanted)
        sign_ins = audit.sign_ins()
    except SQLAlchemyError as exc:
        st.error(
            f"Could not read the audit log ({literal(type(exc).__name__)}). Reload the page to try again.",
            icon=":material/database:",
        )
        return
    _table(entries, labels)
    _sign_ins(sign_ins, labels)
    download_button(
        st.container(),
        "Download the audit log (CSV)",
        lambda: audit_csv(entries),
        "gptproto-audit-log.csv",
        mime="text/csv",
        key=AUDIT_CSV,
        icon=":material/download:",
        disabled=not entries,
    )


def _filters(labels: dict[str, str], actions: list[str], moment: datetime) -> AuditFilter:
    columns = st.columns(3)
    person = columns[0].selectbox(
        "Person",
        [EVERYONE, *labels],
        format_func=lambda uid: "Everyone" if uid == EVERYONE else labels.get(uid, uid),
        key=AUDIT_PERSON,
    )
    action = columns[1].selectbox(
        "Action",
        [EVERY_ACTION, *actions],
        format_func=lambda name: "Every action" if name == EVERY_ACTION else name.replace("_", " "),
        key=AUDIT_ACTION,
    )
    days = columns[2].selectbox(
        "Period",
        PERIODS,
        index=PERIODS.index(DEFAULT_PERIOD),
        format_func=lambda n: "All of it" if n is None else f"Last {n} day{'s' if n != 1 else ''}",
        key=AUDIT_PERIOD,
    )
    return AuditFilter(
        actor_id=None if person in (None, EVERYONE) else person,
        action=None if action in (None, EVERY_ACTION) else action,
        since=None if days is None else moment - timedelta(days=days),
    )


def _table(entries: list[AuditEntry], labels: dict[str, str]) -> None:
    more = f" (the newest {SHOWN:,} shown; the CSV has them all)" if len(entries) > SHOWN else ""
    st.caption(f"{len(entries):,} entr{'y' if len(entries) == 1 else 'ies'}{more}, times in UTC.")
    if not entries:
        return
    rows = [
        {
            "when (UTC)": f"{entry.at:%Y-%m-%d %H:%M:%S}",
            "who": _who(entry, labels),
            "action": entry.action.replace("_", " "),
            "subject": labels.get(entry.subject or "", entry.subject or ""),
            "from": entry.origin or ("this machine" if entry.actor_id else ""),
            "details": details_text(entry.details),
        }
        for entry in entries[:SHOWN]
    ]
    st.dataframe(rows, hide_index=True, width="stretch")  # cells are data: nothing renders as markdown


def _who(entry: AuditEntry, labels: dict[str, str]) -> str:
    if entry.actor_id is None:
        return entry.actor or "the app"
    return entry.actor or labels.get(entry.actor_id, entry.actor_id)


def _sign_ins(sign_ins: dict[str, tuple[datetime, datetime]], labels: dict[str, str]) -> None:
    if not sign_ins:
        return
    with st.expander("First and latest sign-in of each person", icon=":material/login:"):
        rows = [
            {
                "person": labels.get(uid, uid),
                "first (UTC)": f"{first:%Y-%m-%d %H:%M}",
                "latest (UTC)": f"{last:%Y-%m-%d %H:%M}",
            }
            for uid, (first, last) in sorted(sign_ins.items(), key=lambda item: item[1][1], reverse=True)
        ]
        st.dataframe(rows, hide_index=True, width="stretch")
