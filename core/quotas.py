"""Quotas: the limits each person has on gateway use, and whether a request is admitted under
them, decided without a database or a clock of its own.

Three limits: requests per minute (a sliding 60 s window), tokens per day and estimated cost per
month (calendar day and month in UTC). In an admin's override a field left as None means "use the
default from settings"; the value 0 (UNLIMITED), in an override or in the settings, means "no
limit". After `merge_limits`, None means no limit and every other value is a real cap.

Tokens and cost are only known once an answer ends, so those two budgets refuse a request once
they are used up (a request started just under a budget may end a little over it); the request
count is known beforehand, and Compare asks for one request per column at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from core.conversation import Usage
from core.settings import Settings
from core.utc import as_utc

UNLIMITED = 0  # in an override or a setting: no limit at all (None in an override: the default)
RATE_WINDOW = timedelta(seconds=60)

LimitName = Literal["requests_per_minute", "tokens_per_day", "cost_per_month_usd"]
LIMIT_NAMES: tuple[LimitName, ...] = ("requests_per_minute", "tokens_per_day", "cost_per_month_usd")
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


@dataclass(frozen=True)
class Limits:
    """Caps on one user's use; see the module docstring for what None and 0 mean."""

    requests_per_minute: int | None = None
    tokens_per_day: int | None = None
    cost_per_month_usd: float | None = None

    def is_empty(self) -> bool:
        """True when every field is None: as an override, nothing differs from the defaults."""
        return all(getattr(self, name) is None for name in LIMIT_NAMES)


def merge_limits(defaults: Limits, override: Limits | None) -> Limits:
    """The limits in force: each field of `override` unless None, else the default; 0 becomes None
    (no limit), so the result holds only real caps."""
    merged: dict[str, float | None] = {}
    for name in LIMIT_NAMES:
        value = getattr(override, name) if override is not None else None
        if value is None:
            value = getattr(defaults, name)
        merged[name] = None if value is None or value <= UNLIMITED else value
    rpm, tokens, cost = (merged[name] for name in LIMIT_NAMES)
    return Limits(None if rpm is None else int(rpm), None if tokens is None else int(tokens), cost)


def default_limits(settings: Settings) -> Limits:
    """The deployment's default limits, from GPTPROTO_LIMIT_* (a limit set to 'off': None)."""
    return Limits(
        settings.limit_requests_per_minute, settings.limit_tokens_per_day, settings.limit_cost_per_month
    )


@dataclass(frozen=True)
class UsageWindow:
    """What one user has used, as the limits count it, at one moment."""

    request_times: tuple[datetime, ...] = ()  # requests sent in the last 60 s, oldest first
    tokens_today: int = 0  # since midnight UTC
    cost_this_month_usd: float = 0.0  # since the 1st, 00:00 UTC; requests without a price add 0

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
    resets_at: datetime | None  # None when waiting cannot help (more requests at once than allowed)
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


def check(limits: Limits, window: UsageWindow, requests_needed: int, now: datetime) -> LimitRefusal | None:
    """None when `requests_needed` more requests may be sent now, else the limit that stops them.
    `limits` are merged (None: no limit). Of several limits reached, the one that lasts longest."""
    if limits.cost_per_month_usd is not None and window.cost_this_month_usd >= limits.cost_per_month_usd:
        return _cost_refusal(limits.cost_per_month_usd, window.cost_this_month_usd, now)
    if limits.tokens_per_day is not None and window.tokens_today >= limits.tokens_per_day:
        return _token_refusal(limits.tokens_per_day, window.tokens_today, now)
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
    resets_at = _ceil_second(window.request_times[must_expire - 1] + RATE_WINDOW)
    resets_in = max(1.0, (resets_at - now).total_seconds())
    figures = " reached" if needed == 1 else f": {used} sent in the last minute, and this needs {needed}"
    message = (
        f"{head}{figures}. Try again in {format_wait(resets_in)} "
        f"(at {resets_at.astimezone(UTC):%H:%M:%S} UTC). Your prompt is kept."
    )
    return LimitRefusal("requests_per_minute", message, used, allowed, resets_at, resets_in)


def _token_refusal(allowed: int, used: int, now: datetime) -> LimitRefusal:
    resets_at = day_start(now) + timedelta(days=1)
    resets_in = (resets_at - now).total_seconds()
    message = (
        f"Daily token budget of {allowed:,} tokens used ({used:,} today). "
        f"It resets at midnight UTC (in {format_wait(resets_in)}). Your prompt is kept."
    )
    return LimitRefusal("tokens_per_day", message, used, allowed, resets_at, resets_in)


def _cost_refusal(allowed: float, used: float, now: datetime) -> LimitRefusal:
    resets_at = next_month_start(now)
    resets_in = (resets_at - now).total_seconds()
    message = (
        f"Monthly cost budget of ${allowed:,.2f} used (${used:,.2f} this month, estimated). "
        f"It resets on {format_day(resets_at.date())} at 00:00 UTC (in {format_wait(resets_in)}). "
        "Your prompt is kept."
    )
    return LimitRefusal("cost_per_month_usd", message, used, allowed, resets_at, resets_in)


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
