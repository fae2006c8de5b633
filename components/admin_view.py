"""The admin page's pieces: the team's usage over time, per user and per model, errors, budgets
(and who has used 80% of a limit), the request log as CSV, the form that edits one user's limits,
the groups' policies and the audit log. Only draws and reads through the stores; who may see it is decided
before any of this is called."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import streamlit as st

from components.audit_view import render_audit_log
from components.downloads import download_button
from components.group_policy_view import render_group_policies, save_or_say
from components.plumbing.policy import group_policies
from components.plumbing.storage import RunStore
from components.state.admin import (
    DOWNLOAD_CSV,
    DOWNLOAD_FEEDBACK_CSV,
    LIMITS_SAVE,
    LIMITS_USER,
    PERIOD,
    announce_saved,
    limit_key,
    limits_form_key,
    seed_limit_boxes,
    take_saved,
)
from core.feedback import FeedbackRecord, by_model, feedback_csv
from core.policies import Allowance, GroupPolicy, PersonLimitsChange, allowance
from core.quotas import (
    LIMIT_NAMES,
    NOTICE_SHARE,
    Limits,
    UsageWindow,
    budget_lines,
    budget_text,
    day_start,
    default_limits,
    describe_limits,
    merge_limits,
)
from core.safe_text import literal
from core.settings import Settings
from core.usage_report import DailyUsage, ModelTotals, RequestRow, UserTotals, requests_csv, tokens_per_day

if TYPE_CHECKING:  # SQLAlchemy loads once the page's title is drawn
    from components.plumbing.storage import UsageStore, UserInfo

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
LOG_LIMIT = 100_000  # rows in one CSV download


class Admin(Protocol):
    """Who is looking: what the page needs of the signed-in identity."""

    @property
    def user_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...


@dataclass(frozen=True)
class AdminData:
    """Everything the page shows, read in one go."""

    users: list[UserInfo]
    daily: list[DailyUsage]
    per_user: list[UserTotals]
    per_model: list[ModelTotals]
    errors: dict[str, int]
    windows: dict[str, UsageWindow]
    overrides: dict[str, Limits]
    log: list[RequestRow]
    feedback: list[FeedbackRecord]  # newest first
    policies: dict[str, GroupPolicy]

    def label(self, user_id: str) -> str:
        """The user's email, else name, else id."""
        return next((user.label for user in self.users if user.id == user_id), user_id)

    def allowance(self, user: UserInfo, settings: Settings, with_override: bool = True) -> Allowance:
        """What `user` may use: their groups' policies (as their last sign-in named the groups),
        under their override unless `with_override` is False."""
        override = self.overrides.get(user.id) if with_override else None
        defaults = default_limits(settings)
        return allowance(user.groups, self.policies, settings.default_models_allowed, defaults, override)


def render_period() -> int:
    """The period picker: how many days back, today included."""
    days = st.radio(
        "Period",
        PERIODS,
        index=PERIODS.index(DEFAULT_PERIOD),
        format_func=lambda n: f"Last {n} days",
        horizontal=True,
        key=PERIOD,
    )
    return int(days or DEFAULT_PERIOD)


def render_admin(store: RunStore, admin: Admin, settings: Settings, days: int) -> None:
    """Every section of the admin page for the last `days` days (UTC, today included)."""
    from sqlalchemy.exc import SQLAlchemyError

    usage = store.usage()
    if usage is None:
        return
    now = datetime.now(UTC)
    since = day_start(now) - timedelta(days=days - 1)
    try:
        data = _load(
            usage, store.users(), store.team_feedback(since), since, now, group_policies(settings, store)
        )
    except SQLAlchemyError as exc:
        st.error(
            f"Could not read usage from the database ({literal(type(exc).__name__)}). "
            "Reload the page to try again.",
            icon=":material/database:",
        )
        return
    _summary(data)
    _charts(data)
    _per_user(data)
    _models_and_errors(data)
    _feedback(data)
    _near_limits(data, settings)
    _budgets(data, settings)
    _limits_editor(data, store, admin, settings)
    render_group_policies(store, admin, settings, data.policies, data.users)
    _download(data, days)
    _download_feedback(data, days)
    audit = store.audit()
    if audit is not None:
        render_audit_log(audit, data.users)


