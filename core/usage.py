"""Per-user limits on gateway use, decided without a database or a clock of its own.

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

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from core.admission import Hold, estimated_usage
from core.compare import estimate_cost
from core.conversation import Message, Status, Usage

UNLIMITED = 0  # in an override or a setting: no limit at all (None in an override: the default)
RATE_WINDOW = timedelta(seconds=60)

LimitName = Literal["requests_per_minute", "tokens_per_day", "cost_per_month_usd"]
LIMIT_NAMES: tuple[LimitName, ...] = ("requests_per_minute", "tokens_per_day", "cost_per_month_usd")
# The settings the lead's Settings carries; read with getattr until every deployment has them.
LIMIT_SETTINGS: Mapping[LimitName, str] = {
    "requests_per_minute": "limit_requests_per_minute",
    "tokens_per_day": "limit_tokens_per_day",
    "cost_per_month_usd": "limit_cost_per_month",
}
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


def default_limits(settings: object) -> Limits:
    """The deployment's default limits, from the settings' `limit_*` fields (absent: no limit)."""
    rpm, tokens, cost = (getattr(settings, LIMIT_SETTINGS[name], None) for name in LIMIT_NAMES)
    return Limits(
        None if rpm is None else int(rpm),
        None if tokens is None else int(tokens),
        None if cost is None else float(cost),
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

    @property
    def oldest_request_at(self) -> datetime | None:
        """The oldest request still inside the 60 s window."""
        return self.request_times[0] if self.request_times else None


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


def request_cost(model: str, usage: Usage | None, prices: Mapping[str, tuple[float, float]]) -> float | None:
    """The estimated USD cost of one request, or None when the model has no configured price."""
    cost = estimate_cost(model, usage, prices)
    return None if cost is None else cost.usd


@dataclass(frozen=True)
class RequestOutcome:
    """How one gateway request ended, as the usage log records it."""

    status: str  # a Status value ('complete', 'failed', ...)
    usage: Usage | None = None
    cost_usd: float | None = None
    first_token_s: float | None = None
    latency_s: float | None = None
    request_id: str | None = None
    error_kind: str | None = None
    estimated: bool = False  # the usage is an estimate: the gateway reported none


def usage_since(after: Usage | None, before: Usage | None) -> Usage | None:
    """The usage of one request when the answer already carried `before` (a Continue adds its
    usage to the answer's), field by field; None when nothing was reported."""
    if after is None or before is None:
        return after
    return Usage(
        *(
            max(0, getattr(after, name) - getattr(before, name))
            for name in (
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "reasoning_tokens",
                "cached_tokens",
            )
        )
    )


def outcome_of(
    answer: Message,
    prices: Mapping[str, tuple[float, float]],
    request_id: str | None = None,
    prior_usage: Usage | None = None,
    *,
    hold: Hold | None = None,
    prior_chars: int = 0,
) -> RequestOutcome:
    """The usage record of a settled answer: its status, this request's usage (the answer's, less
    `prior_usage` it had before a Continue), estimated cost, timing, the gateway's request id
    (given, else the answer's, else the one its error carried) and the error's kind. When the
    gateway reported no usage, given the request's `hold`, the usage is estimated from the hold's
    prompt and the text after the first `prior_chars` (see core.admission.estimated_usage)."""
    status = Status.FAILED if answer.status == Status.STREAMING else answer.status
    error = answer.error
    usage = usage_since(answer.usage, prior_usage)
    estimated = False
    if hold is not None and total_tokens(usage) == 0:
        guess = estimated_usage(answer, hold.prompt_tokens, prior_chars)
        usage, estimated = (guess, True) if guess is not None else (usage, False)
    return RequestOutcome(
        status=str(status),
        usage=usage,
        cost_usd=request_cost(answer.model or "", usage, prices),
        first_token_s=answer.timing.first_token_s,
        latency_s=answer.timing.total_s,
        # Messages carry the gateway's request id on success too once that field lands on main.
        request_id=request_id
        or getattr(answer, "request_id", None)
        or (error.request_id if error is not None else None),
        error_kind=str(error.kind) if error is not None else None,
        estimated=estimated,
    )


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


def as_utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- the usage log, as the admin page reads it ---------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    """One line of the request log, with the user's email and name for the admin page."""

    id: int
    user_id: str
    user_email: str | None
    user_name: str | None
    created_at: datetime
    page: str
    model: str
    status: str
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    total_tokens: int
    cost_usd: float | None
    first_token_s: float | None
    latency_s: float | None
    request_id: str | None
    error_kind: str | None
    estimated: bool = False  # the token figures (and cost) are an estimate, not the gateway's


@dataclass(frozen=True)
class TokenTotals:
    """Requests and tokens by kind, summed over some requests."""

    requests: int
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    total_tokens: int
    cost_usd: float  # requests without a configured price add nothing
    errors: int  # requests that ended with an error
    estimated_tokens: int = 0  # of total_tokens: estimates, where the gateway reported no usage


@dataclass(frozen=True)
class DailyUsage:
    """One user's use of one model on one UTC day."""

    day: date
    user_id: str
    model: str
    totals: TokenTotals


@dataclass(frozen=True)
class UserTotals:
    """One user's use over a period, and when they last sent a request."""

    user_id: str
    totals: TokenTotals
    last_request_at: datetime


@dataclass(frozen=True)
class ModelTotals:
    """One model's use over a period, across users."""

    model: str
    totals: TokenTotals


def budget_text(line: BudgetLine) -> str:
    """'2 of 3', '1,200 of 100,000 (1%)', '$0.12 of $20.00 (1%)', or '1,200 (no limit)'."""
    money = line.limit == "cost_per_month_usd"
    used = f"${line.used:,.2f}" if money else f"{int(line.used):,}"
    if line.allowed is None:
        return f"{used} (no limit)"
    allowed = f"${line.allowed:,.2f}" if money else f"{int(line.allowed):,}"
    share = line.share or 0.0
    return f"{used} of {allowed} ({share:.0%})"


def tokens_per_day(
    daily: Iterable[DailyUsage], by: Literal["user", "model"], labels: Mapping[str, str]
) -> list[dict[str, object]]:
    """Long-form chart rows {day, user|model, tokens}: total tokens per UTC day per user (named by
    `labels`, else the id) or per model."""
    sums: dict[tuple[str, str], int] = {}
    for row in daily:
        name = labels.get(row.user_id, row.user_id) if by == "user" else row.model
        key = (row.day.isoformat(), name)
        sums[key] = sums.get(key, 0) + row.totals.total_tokens
    return [{"day": day, by: name, "tokens": tokens} for (day, name), tokens in sorted(sums.items())]


CSV_COLUMNS = (
    "id",
    "created_at_utc",
    "user_id",
    "user_email",
    "user_name",
    "page",
    "model",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "total_tokens",
    "cost_usd",
    "first_token_s",
    "latency_s",
    "request_id",
    "error_kind",
    "tokens_estimated",
)
# Each column is the request row's field of the same name (the time is said to be UTC; whether the
# token figures are the gateway's or an estimate is said as yes or no).
_RENAMED = {"created_at_utc": "created_at", "tokens_estimated": "estimated"}
_CSV_FIELDS = tuple(_RENAMED.get(column, column) for column in CSV_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    # A typed model id or a name like "=HYPERLINK(...)" must not become a formula in a spreadsheet.
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def requests_csv(rows: Iterable[RequestRow]) -> str:
    """The request log as CSV, one line per request, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(_cell(getattr(row, field)) for field in _CSV_FIELDS)
    return out.getvalue()
