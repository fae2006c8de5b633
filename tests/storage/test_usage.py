"""The usage log, per-user limits, users and moving local chats, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from core.admission import Hold
from core.compare import TIE, Vote
from core.conversation import ChatParams, Message, Status, Timing, Usage, user_message
from core.gateway.errors import ErrorKind, GatewayError
from core.quotas import LimitRefusal, Limits
from core.storage import (
    ConversationStore,
    UsageStore,
    find_user,
    list_users,
    migrate,
    upsert_user,
    users_with_email,
)
from core.storage.engine import HEAD_REVISION, current_revision
from tests.conftest import ROOT
from tests.storage.conftest import twin
from tests.storage.test_writes import upgrade_to

NOW = datetime(2025, 7, 22, 18, 47, 30, tzinfo=UTC)
PARAMS = ChatParams(model="o3")
NO_LIMITS = Limits()


def downgrade_to(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from core.storage.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def at(seconds_ago: float) -> datetime:
    return NOW - timedelta(seconds=seconds_ago)


@pytest.fixture
def usage(engine) -> UsageStore:
    migrate(engine)
    return UsageStore(engine)


def sign_in(engine, user_id: str, email: str, name: str = "", verified: bool = True) -> None:
    upsert_user(
        engine,
        user_id,
        email=email,
        name=name or None,
        issuer="https://id.example",
        subject=user_id,
        email_verified=verified,
    )


def send(store: UsageStore, user: str, model: str, when: datetime, **finish) -> int:
    reserved = store.reserve(user, [model], page="chat", defaults=NO_LIMITS, at=when)
    assert isinstance(reserved, list)
    if finish:
        store.finish(reserved[0], **finish)
    return reserved[0]


# -- schema -------------------------------------------------------------------------------------


def _chat_at_0002(engine, user_id: str, title: str) -> None:
    """A chat written as a 0002 database holds it (the ORM models describe the newest schema)."""
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (id, created_at) VALUES (:u, :t)"), {"u": user_id, "t": NOW}
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, user_id, title, pinned, params, created_at, updated_at) "
                "VALUES (:id, :u, :title, false, :params, :t, :t)"
            ),
            {"id": "c" * 32, "u": user_id, "title": title, "params": '{"model": "o3"}', "t": NOW},
        )


def _titles(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT title FROM conversations")).scalars())


def test_a_database_at_0002_gains_identity_usage_and_limits_and_keeps_its_chats(engine):
    upgrade_to(engine, "0002")
    _chat_at_0002(engine, "ana", "Kept")
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    inspector = inspect(engine)
    assert {"gateway_requests", "user_limits"} <= set(inspector.get_table_names())
    assert {"email", "name", "issuer", "subject", "last_seen_at"} <= {
        column["name"] for column in inspector.get_columns("users")
    }
    assert [c.title for c in ConversationStore(engine, "ana").conversations()] == ["Kept"]
    assert list_users(engine)[0].email is None


def test_going_back_to_0002_drops_only_what_0003_added(engine, usage):
    ConversationStore(engine, "ana").create(PARAMS, title="Survives")
    send(usage, "ana", "o3", NOW)
    downgrade_to(engine, "0002")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    tables = set(inspect(engine).get_table_names())
    assert "gateway_requests" not in tables and "user_limits" not in tables
    assert _titles(engine) == ["Survives"]


def test_a_database_at_0005_keeps_its_usage_log_as_reported_and_can_go_back(engine):
    upgrade_to(engine, "0005")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, created_at) VALUES ('ana', :t)"), {"t": NOW})
        connection.execute(
            text(
                "INSERT INTO gateway_requests (user_id, created_at, page, model, status, prompt_tokens, "
                "completion_tokens, reasoning_tokens, cached_tokens, total_tokens) "
                "VALUES ('ana', :t, 'chat', 'o3', 'complete', 10, 20, 0, 0, 30)"
            ),
            {"t": at(30)},
        )
    migrate(engine)
    [row] = UsageStore(engine).requests_since(at(60))
    assert (row.total_tokens, row.estimated) == (30, False)
    assert "ix_gateway_requests_status_created" in {
        index["name"] for index in inspect(engine).get_indexes("gateway_requests")
    }
    downgrade_to(engine, "0005")
    assert "estimated" not in {column["name"] for column in inspect(engine).get_columns("gateway_requests")}
    assert "ix_gateway_requests_status_created" not in {
        index["name"] for index in inspect(engine).get_indexes("gateway_requests")
    }
    with engine.connect() as connection:
        assert connection.execute(text("SELECT total_tokens FROM gateway_requests")).scalar() == 30


# -- users --------------------------------------------------------------------------------------


def test_signing_in_creates_then_refreshes_the_user_and_finds_them_by_email(engine, usage):
    first = upsert_user(
        engine, "sub-1", email="Ana@Example.com", name="Ana", issuer="https://id", subject="1"
    )
    assert (first.id, first.email, first.name, first.issuer, first.subject) == (
        "sub-1",
        "Ana@Example.com",
        "Ana",
        "https://id",
        "1",
    )
    assert first.last_seen_at is not None
    again = upsert_user(
        engine, "sub-1", email="ana@example.com", name="Ana B.", issuer="https://id", subject="1"
    )
    assert (again.email, again.name, again.created_at) == ("ana@example.com", "Ana B.", first.created_at)
    assert again.last_seen_at is not None and again.last_seen_at >= first.last_seen_at
    assert [user.id for user in users_with_email(engine, "  ANA@example.COM ")] == ["sub-1"]
    assert users_with_email(engine, "bob@example.com") == []
    found = find_user(engine, "sub-1")
    assert found is not None and found.email == "ana@example.com" and not found.email_verified
    assert find_user(engine, "sub-9") is None
    ConversationStore(engine, "local")
    sign_in(engine, "sub-2", "bob@example.com")
    assert [u.id for u in list_users(engine)] == ["sub-1", "sub-2", "local"]


def test_many_sessions_signing_the_same_person_in_at_once_all_succeed(engine, usage):
    other = twin(engine)
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def sign(index: int) -> None:
        barrier.wait()
        try:
            upsert_user(
                other if index % 2 else engine,
                "new",
                email=f"n{index}@x",
                name=None,
                issuer=None,
                subject=None,
            )
        except BaseException as exc:  # any failure fails the test below
            failures.append(exc)

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    other.dispose()
    assert failures == []
    assert [u.id for u in list_users(engine)] == ["new"]


# -- reserve and finish -------------------------------------------------------------------------


def test_a_request_is_recorded_as_sent_then_finished_with_everything_measured(usage):
    [row_id] = usage.reserve("ana", ["gpt-4o"], page="chat", defaults=NO_LIMITS, at=NOW)
    [sent] = usage.requests_since(at(3600))
    assert (sent.id, sent.user_id, sent.page, sent.model, sent.status, sent.total_tokens) == (
        row_id,
        "ana",
        "chat",
        "gpt-4o",
        "sent",
        0,
    )
    assert sent.created_at == NOW
    usage.finish(
        row_id,
        status="complete",
        usage=Usage(
            prompt_tokens=11, completion_tokens=42, total_tokens=53, reasoning_tokens=30, cached_tokens=2
        ),
        cost_usd=0.0125,
        first_token_s=0.4,
        latency_s=2.5,
        request_id="req-abc",
    )
    [done] = usage.requests_since(at(3600))
    assert (done.status, done.prompt_tokens, done.completion_tokens, done.total_tokens) == (
        "complete",
        11,
        42,
        53,
    )
    assert (done.reasoning_tokens, done.cached_tokens, done.cost_usd) == (30, 2, 0.0125)
    assert (done.first_token_s, done.latency_s, done.request_id, done.error_kind) == (
        0.4,
        2.5,
        "req-abc",
        None,
    )


def test_a_failed_answer_is_finished_from_the_message_itself(usage):
    [row_id] = usage.reserve("ana", ["o3"], page="chat", defaults=NO_LIMITS, at=NOW)
    failed = Message(
        role="assistant",
        model="o3",
        status=Status.FAILED,
        timing=Timing(None, 1.5),
        error=GatewayError(ErrorKind.SERVER, "Gateway failed", "Retry", request_id="req-500"),
    )
    usage.finish_answer(row_id, failed, {"o3": (2.0, 8.0)})
    [row] = usage.requests_since(at(60))
    assert (row.status, row.error_kind, row.request_id, row.latency_s, row.cost_usd) == (
        "failed",
        "server",
        "req-500",
        1.5,
        None,
    )


def test_compare_reserves_one_request_per_column_in_order(usage):
    reserved = usage.reserve("ana", ["o3", "gpt-4o", "o4-mini"], page="compare", defaults=NO_LIMITS, at=NOW)
    assert isinstance(reserved, list) and len(reserved) == 3
    rows = {row.id: row for row in usage.requests_since(at(60))}
    assert [rows[i].model for i in reserved] == ["o3", "gpt-4o", "o4-mini"]
    assert {row.page for row in rows.values()} == {"compare"}
    assert usage.windows(NOW)["ana"].requests_last_minute == 3


def test_over_the_rate_limit_nothing_is_recorded_and_the_refusal_says_when(usage):
    defaults = Limits(requests_per_minute=2)
    for seconds_ago in (30, 10):
        reserved = usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=at(seconds_ago))
        assert isinstance(reserved, list)
        usage.finish(reserved[0], status="complete")  # answered: it counts for 60 s, no longer
    refused = usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW)
    assert isinstance(refused, LimitRefusal)
    assert refused.message == (
        "Rate limit: 2 requests per minute reached. Try again in 30 s (at 18:48:00 UTC). Your prompt is kept."
    )
    assert len(usage.requests_since(at(3600))) == 2
    # Another user's requests do not count against ana, and ana's window moves on.
    assert isinstance(usage.reserve("bob", ["o3"], page="chat", defaults=defaults, at=NOW), list)
    assert isinstance(usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=at(-31)), list)


def test_compare_is_refused_when_its_columns_do_not_all_fit(usage):
    defaults = Limits(requests_per_minute=3)
    send(usage, "ana", "o3", at(5))
    refused = usage.reserve("ana", ["o3", "gpt-4o", "o4-mini"], page="compare", defaults=defaults, at=NOW)
    assert isinstance(refused, LimitRefusal) and refused.limit == "requests_per_minute"
    assert "this needs 3" in refused.message
    assert len(usage.requests_since(at(60))) == 1


def test_tokens_today_and_cost_this_month_count_in_utc(usage):
    yesterday = datetime(2025, 7, 21, 23, 59, 59, tzinfo=UTC)
    last_month = datetime(2025, 6, 30, 23, 0, tzinfo=UTC)
    send(usage, "ana", "o3", last_month, status="complete", usage=Usage(total_tokens=1_000), cost_usd=5.0)
    send(usage, "ana", "o3", yesterday, status="complete", usage=Usage(total_tokens=700), cost_usd=1.25)
    send(usage, "ana", "o3", at(3600), status="complete", usage=Usage(100, 200, 300), cost_usd=0.5)
    send(usage, "ana", "o4-mini", at(120), status="complete", usage=Usage(10, 20, 0))  # no total, no price
    # What admission counts: 300 + 30 tokens today; $1.25 + $0.50 this month; nothing in the last minute.
    tokens = usage.reserve("ana", ["o3"], page="chat", defaults=Limits(tokens_per_day=330), at=NOW)
    cost = usage.reserve("ana", ["o3"], page="chat", defaults=Limits(cost_per_month_usd=1.75), at=NOW)
    assert isinstance(tokens, LimitRefusal) and isinstance(cost, LimitRefusal)
    assert (tokens.used, cost.used) == (330, 1.75)
    assert isinstance(
        usage.reserve("ana", ["o3"], page="chat", defaults=Limits(requests_per_minute=1), at=NOW), list
    )
    assert usage.windows(NOW)["ana"].tokens_today == 330  # the admin page counts the same


def test_a_token_budget_used_up_refuses_until_midnight(usage):
    send(usage, "ana", "o3", at(600), status="complete", usage=Usage(total_tokens=100_512))
    refused = usage.reserve("ana", ["o3"], page="chat", defaults=Limits(tokens_per_day=100_000), at=NOW)
    assert isinstance(refused, LimitRefusal)
    assert refused.message == (
        "Daily token budget of 100,000 tokens used (100,512 today). "
        "It resets at midnight UTC (in 5 h 13 min). Your prompt is kept."
    )
    tomorrow = datetime(2025, 7, 23, 0, 0, 1, tzinfo=UTC)
    assert isinstance(
        usage.reserve("ana", ["o3"], page="chat", defaults=Limits(tokens_per_day=100_000), at=tomorrow), list
    )


def test_an_admins_override_beats_the_default_and_an_empty_one_restores_it(usage):
    send(usage, "ana", "o3", at(20))
    defaults = Limits(requests_per_minute=1, tokens_per_day=50_000)
    assert isinstance(usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW), LimitRefusal)
    usage.set_limits("ana", Limits(requests_per_minute=0, cost_per_month_usd=3.0), by="admin@example.com")
    assert usage.all_limits() == {"ana": Limits(0, None, 3.0)}
    assert isinstance(usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW), list)
    usage.set_limits("ana", Limits(requests_per_minute=5), by="admin@example.com")
    assert usage.all_limits() == {"ana": Limits(5, None, None)}
    usage.set_limits("ana", Limits(), by="admin@example.com")
    assert usage.all_limits() == {}
    with pytest.raises(ValueError, match="cannot be negative"):
        usage.set_limits("ana", Limits(tokens_per_day=-1), by="admin@example.com")


@pytest.mark.parametrize("allowed", [5])
def test_two_replicas_racing_for_the_last_requests_never_both_get_them(engine, usage, allowed):
    # Two stores on two engines (their own connection pools, as two replicas have), four threads.
    other = UsageStore(twin(engine))
    stores = [usage, other, usage, other]
    barrier = threading.Barrier(len(stores))
    outcomes: list[object] = []
    lock = threading.Lock()
    defaults = Limits(requests_per_minute=allowed)

    def race(store: UsageStore) -> None:
        barrier.wait()
        for _ in range(6):
            try:
                result: object = store.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW)
            except Exception as exc:  # reported by the assertion below
                result = exc
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=race, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other.engine.dispose()
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    granted = [o for o in outcomes if isinstance(o, list)]
    assert len(granted) == allowed and len(outcomes) == 24
    assert len(usage.requests_since(at(60))) == allowed


# -- answers in flight hold their share; what ends without usage is estimated -------------------

HOLD = Hold(prompt_tokens=10, completion_tokens=1_000)  # 1,010 tokens


def test_a_four_column_round_near_the_token_budget_is_refused_by_what_its_answers_hold(usage):
    defaults = Limits(tokens_per_day=10_000)
    send(usage, "ana", "o3", at(600), status="complete", usage=Usage(total_tokens=7_000))
    models = ["o3", "gpt-4o", "o4-mini", "gpt-4o-mini"]
    # 7,000 + 3 × 1,010 = 10,030 before the fourth column: past 10,000.
    refused = usage.reserve("ana", models, page="compare", defaults=defaults, at=NOW, holds=[HOLD] * 4)
    assert isinstance(refused, LimitRefusal) and refused.limit == "tokens_per_day"
    assert "these 4 answers may use up to 4,040 tokens together" in refused.message
    assert len(usage.requests_since(at(3600))) == 1
    # Three columns fit (7,000 + 2 × 1,010 = 9,020 before the third), and hold 3,030 while they stream.
    rows = usage.reserve("ana", models[:3], page="compare", defaults=defaults, at=NOW, holds=[HOLD] * 3)
    assert isinstance(rows, list) and len(rows) == 3
    window = usage.windows(NOW)["ana"]
    assert (window.tokens_today, window.held_tokens) == (10_030, 3_030)
    # While they stream, nothing more is admitted: before, only finished answers were counted.
    more = usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW, holds=[HOLD])
    assert isinstance(more, LimitRefusal)
    assert "(10,030 today, 3,030 of them held for answers still streaming)" in more.message
    # Each settles to what it used; the round ended past the budget by less than one answer's hold.
    for row_id in rows:
        usage.finish(row_id, status="complete", usage=Usage(10, 990, 1_000))
    window = usage.windows(NOW)["ana"]
    assert (window.tokens_today, window.held_tokens) == (10_000, 0)
    assert isinstance(usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW), LimitRefusal)


def test_an_answer_stopped_before_its_usage_arrived_is_settled_to_an_estimate(usage):
    hold = Hold(prompt_tokens=104, completion_tokens=4_096)
    [row_id] = usage.reserve("ana", ["o3"], page="chat", defaults=NO_LIMITS, at=NOW, holds=[hold])
    [sent] = usage.requests_since(at(60))
    assert (sent.status, sent.prompt_tokens, sent.completion_tokens, sent.total_tokens) == (
        "sent",
        104,
        4_096,
        4_200,
    )
    assert sent.estimated
    stopped = Message(role="assistant", model="o3", text="y" * 401, status=Status.STOPPED)
    usage.finish_answer(row_id, stopped, {"o3": (2.0, 8.0)}, hold=hold)
    [row] = usage.requests_since(at(60))
    # 104 for the prompt, 401 characters at 4 a token rounded up: 101; $0.000208 + $0.000808.
    assert (row.status, row.prompt_tokens, row.completion_tokens, row.total_tokens) == (
        "stopped",
        104,
        101,
        205,
    )
    assert row.estimated and row.cost_usd == pytest.approx(0.001016)
    assert (usage.windows(NOW)["ana"].tokens_today, usage.windows(NOW)["ana"].held_tokens) == (205, 0)
    # Reported usage replaces the hold as it is, not as an estimate.
    [done_id] = usage.reserve("ana", ["o3"], page="chat", defaults=NO_LIMITS, at=NOW, holds=[hold])
    done = Message(role="assistant", model="o3", text="y" * 401, usage=Usage(98, 90, 188))
    usage.finish_answer(done_id, done, {}, hold=hold)
    reported = next(r for r in usage.requests_since(at(60)) if r.id == done_id)
    assert (reported.total_tokens, reported.estimated) == (188, False)


def test_a_row_left_sent_by_a_dead_process_stops_counting_in_the_rate_and_keeps_its_hold(engine):
    migrate(engine)
    usage = UsageStore(engine, streaming_for=timedelta(seconds=660))  # a 600 s total timeout
    hold = Hold(prompt_tokens=100, completion_tokens=1_000)
    for seconds_ago in (700, 90):  # the first can no longer be streaming; the second can
        usage.reserve("ana", ["o3"], page="chat", defaults=NO_LIMITS, at=at(seconds_ago), holds=[hold])
    window = usage.windows(NOW)["ana"]
    assert window.requests_last_minute == 1  # the answer sent 90 s ago is still streaming
    assert window.tokens_today == 2_200  # both holds: the dead one's is its estimate
    defaults = Limits(requests_per_minute=2, tokens_per_day=100_000)
    assert isinstance(
        usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW, holds=[hold]), list
    )
    dead = next(row for row in usage.requests_since(at(3600)) if row.created_at == at(700))
    assert (dead.status, dead.error_kind, dead.total_tokens, dead.estimated) == (
        "incomplete",
        "incomplete",
        1_100,
        True,
    )
    # The one sent 90 s ago and the new one are both streaming: the rate of 2 is reached.
    refused = usage.reserve("ana", ["o3"], page="chat", defaults=defaults, at=NOW, holds=[hold])
    assert isinstance(refused, LimitRefusal) and refused.limit == "requests_per_minute"
    later = NOW + timedelta(seconds=661)  # 751 s and 661 s after they were sent: past 660 s
    assert usage.windows(later)["ana"].requests_last_minute == 0
    assert usage.settle_stale(later) == 2
    assert {row.status for row in usage.requests_since(at(3600))} == {"incomplete"}


# -- what the admin page reads ------------------------------------------------------------------


@pytest.fixture
def team(engine, usage) -> UsageStore:
    """Two days of a small team's requests, with literal figures the tests below expect."""
    sign_in(engine, "ana", "ana@example.com", "Ana")
    sign_in(engine, "bob", "bob@example.com", "Bob")
    day1 = datetime(2025, 7, 21, 23, 30, tzinfo=UTC)
    day2 = datetime(2025, 7, 22, 0, 30, tzinfo=UTC)
    send(usage, "ana", "o3", day1, status="complete", usage=Usage(100, 200, 300, 50, 10), cost_usd=0.002)
    send(usage, "ana", "o3", day2, status="complete", usage=Usage(10, 20, 30, 5, 0), cost_usd=0.0002)
    send(usage, "ana", "gpt-4o", day2, status="failed", error_kind="rate_limit")
    send(usage, "bob", "gpt-4o", day2, status="complete", usage=Usage(1_000, 500, 1_500, 0, 100))
    send(usage, "bob", "gpt-4o", day2 + timedelta(minutes=5), status="failed", error_kind="server")
    send(usage, "bob", "o3", day2 + timedelta(minutes=6), status="failed", error_kind="server")
    return usage


