"""The gateway usage log and per-user limits, shared by every replica through the database.

`reserve` is the only way a request is allowed: it checks the user's limits and records the
requests in one transaction that the user's other sessions (on any replica) wait for, so two of
them can never both pass a check that only one of them fits. PostgreSQL takes a transaction-level
advisory lock per user; SQLite's writers begin IMMEDIATE and so take turns on the whole file.

A request row is 'sent' while its answer streams, carrying what admission holds for it (marked as
an estimate), so the limits count answers in flight; `finish` replaces those figures with the
reported or estimated ones. A row still 'sent' once it can no longer be streaming was left by a
process that died: it keeps its hold as its estimate and is marked incomplete.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.admission import Hold, streaming_bound
from core.conversation import Message, Status, Usage
from core.gateway.errors import ErrorKind
from core.pricing import Prices
from core.quotas import (
    LIMIT_NAMES,
    RATE_WINDOW,
    LimitRefusal,
    Limits,
    UsageWindow,
    check,
    day_start,
    merge_limits,
    minute_start,
    month_start,
    sorted_times,
    total_tokens,
)
from core.settings import Settings
from core.storage.codec import clip, now
from core.storage.engine import writer
from core.storage.schema import GatewayRequestRow, UserLimitsRow, UserRow, max_length
from core.usage_report import DailyUsage, ModelTotals, RequestRow, TokenTotals, UserTotals, outcome_of
from core.utc import as_utc

SENT = "sent"  # a request in flight; `finish` replaces it with the answer's final status
# What a request left 'sent' by a process that died mid-answer becomes (as a stored answer
# interrupted by a restart shows).
INTERRUPTED = (str(Status.INCOMPLETE), str(ErrorKind.INCOMPLETE))
DEFAULT_STREAMING_BOUND = streaming_bound(Settings().total_timeout)
PAGES = ("chat", "compare")
# Two-key advisory locks live apart from the one-key lock migrations take.
_LOCK_SPACE = zlib.crc32(b"gptproto-chat usage") & 0x7FFFFFFF


_LIMIT_COLUMNS = (
    UserLimitsRow.requests_per_minute,
    UserLimitsRow.tokens_per_day,
    UserLimitsRow.cost_per_month_usd,
)


def _limits(row: UserLimitsRow | Row[int | None, int | None, float | None] | None) -> Limits | None:
    if row is None:
        return None
    return Limits(row.requests_per_minute, row.tokens_per_day, row.cost_per_month_usd)


def _totals_columns() -> list[Any]:
    r = GatewayRequestRow
    failed = case((r.error_kind.is_not(None), 1), else_=0)
    return [
        func.count(r.id),
        func.coalesce(func.sum(r.prompt_tokens), 0),
        func.coalesce(func.sum(r.completion_tokens), 0),
        func.coalesce(func.sum(r.reasoning_tokens), 0),
        func.coalesce(func.sum(r.cached_tokens), 0),
        func.coalesce(func.sum(r.total_tokens), 0),
        func.coalesce(func.sum(r.cost_usd), 0.0),
        func.coalesce(func.sum(failed), 0),
        func.coalesce(func.sum(case((r.estimated, r.total_tokens), else_=0)), 0),
    ]


def _totals(values: Sequence[Any]) -> TokenTotals:
    requests, prompt, completion, reasoning, cached, total, cost, errors, estimated = values
    return TokenTotals(
        int(requests),
        int(prompt),
        int(completion),
        int(reasoning),
        int(cached),
        int(total),
        float(cost),
        int(errors),
        int(estimated),
    )


# What the limits count, as statements built once with the moments as parameters (`_moments`):
# built on every request, their expressions and cache keys cost more than running them.
_R = GatewayRequestRow
_IN_FLIGHT = _R.status == SENT
_TODAY = _R.created_at >= bindparam("day_start")
# Over one month's rows: tokens since midnight UTC and cost, and of them what is held for answers
# still streaming.
_BUDGET_SUMS = (
    func.coalesce(func.sum(case((_TODAY, _R.total_tokens), else_=0)), 0),
    func.coalesce(func.sum(_R.cost_usd), 0.0),
    func.coalesce(func.sum(case((and_(_TODAY, _IN_FLIGHT), _R.total_tokens), else_=0)), 0),
    func.coalesce(func.sum(case((_IN_FLIGHT, _R.cost_usd), else_=0.0)), 0.0),
)
_THIS_MONTH = _R.created_at >= bindparam("month_start")
# Counted by the rate: sent in the last minute, or before and still streaming (a row a dead
# process left 'sent' stops counting once it can no longer be).
_RATE_COUNTS = and_(
    _R.created_at > bindparam("streaming_since"),
    _R.created_at <= bindparam("moment"),
    or_(_R.created_at > bindparam("minute_start"), _IN_FLIGHT),
)
_MINE = _R.user_id == bindparam("who")  # not "user_id": an UPDATE keeps column names for SET
_MY_RATE = select(_R.created_at).where(_MINE, _RATE_COUNTS)
_MY_BUDGETS = select(*_BUDGET_SUMS).where(_MINE, _THIS_MONTH)
_ALL_RATES = select(_R.user_id, _R.created_at).where(_RATE_COUNTS)
_ALL_BUDGETS = select(_R.user_id, *_BUDGET_SUMS).where(_THIS_MONTH).group_by(_R.user_id)
_STALE = and_(_IN_FLIGHT, _R.created_at <= bindparam("streaming_since"))
_STATUS, _ERROR_KIND = INTERRUPTED
_SETTLE_ALL = update(_R).where(_STALE).values(status=_STATUS, error_kind=_ERROR_KIND)
_SETTLE_MINE = update(_R).where(_STALE, _MINE).values(status=_STATUS, error_kind=_ERROR_KIND)


def _moments(moment: datetime, streaming_for: timedelta) -> dict[str, datetime]:
    """The parameters of the statements above at `moment`."""
    return {
        "moment": moment,
        "minute_start": minute_start(moment),
        "day_start": day_start(moment),
        "month_start": month_start(moment),
        "streaming_since": moment - streaming_for,
    }


def _budget_figures(values: Sequence[Any]) -> tuple[int, float, int, float]:
    tokens, cost, held_tokens, held_cost = values
    return int(tokens or 0), float(cost or 0.0), int(held_tokens or 0), float(held_cost or 0.0)


def _held(hold: Hold) -> dict[str, Any]:
    """A sent row's figures: what admission holds for its answer, an estimate until it ends."""
    return {
        "prompt_tokens": hold.prompt_tokens,
        "completion_tokens": hold.completion_tokens,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
        "total_tokens": hold.tokens,
        "cost_usd": hold.cost_usd,
        "estimated": hold.tokens > 0,
    }


