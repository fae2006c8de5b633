"""Quotas: the limits each person has on gateway use, and whether a request is admitted under
them, decided without a database or a clock of its own.

Three limits: requests per minute (a sliding 60 s window), tokens per day and estimated cost per
month (calendar day and month in UTC); core.limits says how the layers of them (the settings, a
group's policy, an admin's per-person override) combine.

Tokens and cost are only known once an answer ends, so every answer still streaming counts what
admission holds for it (core.admission), and the budgets refuse a request once they are used up
with those holds counted: a budget is passed by at most the last admitted answer's hold. The request
count is known beforehand, and Compare asks for one request per column at once; a request counts
against the rate for 60 s after it was sent, or for as long as its answer is still streaming.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.admission import Hold
from core.conversation import Usage
from core.limits import LIMIT_NAMES as LIMIT_NAMES
from core.limits import UNLIMITED as UNLIMITED
from core.limits import LimitName as LimitName
from core.limits import Limits as Limits
from core.limits import merge_limits as merge_limits
from core.settings import Settings
from core.utc import as_utc

RATE_WINDOW = timedelta(seconds=60)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def default_limits(settings: Settings) -> Limits:
    """The deployment's default limits, from GPTPROTO_LIMIT_* (a limit set to 'off': None)."""
    return Limits(
        settings.limit_requests_per_minute, settings.limit_tokens_per_day, settings.limit_cost_per_month
    )


@dataclass(frozen=True)
class UsageWindow:
    """What one user has used, as the limits count it, at one moment."""

    # Requests the rate counts, oldest first: sent in the last 60 s, or earlier and still streaming.
    request_times: tuple[datetime, ...] = ()
    tokens_today: int = 0  # since midnight UTC, the holds of answers still streaming included
    cost_this_month_usd: float = 0.0  # since the 1st, 00:00 UTC; requests without a price add 0
    held_tokens: int = 0  # of tokens_today: held for answers still streaming
    held_cost_usd: float = 0.0  # of cost_this_month_usd: held for answers still streaming

    @property
    def requests_last_minute(self) -> int:
        """How many requests the rate limit counts now."""
        return len(self.request_times)


@dataclass(frozen=True)
class LimitRefusal:
    """Why nothing was sent: the limit, the figures, and when sending works again."""

    limit: LimitName
    message: str  # for the user: names the limit, the figures and when it resets
    used: float
    allowed: float
    # None when waiting cannot help (more requests at once than allowed) or when it is an answer
    # still streaming, not the clock, that holds the place.
    resets_at: datetime | None
    resets_in_s: float | None


def minute_start(now: datetime) -> datetime:
    """The start of the rate limit's sliding window."""
    return now - RATE_WINDOW


def day_start(now: datetime) -> datetime:
    """Midnight UTC that began `now`'s day."""
    return datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)


def month_start(now: datetime) -> datetime:
    """The first of `now`'s month, 00:00 UTC."""
    return day_start(now).replace(day=1)