def test_daily_usage_per_user_and_model_splits_at_midnight_utc(team):
    rows = [
        (d.day, d.user_id, d.model, d.totals.requests, d.totals.total_tokens, d.totals.errors)
        for d in team.daily_usage(datetime(2025, 7, 1, tzinfo=UTC))
    ]
    assert rows == [
        (date(2025, 7, 21), "ana", "o3", 1, 300, 0),
        (date(2025, 7, 22), "ana", "gpt-4o", 1, 0, 1),
        (date(2025, 7, 22), "ana", "o3", 1, 30, 0),
        (date(2025, 7, 22), "bob", "gpt-4o", 2, 1_500, 1),
        (date(2025, 7, 22), "bob", "o3", 1, 0, 1),
    ]
    assert [d.day for d in team.daily_usage(datetime(2025, 7, 22, tzinfo=UTC))] == [date(2025, 7, 22)] * 4


def test_user_and_model_totals_errors_and_the_log(team):
    since = datetime(2025, 7, 1, tzinfo=UTC)
    users = {u.user_id: u for u in team.user_totals(since)}
    assert list(users) == ["bob", "ana"]  # most tokens first
    ana = users["ana"].totals
    assert (ana.requests, ana.prompt_tokens, ana.completion_tokens, ana.reasoning_tokens) == (3, 110, 220, 55)
    assert (ana.cached_tokens, ana.total_tokens, ana.errors) == (10, 330, 1)
    assert ana.cost_usd == pytest.approx(0.0022)
    assert users["bob"].last_request_at == datetime(2025, 7, 22, 0, 36, tzinfo=UTC)
    assert [(m.model, m.totals.requests) for m in team.model_totals(since)] == [("gpt-4o", 3), ("o3", 3)]
    assert team.error_counts(since) == {"server": 2, "rate_limit": 1}
    log = team.requests_since(since)
    assert len(log) == 6 and log[0].user_email == "bob@example.com" and log[0].model == "o3"
    assert [row.created_at for row in log] == sorted((row.created_at for row in log), reverse=True)
    assert len(team.requests_since(since, limit=2)) == 2