def _as_date(value: Any) -> date:
    # SQLite's date() gives 'YYYY-MM-DD'; PostgreSQL gives a date.
    day: date = date.fromisoformat(value) if isinstance(value, str) else value
    return day


class UsageStore:
    """Every user's gateway requests and limits (the caller decides who may see what).
    `streaming_for` is how long after it was sent a request can still be streaming
    (core.admission.streaming_bound of the settings' total timeout)."""

    def __init__(self, engine: Engine, streaming_for: timedelta = DEFAULT_STREAMING_BOUND) -> None:
        self.engine = engine
        # Every request counts toward the rate for its first minute, streaming or not.
        self.streaming_for = max(streaming_for, RATE_WINDOW)
        self._writer = writer(engine)
        self._postgres = engine.dialect.name == "postgresql"

    def _reading(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _writing(self) -> Session:
        return Session(self._writer, expire_on_commit=False)

    # -- before and after a request ---------------------------------------------------------

    def reserve(
        self,
        user_id: str,
        models: Sequence[str],
        *,
        page: str,
        defaults: Limits,
        at: datetime | None = None,
        holds: Sequence[Hold] | None = None,
    ) -> list[int] | LimitRefusal:
        """Check `user_id`'s limits (their override merged over `defaults`) for one request per
        model and, if they allow it, record the requests as 'sent': one row id per model, in order.
        `holds` (one per model; none: nothing held) are what each answer may use, counted against
        the token and cost budgets until `finish` records what it did use. Over a limit nothing is
        recorded and the refusal says which limit and when it resets."""
        if not models:
            return []
        held = list(holds) if holds is not None else [Hold()] * len(models)
        if len(held) != len(models):
            raise ValueError(f"reserve needs one hold per model: {len(models)} models, {len(held)} holds.")
        moment = as_utc(at or now())
        # Core statements, not the ORM: this runs between the key press and the request.
        with self._writer.begin() as connection:
            self._serialise(connection, user_id, moment)
            self._settle_stale(connection, moment, user_id)
            override = connection.execute(
                select(*_LIMIT_COLUMNS).where(UserLimitsRow.user_id == user_id)
            ).one_or_none()
            limits = merge_limits(defaults, _limits(override))
            window = self._window(connection, user_id, moment)
            refusal = check(limits, window, len(models), moment, held)
            if refusal is not None:
                return refusal
            rows = [
                {
                    "user_id": user_id,
                    "created_at": moment,
                    "page": clip(page, max_length(GatewayRequestRow.page)) or "",
                    "model": clip(model, max_length(GatewayRequestRow.model)) or "",
                    "status": SENT,
                    **_held(hold),
                }
                for model, hold in zip(models, held, strict=True)
            ]
            inserted = connection.execute(
                insert(GatewayRequestRow).returning(GatewayRequestRow.id, sort_by_parameter_order=True), rows
            )
            return list(inserted.scalars())

    def settle_stale(self, at: datetime | None = None) -> int:
        """Mark every request still 'sent' that can no longer be streaming (its process died) as
        incomplete; its hold stays as its estimate. Returns how many there were."""
        with self._writer.begin() as connection:
            return self._settle_stale(connection, as_utc(at or now()))

    def _settle_stale(self, connection: Connection, moment: datetime, user_id: str | None = None) -> int:
        since = {"streaming_since": moment - self.streaming_for}
        if user_id is None:
            return connection.execute(_SETTLE_ALL, since).rowcount
        return connection.execute(_SETTLE_MINE, {**since, "who": user_id}).rowcount

    def _serialise(self, connection: Connection, user_id: str, moment: datetime) -> None:
        """Make sure the user exists, then hold the user's lock until this transaction ends."""
        dialect = postgresql if self._postgres else sqlite
        connection.execute(
            dialect.insert(UserRow).values(id=user_id, created_at=moment).on_conflict_do_nothing()
        )
        if self._postgres:  # SQLite: this transaction began IMMEDIATE, holding the write lock
            key = zlib.crc32(user_id.encode()) - 2**31  # into int4's range
            connection.execute(
                text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))"),
                {"space": _LOCK_SPACE, "key": key},
            )

    def finish(
        self,
        row_id: int,
        *,
        status: str,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        first_token_s: float | None = None,
        latency_s: float | None = None,
        request_id: str | None = None,
        error_kind: str | None = None,
        estimated: bool = False,
    ) -> None:
        """Record how a reserved request ended: its final status, usage (`estimated` when the
        gateway reported none), cost and timing, in place of what was held for it."""
        usage = usage or Usage()
        values = {
            "status": clip(status, max_length(GatewayRequestRow.status)),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "cached_tokens": usage.cached_tokens,
            "total_tokens": total_tokens(usage),
            "cost_usd": cost_usd,
            "first_token_s": first_token_s,
            "latency_s": latency_s,
            "request_id": clip(request_id, max_length(GatewayRequestRow.request_id)),
            "error_kind": clip(error_kind, max_length(GatewayRequestRow.error_kind)),
            "estimated": estimated,
        }
        with self._writing() as session, session.begin():
            session.execute(update(GatewayRequestRow).where(GatewayRequestRow.id == row_id).values(**values))

    def finish_answer(
        self,
        row_id: int,
        answer: Message,
        prices: Prices,
        request_id: str | None = None,
        prior_usage: Usage | None = None,
        *,
        hold: Hold | None = None,
        prior_chars: int = 0,
    ) -> None:
        """`finish` with everything taken from a settled answer (see core.usage_report.outcome_of);
        pass the usage the answer had before a Continue as `prior_usage`, so it is not counted
        twice, and the request's `hold` (and the text length before a Continue, `prior_chars`) so an
        answer without reported usage is recorded as an estimate, never as 0."""
        outcome = outcome_of(answer, prices, request_id, prior_usage, hold=hold, prior_chars=prior_chars)
        self.finish(
            row_id,
            status=outcome.status,
            usage=outcome.usage,
            cost_usd=outcome.cost_usd,
            first_token_s=outcome.first_token_s,
            latency_s=outcome.latency_s,
            request_id=outcome.request_id,
            error_kind=outcome.error_kind,
            estimated=outcome.estimated,
        )

    # -- what the limits count --------------------------------------------------------------

    def _window(self, session: Session | Connection, user_id: str, moment: datetime) -> UsageWindow:
        params = {**_moments(moment, self.streaming_for), "who": user_id}
        times = session.scalars(_MY_RATE, params).all()
        budget = session.execute(_MY_BUDGETS, params).one()
        return UsageWindow(sorted_times(times), *_budget_figures(budget))

    def window(self, user_id: str, at: datetime | None = None) -> UsageWindow:
        """What `user_id` has used as their limits count it at `at` (now)."""
        with self._reading() as session:
            return self._window(session, user_id, as_utc(at or now()))

    def windows(self, at: datetime | None = None) -> dict[str, UsageWindow]:
        """Every user's window who has sent anything this month, by user id."""
        params = _moments(as_utc(at or now()), self.streaming_for)
        with self._reading() as session:
            times: dict[str, list[datetime]] = {}
            for user_id, created in session.execute(_ALL_RATES, params):
                times.setdefault(user_id, []).append(created)
            budgets = {user_id: values for user_id, *values in session.execute(_ALL_BUDGETS, params)}
        return {
            user_id: UsageWindow(
                sorted_times(times.get(user_id, [])),
                *_budget_figures(budgets.get(user_id, (0, 0.0, 0, 0.0))),
            )
            for user_id in set(times) | set(budgets)
        }

    # -- limits -----------------------------------------------------------------------------

    def all_limits(self) -> dict[str, Limits]:
        """Every stored override, by user id."""
        with self._reading() as session:
            return {row.user_id: _limits(row) for row in session.scalars(select(UserLimitsRow))}  # type: ignore[misc]

    def limits_of(self, user_id: str) -> Limits | None:
        """`user_id`'s stored override, or None."""
        with self._reading() as session:
            return _limits(session.get(UserLimitsRow, user_id))

    def set_limits(self, user_id: str, override: Limits, by: str | None) -> None:
        """Store an admin's override (an empty one removes it: back to the defaults)."""
        for name in LIMIT_NAMES:
            value = getattr(override, name)
            if value is not None and value < 0:
                raise ValueError(f"{name.replace('_', ' ')} cannot be negative (0 means no limit).")
        with self._writing() as session, session.begin():
            if override.is_empty():
                session.execute(delete(UserLimitsRow).where(UserLimitsRow.user_id == user_id))
                return
            values = {
                "requests_per_minute": override.requests_per_minute,
                "tokens_per_day": override.tokens_per_day,
                "cost_per_month_usd": override.cost_per_month_usd,
                "updated_at": now(),
                "updated_by": clip(by, max_length(UserLimitsRow.updated_by)),
            }
            dialect = postgresql if self._postgres else sqlite
            statement = dialect.insert(UserLimitsRow).values(user_id=user_id, **values)
            session.execute(
                statement.on_conflict_do_update(index_elements=[UserLimitsRow.user_id], set_=values)
            )

    # -- what the admin page reads ----------------------------------------------------------

    def requests_since(
        self, since: datetime, limit: int | None = None, user_id: str | None = None
    ) -> list[RequestRow]:
        """Every user's requests (or only `user_id`'s) from `since` on, newest first (at most
        `limit`)."""
        r = GatewayRequestRow
        query = (
            select(r, UserRow.email, UserRow.name)
            .join(UserRow, UserRow.id == r.user_id)
            .where(r.created_at >= as_utc(since))
            .order_by(r.created_at.desc(), r.id.desc())
            .limit(limit)
        )
        if user_id is not None:
            query = query.where(r.user_id == user_id)
        with self._reading() as session:
            return [
                RequestRow(
                    row.id,
                    row.user_id,
                    email,
                    name,
                    as_utc(row.created_at),
                    row.page,
                    row.model,
                    row.status,
                    row.prompt_tokens,
                    row.completion_tokens,
                    row.reasoning_tokens,
                    row.cached_tokens,
                    row.total_tokens,
                    row.cost_usd,
                    row.first_token_s,
                    row.latency_s,
                    row.request_id,
                    row.error_kind,
                    row.estimated,
                )
                for row, email, name in session.execute(query)
            ]

    def _day(self) -> ColumnElement[Any]:
        created = GatewayRequestRow.created_at
        if self._postgres:
            return func.date(func.timezone("UTC", created))
        return func.date(created)  # SQLite stores UTC already

    def daily_usage(self, since: datetime) -> list[DailyUsage]:
        """Use per UTC day, user and model from `since` on, oldest day first."""
        r = GatewayRequestRow
        day = self._day().label("day")
        query = (
            select(day, r.user_id, r.model, *_totals_columns())
            .where(r.created_at >= as_utc(since))
            .group_by(day, r.user_id, r.model)
            .order_by(day, r.user_id, r.model)
        )
        with self._reading() as session:
            return [
                DailyUsage(_as_date(when), user_id, model, _totals(values))
                for when, user_id, model, *values in session.execute(query)
            ]

    def user_totals(self, since: datetime) -> list[UserTotals]:
        """Use per user from `since` on, most tokens first."""
        r = GatewayRequestRow
        total = func.coalesce(func.sum(r.total_tokens), 0)
        query = (
            select(r.user_id, func.max(r.created_at), *_totals_columns())
            .where(r.created_at >= as_utc(since))
            .group_by(r.user_id)
            .order_by(total.desc(), r.user_id)
        )
        with self._reading() as session:
            return [
                UserTotals(user_id, _totals(values), as_utc(last))
                for user_id, last, *values in session.execute(query)
            ]

    def model_totals(self, since: datetime) -> list[ModelTotals]:
        """Use per model from `since` on, most requests first."""
        r = GatewayRequestRow
        query = (
            select(r.model, *_totals_columns())
            .where(r.created_at >= as_utc(since))
            .group_by(r.model)
            .order_by(func.count(r.id).desc(), r.model)
        )
        with self._reading() as session:
            return [ModelTotals(model, _totals(values)) for model, *values in session.execute(query)]

    def error_counts(self, since: datetime) -> dict[str, int]:
        """How many requests from `since` on ended with each kind of error, most frequent first."""
        r = GatewayRequestRow
        count = func.count(r.id)
        query = (
            select(r.error_kind, count)
            .where(and_(r.created_at >= as_utc(since), r.error_kind.is_not(None)))
            .group_by(r.error_kind)
            .order_by(count.desc(), r.error_kind)
        )
        with self._reading() as session:
            return {str(kind): int(n) for kind, n in session.execute(query)}
