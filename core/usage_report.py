"""The request log: what each gateway request records when it ends, and how the admin page
reads the log (totals per user, model and day, and the CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from core.admission import Hold, estimated_usage
from core.conversation import Message, Status, Usage
from core.pricing import Prices, request_cost
from core.quotas import total_tokens
from core.utc import as_utc


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
    prices: Prices,
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
        request_id=request_id or answer.request_id or (error.request_id if error is not None else None),
        error_kind=str(error.kind) if error is not None else None,
        estimated=estimated,
    )


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


def csv_cell(value: object) -> object:
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
        writer.writerow(csv_cell(getattr(row, field)) for field in _CSV_FIELDS)
    return out.getvalue()