def test_windows_of_every_user_for_budget_status(team):
    now = datetime(2025, 7, 22, 0, 36, 30, tzinfo=UTC)
    windows = team.windows(now)
    assert set(windows) == {"ana", "bob"}
    assert (windows["bob"].requests_last_minute, windows["bob"].tokens_today) == (1, 1_500)
    assert (windows["ana"].requests_last_minute, windows["ana"].tokens_today) == (0, 30)
    assert windows["ana"].cost_this_month_usd == pytest.approx(0.0022)


# -- the team's leaderboard ---------------------------------------------------------------------


def test_team_votes_are_everyones_without_prompts(engine, usage):
    ConversationStore(engine, "ana").record_leaderboard_vote("secret prompt", Vote(("o3", "gpt-4o"), "o3"))
    ConversationStore(engine, "bob").record_leaderboard_vote("another", Vote(("o3", "o4-mini"), TIE))
    assert ConversationStore(engine, "carol").team_votes() == [
        Vote(("o3", "gpt-4o"), "o3"),
        Vote(("o3", "o4-mini"), TIE),
    ]


# -- moving the local user's chats --------------------------------------------------------------


def move_chats(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "core.storage.move_chats", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


@pytest.fixture
def local_data(tmp_path):
    from core.storage import database_url, make_engine

    engine = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(engine)
    local = ConversationStore(engine, "local")
    for title in ("First", "Second"):
        conversation = local.create(PARAMS, title=title)
        local.save_message(conversation, user_message("hello"), PARAMS)
    local.record_leaderboard_vote("p", Vote(("o3", "gpt-4o"), "o3"))
    usage = UsageStore(engine)
    for seconds_ago in (10, 20, 30):
        send(usage, "local", "o3", at(seconds_ago), status="complete", usage=Usage(total_tokens=5))
    yield engine
    engine.dispose()


def test_move_chats_gives_everything_local_to_the_signed_in_user(tmp_path, local_data):
    engine = local_data
    sign_in(engine, "oidc-ana", "Ana@Example.com")
    done = move_chats("--to", "ana@example.com", cwd=tmp_path)  # the settings find the SQLite file
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "Moved 2 conversation(s), 1 Compare vote(s), 3 usage record(s), 0 prompt set(s) and 0 share "
        "link(s) from the local user to Ana@Example.com (user id oidc-ana)."
    )
    ana = ConversationStore(engine, "oidc-ana")
    assert sorted(c.title for c in ana.conversations()) == ["First", "Second"]
    assert [m.text for m in ana.load(ana.conversations()[0].id).tree.path()] == ["hello"]
    with engine.connect() as connection:
        voters = connection.execute(text("SELECT user_id, winner FROM compare_votes")).all()
    assert [tuple(row) for row in voters] == [("oidc-ana", "o3")]
    assert UsageStore(engine).windows(NOW)["oidc-ana"].requests_last_minute == 3
    assert ConversationStore(engine, "local").conversations() == []
    again = move_chats("--to", "ana@example.com", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("Nothing to move")
    from core.audit import CHATS_MOVED, AuditFilter
    from core.storage import AuditStore

    moves = AuditStore(engine).entries(AuditFilter(action=CHATS_MOVED))
    assert [(m.actor_id, m.actor, m.subject, m.details) for m in reversed(moves)] == [
        (
            None,
            "python -m core.storage.move_chats",
            "oidc-ana",
            {"conversations": 2, "votes": 1, "requests": 3, "prompt_sets": 0, "shares": 0},
        ),
        (
            None,
            "python -m core.storage.move_chats",
            "oidc-ana",
            {"conversations": 0, "votes": 0, "requests": 0, "prompt_sets": 0, "shares": 0},
        ),
    ]


def test_move_chats_to_someone_who_never_signed_in_says_to_sign_in_first(tmp_path, local_data):
    url = f"sqlite:///{tmp_path / 'data' / 'gptproto-chat.db'}"
    done = move_chats("--to", "nobody@example.com", "--database-url", url, cwd=tmp_path / "data")
    assert done.returncode == 2
    assert "Nobody with the email nobody@example.com has signed in" in done.stderr
    assert "sign in to the app once" in done.stderr and "Traceback" not in done.stderr
    assert len(ConversationStore(local_data, "local").conversations()) == 2


def test_move_chats_with_a_broken_database_url_explains_without_a_traceback(tmp_path):
    done = move_chats("--to", "ana@example.com", "--database-url", "not a url", cwd=tmp_path)
    assert done.returncode == 2
    assert "not a valid URL" in done.stderr and "Traceback" not in done.stderr


# -- only an account the command unmistakably names receives the local chats ---------------------


def titles_of(engine, user_id: str) -> list[str]:
    return sorted(c.title for c in ConversationStore(engine, user_id).conversations())


def verified(engine, user_id: str) -> bool:
    found = find_user(engine, user_id)
    assert found is not None
    return found.email_verified


def test_emails_stored_before_0005_count_as_unverified_and_going_back_drops_only_the_flag(engine):
    upgrade_to(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, created_at, email) "
                "VALUES ('oidc-old', CURRENT_TIMESTAMP, 'old@example.com')"
            )
        )
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    found = find_user(engine, "oidc-old")
    assert found is not None and found.email == "old@example.com" and not found.email_verified

    downgrade_to(engine, "0004")
    assert "email_verified" not in {column["name"] for column in inspect(engine).get_columns("users")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT email FROM users")).scalars().all() == ["old@example.com"]


def test_whether_an_email_was_verified_is_stored_at_each_sign_in(engine):
    migrate(engine)
    sign_in(engine, "oidc-ana", "ana@example.com", verified=True)
    assert verified(engine, "oidc-ana")
    sign_in(engine, "oidc-ana", "ana@example.com", verified=False)  # the provider changed its mind
    assert not verified(engine, "oidc-ana")
    # No email, nothing verified, whatever the caller says.
    upsert_user(engine, "oidc-x", email=None, name="X", issuer=None, subject=None, email_verified=True)
    assert not verified(engine, "oidc-x")


def test_verified_accounts_come_first_among_those_with_an_email(engine):
    migrate(engine)
    sign_in(engine, "oidc-ana", "ana@example.com", verified=True)
    sign_in(engine, "oidc-mallory", "ANA@example.com", verified=False)  # seen last
    assert [u.id for u in users_with_email(engine, "ana@example.com")] == ["oidc-ana", "oidc-mallory"]


def test_an_unverified_account_with_the_same_email_does_not_receive_the_chats(tmp_path, local_data):
    engine = local_data
    sign_in(engine, "oidc-ana", "ana@example.com", "Ana", verified=True)
    # Signed in after Ana, with her address typed into a provider that never confirmed it.
    sign_in(engine, "oidc-mallory", "ana@example.com", "Mallory", verified=False)
    done = move_chats("--to", "ana@example.com", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "to ana@example.com (user id oidc-ana)" in done.stdout
    assert titles_of(engine, "oidc-ana") == ["First", "Second"]
    assert titles_of(engine, "oidc-mallory") == []


def test_an_email_no_account_verified_is_refused_with_the_candidates(tmp_path, local_data):
    engine = local_data
    sign_in(engine, "oidc-mallory", "ana@example.com", "Mallory", verified=False)
    done = move_chats("--to", "ana@example.com", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Not moving anything: no account signed in with ana@example.com as a verified email" in done.stderr
    assert "oidc-mallory  ana@example.com (NOT verified)  Mallory" in done.stderr
    assert "--to and that account's user id" in done.stderr
    assert titles_of(engine, "local") == ["First", "Second"]
    assert titles_of(engine, "oidc-mallory") == []


def test_two_verified_accounts_with_one_email_are_refused_and_a_user_id_picks_one(tmp_path, local_data):
    engine = local_data
    sign_in(engine, "oidc-ana", "ana@example.com", "Ana at work", verified=True)
    sign_in(engine, "hdr-ana", "Ana@Example.com", "Ana via the proxy", verified=True)
    refused = move_chats("--to", "ana@example.com", cwd=tmp_path)
    assert refused.returncode == 2
    assert "2 accounts signed in with the verified email ana@example.com" in refused.stderr
    assert "oidc-ana  ana@example.com (verified)  Ana at work" in refused.stderr
    assert "hdr-ana  Ana@Example.com (verified)  Ana via the proxy" in refused.stderr
    assert titles_of(engine, "local") == ["First", "Second"]

    done = move_chats("--to", "hdr-ana", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "to Ana@Example.com (user id hdr-ana)" in done.stdout
    assert titles_of(engine, "hdr-ana") == ["First", "Second"] and titles_of(engine, "oidc-ana") == []


def test_a_user_id_names_an_account_whose_email_is_unverified(tmp_path, local_data):
    engine = local_data
    sign_in(engine, "oidc-bo", "bo@example.com", "Bo", verified=False)
    done = move_chats("--to", "oidc-bo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert titles_of(engine, "oidc-bo") == ["First", "Second"]


def test_the_local_user_is_not_a_target(tmp_path, local_data):
    done = move_chats("--to", "local", cwd=tmp_path)
    assert done.returncode == 2
    assert "local is the local user already" in done.stderr