def _load(
    usage: UsageStore,
    users: list[UserInfo],
    feedback: list[FeedbackRecord],
    since: datetime,
    now: datetime,
    policies: dict[str, GroupPolicy],
) -> AdminData:
    usage.settle_stale(now)  # requests a dead process left 'sent' show as what they became
    return AdminData(
        users=users,
        daily=usage.daily_usage(since),
        per_user=usage.user_totals(since),
        per_model=usage.model_totals(since),
        errors=usage.error_counts(since),
        windows=usage.windows(now),
        overrides=usage.all_limits(),
        log=usage.requests_since(since, limit=LOG_LIMIT),
        feedback=feedback,
        policies=policies,
    )


def _summary(data: AdminData) -> None:
    totals = [row.totals for row in data.per_user]
    row = st.columns(4)
    row[0].metric("Requests", f"{sum(t.requests for t in totals):,}")
    row[1].metric("Tokens", f"{sum(t.total_tokens for t in totals):,}")
    row[2].metric("Cost (est.)", f"${sum(t.cost_usd for t in totals):,.2f}")
    row[3].metric("Errors", f"{sum(t.errors for t in totals):,}")
    estimated = sum(t.estimated_tokens for t in totals)
    if estimated:
        st.caption(
            f"≈ {estimated:,} of these tokens are estimates: answers stopped, closed or cut short "
            "before the gateway reported their usage, and what is held for answers still streaming."
        )
    if not totals:
        st.info("No requests in this period.", icon=":material/query_stats:")


def _charts(data: AdminData) -> None:
    if not data.daily:
        return
    st.subheader("Tokens per day")
    labels = {user.id: user.label for user in data.users}
    by_user, by_model = st.tabs(["By user", "By model"])
    with by_user:
        st.bar_chart(
            tokens_per_day(data.daily, "user", labels),
            x="day",
            y="tokens",
            color="user",
            x_label="day (UTC)",
            alt="Tokens per day by user",
        )
    with by_model:
        st.bar_chart(
            tokens_per_day(data.daily, "model", labels),
            x="day",
            y="tokens",
            color="model",
            x_label="day (UTC)",
            alt="Tokens per day by model",
        )