def next_month_start(now: datetime) -> datetime:
    """The first of the following month, 00:00 UTC."""
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def format_wait(seconds: float) -> str:
    """'42 s', '1 min 5 s', '5 h 12 min', '9 d 4 h': rounded up, never promising too early."""
    whole = max(1, math.ceil(seconds - 1e-9))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if whole < 86400:
        hours, minutes = divmod(math.ceil(whole / 60), 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(math.ceil(whole / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_day(day: date) -> str:
    """'1 August 2025'."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def check(
    limits: Limits,
    window: UsageWindow,
    requests_needed: int,
    now: datetime,
    holds: Sequence[Hold] = (),
) -> LimitRefusal | None:
    """None when `requests_needed` more requests may be sent now, else the limit that stops them.
    `limits` are merged (None: no limit). `holds` are the new answers' holds: each answer must
    start under the token and cost budgets with the holds before it counted, so the last one
    passes a budget by at most its own hold. Of several limits reached, the one that lasts longest."""
    ahead = holds[:-1]
    cost_ahead = sum(hold.cost_usd or 0.0 for hold in ahead)
    allowed_usd = limits.cost_per_month_usd
    if allowed_usd is not None and window.cost_this_month_usd + cost_ahead >= allowed_usd:
        return _cost_refusal(allowed_usd, window, holds, now)
    tokens_ahead = sum(hold.tokens for hold in ahead)
    if limits.tokens_per_day is not None and window.tokens_today + tokens_ahead >= limits.tokens_per_day:
        return _token_refusal(limits.tokens_per_day, window, holds, now)
    allowed = limits.requests_per_minute
    if allowed is not None and window.requests_last_minute + requests_needed > allowed:
        return _rate_refusal(allowed, window, requests_needed, now)
    return None


def _rate_refusal(allowed: int, window: UsageWindow, needed: int, now: datetime) -> LimitRefusal:
    used = window.requests_last_minute
    head = f"Rate limit: {allowed} {_requests(allowed)} per minute"
    if needed > allowed:
        message = (
            f"{head}, and this needs {needed} at once (one per model). "
            f"Compare at most {allowed} {_models(allowed)}. Your prompt is kept."
        )
        return LimitRefusal("requests_per_minute", message, used, allowed, None, None)
    # Sending works again once enough of the window's requests have aged out of it.
    must_expire = used + needed - allowed
    leaves_at = window.request_times[must_expire - 1] + RATE_WINDOW
    if leaves_at <= now:  # sent over a minute ago and still streaming: it counts until it ends
        message = (
            f"{head} reached, counting the answers still streaming. "
            "Try again once one of them has ended. Your prompt is kept."
        )
        return LimitRefusal("requests_per_minute", message, used, allowed, None, None)
    resets_at = _ceil_second(leaves_at)
    resets_in = max(1.0, (resets_at - now).total_seconds())
    figures = " reached" if needed == 1 else f": {used} sent in the last minute, and this needs {needed}"
    message = (
        f"{head}{figures}. Try again in {format_wait(resets_in)} "
        f"(at {resets_at.astimezone(UTC):%H:%M:%S} UTC). Your prompt is kept."
    )
    return LimitRefusal("requests_per_minute", message, used, allowed, resets_at, resets_in)


def _token_refusal(allowed: int, window: UsageWindow, holds: Sequence[Hold], now: datetime) -> LimitRefusal:
    used, held = window.tokens_today, window.held_tokens
    held_note = f", {held:,} of them held for answers still streaming" if held else ""
    return _budget_refusal(
        "tokens_per_day",
        allowed,
        used,
        holds,
        now,
        resets_at=day_start(now) + timedelta(days=1),
        when="at midnight UTC",
        used_up=f"Daily token budget of {allowed:,} tokens used ({used:,} today{held_note})",
        head=f"Daily token budget of {allowed:,} tokens: {used:,} used today{held_note}",
        round_=f"may use up to {sum(hold.tokens for hold in holds):,} tokens",
    )


def _cost_refusal(allowed: float, window: UsageWindow, holds: Sequence[Hold], now: datetime) -> LimitRefusal:
    used, held = window.cost_this_month_usd, window.held_cost_usd
    held_note = f", ${held:,.2f} of it held for answers still streaming" if held else ""
    month = f"${used:,.2f} this month, estimated{held_note}"
    resets_at = next_month_start(now)
    return _budget_refusal(
        "cost_per_month_usd",
        allowed,
        used,
        holds,
        now,
        resets_at=resets_at,
        when=f"on {format_day(resets_at.date())} at 00:00 UTC",
        used_up=f"Monthly cost budget of ${allowed:,.2f} used ({month})",
        head=f"Monthly cost budget of ${allowed:,.2f}: {month}",
        round_=f"may cost up to ${sum(hold.cost_usd or 0.0 for hold in holds):,.2f}",
    )


def _budget_refusal(
    limit: LimitName,
    allowed: float,
    used: float,
    holds: Sequence[Hold],
    now: datetime,
    *,
    resets_at: datetime,
    when: str,
    used_up: str,
    head: str,
    round_: str,
) -> LimitRefusal:
    """A budget used up (`used_up`), or one not used up that a Compare round's answers together
    would pass (`head`, then what the round `round_`)."""
    resets_in = (resets_at - now).total_seconds()
    resets = f"resets {when} (in {format_wait(resets_in)})"
    if used >= allowed:
        message = f"{used_up}. It {resets}. Your prompt is kept."
    else:
        message = (
            f"{head}; these {len(holds)} answers {round_} together (each its prompt and its max "
            "completion tokens). Compare fewer models or lower max completion tokens, or wait: the "
            f"budget {resets}. Your prompt is kept."
        )
    return LimitRefusal(limit, message, used, allowed, resets_at, resets_in)


def _requests(count: int) -> str:
    return "request" if count == 1 else "requests"


def _models(count: int) -> str:
    return "model" if count == 1 else "models"


@dataclass(frozen=True)
class BudgetLine:
    """One limit of one user on the admin page: what is used against what is allowed."""

    limit: LimitName
    used: float
    allowed: float | None  # None: no limit

    @property
    def share(self) -> float | None:
        """Used over allowed (1.0 is the limit), or None without a limit."""
        if self.allowed is None:
            return None
        return self.used / self.allowed if self.allowed else 1.0


def budget_lines(limits: Limits, window: UsageWindow) -> list[BudgetLine]:
    """Each limit in force (merged) beside what `window` used of it."""
    return [
        BudgetLine("requests_per_minute", window.requests_last_minute, limits.requests_per_minute),
        BudgetLine("tokens_per_day", window.tokens_today, limits.tokens_per_day),
        BudgetLine("cost_per_month_usd", window.cost_this_month_usd, limits.cost_per_month_usd),
    ]


def describe_limits(limits: Limits) -> str:
    """'3 requests per minute, 100,000 tokens per day, no monthly cost limit' (merged limits)."""
    rpm, tokens, cost = limits.requests_per_minute, limits.tokens_per_day, limits.cost_per_month_usd
    return ", ".join(
        [
            "no request rate limit" if rpm is None else f"{rpm} {_requests(rpm)} per minute",
            "no daily token limit" if tokens is None else f"{tokens:,} tokens per day",
            "no monthly cost limit" if cost is None else f"${cost:,.2f} per month",
        ]
    )


def total_tokens(usage: Usage | None) -> int:
    """The tokens a request counts against the daily budget: the reported total, else prompt plus
    completion when the gateway left the total out."""
    if usage is None:
        return 0
    return usage.total_tokens or usage.prompt_tokens + usage.completion_tokens


def sorted_times(times: Sequence[datetime]) -> tuple[datetime, ...]:
    """Timestamps in UTC, oldest first (storage may hand back naive UTC values on SQLite)."""
    return tuple(sorted(as_utc(moment) for moment in times))


def budget_text(line: BudgetLine) -> str:
    """'2 of 3', '1,200 of 100,000 (1%)', '$0.12 of $20.00 (1%)', or '1,200 (no limit)'."""
    money = line.limit == "cost_per_month_usd"
    used = f"${line.used:,.2f}" if money else f"{int(line.used):,}"
    if line.allowed is None:
        return f"{used} (no limit)"
    allowed = f"${line.allowed:,.2f}" if money else f"{int(line.allowed):,}"
    share = line.share or 0.0
    return f"{used} of {allowed} ({share:.0%})"


NOTICE_SHARE = 0.8  # from this share of any limit on, a person is told what is left


@dataclass(frozen=True)
class BudgetNotice:
    """A limit a person has used most of: what is left and when it resets, in their words."""

    limit: LimitName
    share: float  # used over allowed (1.0: the limit)
    message: str


def budget_notices(
    limits: Limits, window: UsageWindow, now: datetime, at_share: float = NOTICE_SHARE
) -> list[BudgetNotice]:
    """Each limit in force (merged) of which `window` has used `at_share` or more, closest first."""
    notices = [
        BudgetNotice(line.limit, line.share, _notice_text(line, window, now))
        for line in budget_lines(limits, window)
        if line.share is not None and line.share >= at_share
    ]
    return sorted(notices, key=lambda notice: -notice.share)


def _notice_text(line: BudgetLine, window: UsageWindow, now: datetime) -> str:
    allowed = line.allowed or 0
    share = f"{min(line.share or 0.0, 1.0):.0%}"
    if line.limit == "requests_per_minute":
        left = max(0, int(allowed - line.used))
        oldest = window.request_times[0] + RATE_WINDOW if window.request_times else now
        when = (
            f"the oldest stops counting in {format_wait((oldest - now).total_seconds())} "
            f"(at {_ceil_second(oldest).astimezone(UTC):%H:%M:%S} UTC)"
            if oldest > now
            else "one stops counting once an answer still streaming ends"
        )
        return (
            f"You have sent {int(line.used)} of your {int(allowed)} {_requests(int(allowed))} per "
            f"minute ({left} left): {when}."
        )
    if line.limit == "tokens_per_day":
        resets_at = day_start(now) + timedelta(days=1)
        left_tokens = max(0, int(allowed - line.used))
        return (
            f"You have used {share} of your daily token budget: {left_tokens:,} of {int(allowed):,} "
            f"tokens left. It resets at midnight UTC (in {format_wait((resets_at - now).total_seconds())})."
        )
    resets_at = next_month_start(now)
    left_usd = max(0.0, allowed - line.used)
    return (
        f"You have used {share} of your monthly cost budget (estimated): ${left_usd:,.2f} of "
        f"${allowed:,.2f} left. It resets on {format_day(resets_at.date())} at 00:00 UTC "
        f"(in {format_wait((resets_at - now).total_seconds())})."
    )
