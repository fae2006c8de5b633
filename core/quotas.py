"""Quotas: the limits each person has on gateway use, and whether a request is admitted under
them, decided without a database or a clock of its own.

Three limits: requests per minute (a sliding 60 s window), tokens per day and estimated cost per
month (calendar day and month in UTC). In an admin's override a field left as None means "use the
default from settings"; the value 0 (UNLIMITED), in an override or in the settings, means "no
limit". After `merge_limits`, None means no limit and every other value is a real cap.

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
from typing import Literal

from core.admission import Hold
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