def _per_user(data: AdminData) -> None:
    if not data.per_user:
        return
    st.subheader("Per user")
    rows = [
        {
            "user": data.label(row.user_id),
            "requests": row.totals.requests,
            "prompt tokens": row.totals.prompt_tokens,
            "completion tokens": row.totals.completion_tokens,
            "reasoning tokens": row.totals.reasoning_tokens,
            "cached tokens": row.totals.cached_tokens,
            "total tokens": row.totals.total_tokens,
            "of them estimated": row.totals.estimated_tokens,
            "cost (USD, est.)": round(row.totals.cost_usd, 4),
            "errors": row.totals.errors,
            "last request (UTC)": f"{row.last_request_at:%Y-%m-%d %H:%M}",
            "user id": row.user_id,
        }
        for row in data.per_user
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption("Click a column's header to sort by it.")


def _models_and_errors(data: AdminData) -> None:
    if not data.per_model:
        return
    left, right = st.columns(2)
    with left:
        st.subheader("Top models")
        models = [
            {
                "model": row.model,
                "requests": row.totals.requests,
                "total tokens": row.totals.total_tokens,
                "cost (USD, est.)": round(row.totals.cost_usd, 4),
                "errors": row.totals.errors,
            }
            for row in data.per_model
        ]
        st.dataframe(models, hide_index=True, width="stretch")
    with right:
        st.subheader("Errors by kind")
        if data.errors:
            errors = [{"error": kind, "requests": count} for kind, count in data.errors.items()]
            st.dataframe(errors, hide_index=True, width="stretch")
        else:
            st.caption("No request ended with an error in this period.")


LATEST_COMMENTS_SHOWN = 10


def _feedback(data: AdminData) -> None:
    """Thumbs up and down per model, and the newest comments (people's own words: shown in
    tables, as plain text)."""
    st.subheader("Answer feedback")
    if not data.feedback:
        st.caption("No answer was rated in this period.")
        return
    models = [
        {
            "model": row.model,
            "thumbs up": row.up_share,
            "ratings": row.count,
            "up": row.up,
            "down": row.down,
            "latest comments": " · ".join(row.latest_comments),
        }
        for row in by_model(data.feedback)
    ]
    share = st.column_config.ProgressColumn(
        "thumbs up", help="Share of thumbs up among the ratings", min_value=0.0, max_value=1.0,
        format="percent",
    )  # fmt: skip
    st.dataframe(models, hide_index=True, width="stretch", column_config={"thumbs up": share})
    comments = [record for record in data.feedback if record.comment][:LATEST_COMMENTS_SHOWN]
    if comments:
        st.caption("Latest comments")
        rows = [
            {
                "when (UTC)": f"{record.updated_at:%Y-%m-%d %H:%M}",
                "user": data.label(record.user_id),
                "model": record.model,
                "rating": "👍 up" if record.rating == "up" else "👎 down",
                "comment": record.comment,
            }
            for record in comments
        ]
        st.dataframe(rows, hide_index=True, width="stretch")


def _near_limits(data: AdminData, settings: Settings) -> None:
    """Who has used 80% or more of a limit now, each limit on a line, closest to it first."""
    if not data.users:
        return
    st.subheader("Near or over a limit")
    lines: list[tuple[float, str]] = []
    for user in data.users:
        limits = data.allowance(user, settings).limits
        for line in budget_lines(limits, data.windows.get(user.id, UsageWindow())):
            if line.share is not None and line.share >= NOTICE_SHARE:
                lines.append((line.share, f"{user.label}: {_LIMIT_LABELS[line.limit]}, {budget_text(line)}"))
    if not lines:
        st.caption(f"Nobody has used {NOTICE_SHARE:.0%} of a limit.")
        return
    st.caption(f"Each of these people has been told what is left since they passed {NOTICE_SHARE:.0%}.")
    for _share, text in sorted(lines, key=lambda item: -item[0]):
        st.markdown(f"- {literal(text)}")


_LIMIT_LABELS = {
    "requests_per_minute": "requests per minute",
    "tokens_per_day": "tokens per day",
    "cost_per_month_usd": "cost per month",
}


def _budgets(data: AdminData, settings: Settings) -> None:
    if not data.users:
        return
    st.subheader("Budgets now")
    defaults = default_limits(settings)
    st.caption(
        f"Defaults from the settings: {literal(describe_limits(merge_limits(defaults, None)))}. A group's "
        "policy replaces a default for its members (the most generous of their groups), and a "
        "person's own limits replace both. Tokens and cost include what is held for answers still "
        "streaming."
    )
    rows = []
    for user in data.users:
        override = data.overrides.get(user.id)
        allowed = data.allowance(user, settings)
        lines = budget_lines(allowed.limits, data.windows.get(user.id, UsageWindow()))
        shares = [line.share for line in lines if line.share is not None]
        source = (
            "custom"
            if override is not None
            else "group"
            if not allowed.group_limits.is_empty()
            else "default"
        )
        rows.append(
            {
                "user": user.label,
                "groups": ", ".join(user.groups),
                "limits": source,
                "requests this minute": budget_text(lines[0]),
                "tokens today": budget_text(lines[1]),
                "cost this month": budget_text(lines[2]),
                "closest to a limit": min(max(shares), 1.0) if shares else None,
            }
        )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "closest to a limit": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )


def _limits_editor(data: AdminData, store: RunStore, admin: Admin, settings: Settings) -> None:
    if not data.users:
        return
    st.subheader("Limits per user")
    saved = take_saved()
    if saved:
        st.success(saved, icon=":material/check:")
    labels = {user.id: user.label for user in data.users}
    user_id = st.selectbox("User", list(labels), format_func=lambda uid: labels[uid], key=LIMITS_USER)
    if user_id is None:
        return
    stored = data.overrides.get(user_id) or Limits()
    seed_limit_boxes(user_id, {name: getattr(stored, name) for name in LIMIT_NAMES})
    person = next(user for user in data.users if user.id == user_id)
    below = data.allowance(person, settings, with_override=False)  # their groups' or the default
    shown = below.limits
    with st.form(limits_form_key(user_id), border=True):
        st.caption(
            "Leave a box empty to use their group's limit or the default; 0 means no limit for this user."
        )
        boxes = st.columns(3)
        rpm = boxes[0].number_input(
            "Requests per minute",
            min_value=0,
            step=1,
            value=None,
            placeholder=_default_text(shown.requests_per_minute),
            key=limit_key("requests_per_minute", user_id),
        )
        tokens = boxes[1].number_input(
            "Tokens per day",
            min_value=0,
            step=1_000,
            value=None,
            placeholder=_default_text(shown.tokens_per_day),
            key=limit_key("tokens_per_day", user_id),
        )
        cost = boxes[2].number_input(
            "Cost per month (USD)",
            min_value=0.0,
            step=1.0,
            format="%.2f",
            value=None,
            placeholder=_default_text(shown.cost_per_month_usd),
            key=limit_key("cost_per_month_usd", user_id),
        )
        if st.form_submit_button("Save limits", key=LIMITS_SAVE, icon=":material/save:"):
            override = Limits(
                None if rpm is None else int(rpm),
                None if tokens is None else int(tokens),
                None if cost is None else float(cost),
            )
            _save(store, PersonLimitsChange(user_id, labels[user_id], override), admin, below.limits)


def _default_text(value: float | None) -> str:
    if value is None:
        return "otherwise: no limit"
    return f"otherwise: {value:,.2f}" if isinstance(value, float) else f"otherwise: {value:,}"


def _save(store: RunStore, change: PersonLimitsChange, admin: Admin, below: Limits) -> None:
    if not save_or_say(store, change, admin, "The limits were"):
        return
    now_in_force = describe_limits(merge_limits(below, change.override))
    announce_saved(f"Limits saved for {change.label}: {now_in_force}.")
    st.rerun()  # every table above shows the new limits


def _download(data: AdminData, days: int) -> None:
    st.subheader("Request log")
    count = len(data.log)
    note = f" (the newest {LOG_LIMIT:,})" if count >= LOG_LIMIT else ""
    st.caption(
        f"{count:,} request(s) in the last {days:d} days{note}, one line each, times in UTC; "
        "tokens_estimated says whose token figures are estimates."
    )
    download_button(
        st.container(),
        "Download the request log (CSV)",
        lambda: requests_csv(data.log),
        f"gptproto-requests-last-{days}-days.csv",
        mime="text/csv",
        key=DOWNLOAD_CSV,
        icon=":material/download:",
        disabled=not data.log,
    )


def _download_feedback(data: AdminData, days: int) -> None:
    count = len(data.feedback)
    st.caption(f"{count:,} rated answer(s) in the last {days:d} days, one line each, times in UTC.")
    emails = {user.id: user.email for user in data.users}
    download_button(
        st.container(),
        "Download the answer feedback (CSV)",
        lambda: feedback_csv(data.feedback, emails),
        f"gptproto-feedback-last-{days}-days.csv",
        mime="text/csv",
        key=DOWNLOAD_FEEDBACK_CSV,
        icon=":material/download:",
        disabled=not data.feedback,
    )
