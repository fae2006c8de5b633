"""Per-user limits decided with an injected clock: merging, checking, and what the user is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.admission import Hold
from core.conversation import Message, Status, Timing, Usage
from core.gateway.errors import ErrorKind, GatewayError
from core.quotas import (
    Limits,
    UsageWindow,
    budget_lines,
    check,
    default_limits,
    describe_limits,
    format_wait,
    merge_limits,
    next_month_start,
    total_tokens,
)
from core.settings import Settings, resolve_settings
from core.usage_report import RequestRow, outcome_of, requests_csv

NOW = datetime(2025, 7, 22, 18, 47, 30, 250_000, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_an_override_field_wins_none_falls_back_and_zero_means_no_limit():
    defaults = Limits(requests_per_minute=3, tokens_per_day=100_000, cost_per_month_usd=20.0)
    assert merge_limits(defaults, None) == Limits(3, 100_000, 20.0)
    assert merge_limits(defaults, Limits(tokens_per_day=5_000)) == Limits(3, 5_000, 20.0)
    assert merge_limits(defaults, Limits(requests_per_minute=0, cost_per_month_usd=0)) == Limits(
        None, 100_000, None
    )
    # A default of 0 (or none at all) is no limit; an override can still set one.
    assert merge_limits(Limits(0, None, 0.0), Limits(cost_per_month_usd=1.5)) == Limits(None, None, 1.5)
    assert Limits().is_empty() and not Limits(tokens_per_day=0).is_empty()


def test_defaults_come_from_the_limit_settings():
    limited = {"GPTPROTO_LIMIT_REQUESTS_PER_MINUTE": "10", "GPTPROTO_LIMIT_COST_PER_MONTH": "25"}
    assert default_limits(resolve_settings({}, limited, {})) == Limits(10, None, 25.0)
    assert default_limits(Settings()) == Limits(None, None, None)


def test_within_every_limit_nothing_is_refused():
    limits = Limits(requests_per_minute=3, tokens_per_day=1_000, cost_per_month_usd=1.0)
    window = UsageWindow((ago(50), ago(10)), tokens_today=999, cost_this_month_usd=0.99)
    assert check(limits, window, 1, NOW) is None
    assert check(Limits(), UsageWindow(tuple(ago(s) for s in range(1, 50)), 10**9, 10**6), 4, NOW) is None


def test_rate_limit_names_the_limit_and_when_the_oldest_request_leaves_the_window():
    window = UsageWindow((ago(17.9), ago(12), ago(3)))
    refusal = check(Limits(requests_per_minute=3), window, 1, NOW)
    assert refusal is not None
    assert refusal.limit == "requests_per_minute"
    # The oldest was at 18:47:12.35; it leaves the window at 18:48:12.35, shown rounded up.
    assert refusal.resets_at == datetime(2025, 7, 22, 18, 48, 13, tzinfo=UTC)
    assert refusal.message == (
        "Rate limit: 3 requests per minute reached. Try again in 43 s (at 18:48:13 UTC). Your prompt is kept."
    )
    assert (refusal.used, refusal.allowed) == (3, 3)


def test_compare_counts_every_column_and_waits_for_enough_requests_to_age_out():
    window = UsageWindow((ago(50), ago(20), ago(5)))
    refusal = check(Limits(requests_per_minute=4), window, 3, NOW)
    assert refusal is not None
    # 3 + 3 > 4: two must leave; the second oldest (18:47:10.25) leaves at 18:48:10.25, shown
    # rounded up to the second so trying then works.
    assert refusal.message == (
        "Rate limit: 4 requests per minute: 3 sent in the last minute, and this needs 3. "
        "Try again in 41 s (at 18:48:11 UTC). Your prompt is kept."
    )
    assert check(Limits(requests_per_minute=4), UsageWindow((ago(50),)), 3, NOW) is None


def test_more_columns_than_the_rate_allows_can_never_be_sent_and_says_so():
    refusal = check(Limits(requests_per_minute=2), UsageWindow(), 3, NOW)
    assert refusal is not None
    assert refusal.resets_at is None and refusal.resets_in_s is None
    assert refusal.message == (
        "Rate limit: 2 requests per minute, and this needs 3 at once (one per model). "
        "Compare at most 2 models. Your prompt is kept."
    )


def test_daily_tokens_used_up_reset_at_midnight_utc():
    refusal = check(Limits(tokens_per_day=100_000), UsageWindow(tokens_today=100_512), 1, NOW)
    assert refusal is not None
    assert refusal.limit == "tokens_per_day"
    assert refusal.resets_at == datetime(2025, 7, 23, tzinfo=UTC)
    assert refusal.message == (
        "Daily token budget of 100,000 tokens used (100,512 today). "
        "It resets at midnight UTC (in 5 h 13 min). Your prompt is kept."
    )
    # Exactly at the budget is used up too.
    assert check(Limits(tokens_per_day=10), UsageWindow(tokens_today=10), 1, NOW) is not None


def test_monthly_cost_used_up_resets_on_the_first():
    refusal = check(Limits(cost_per_month_usd=20.0), UsageWindow(cost_this_month_usd=20.126), 1, NOW)
    assert refusal is not None
    assert refusal.limit == "cost_per_month_usd"
    assert refusal.resets_at == datetime(2025, 8, 1, tzinfo=UTC)
    assert refusal.message == (
        "Monthly cost budget of $20.00 used ($20.13 this month, estimated). "
        "It resets on 1 August 2025 at 00:00 UTC (in 9 d 6 h). Your prompt is kept."
    )


def test_of_several_limits_reached_the_longest_lasting_is_named():
    window = UsageWindow((ago(1),), tokens_today=50, cost_this_month_usd=5.0)
    everything = Limits(requests_per_minute=1, tokens_per_day=50, cost_per_month_usd=5.0)
    first = check(everything, window, 1, NOW)
    assert first is not None and first.limit == "cost_per_month_usd"
    second = check(Limits(requests_per_minute=1, tokens_per_day=50), window, 1, NOW)
    assert second is not None and second.limit == "tokens_per_day"


def test_december_rolls_over_to_january():
    assert next_month_start(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "1 s"),
        (42, "42 s"),
        (41.01, "42 s"),
        (60, "1 min"),
        (65, "1 min 5 s"),
        (3600, "1 h"),
        (5 * 3600 + 11 * 60 + 1, "5 h 12 min"),
        (86400, "1 d"),
        (9 * 86400 + 3 * 3600 + 5, "9 d 4 h"),
    ],
)
def test_waits_are_rounded_up_in_words(seconds, words):
    assert format_wait(seconds) == words


def test_tokens_counted_are_the_reported_total_or_its_parts():
    assert total_tokens(Usage(11, 42, 53, 30, 2)) == 53
    assert total_tokens(Usage(prompt_tokens=11, completion_tokens=42)) == 53
    assert total_tokens(None) == 0


def test_the_outcome_of_an_answer_carries_what_the_usage_log_records():
    done = Message(
        role="assistant",
        model="gpt-4o",
        status=Status.COMPLETE,
        usage=Usage(100, 200, 300, 50, 10),
        timing=Timing(0.5, 2.25),
    )
    outcome = outcome_of(done, {"gpt-4o": (2.5, 10.0)}, request_id="req-1")
    assert outcome.status == "complete" and outcome.usage == Usage(100, 200, 300, 50, 10)
    assert outcome.cost_usd == 0.00225
    assert (outcome.first_token_s, outcome.latency_s, outcome.request_id) == (0.5, 2.25, "req-1")
    assert outcome.error_kind is None
    failed = Message(
        role="assistant",
        model="o3",
        status=Status.FAILED,
        error=GatewayError(ErrorKind.RATE_LIMIT, "Too many", "Wait", request_id="req-429"),
    )
    broken = outcome_of(failed, {})
    assert (broken.status, broken.error_kind, broken.request_id, broken.cost_usd) == (
        "failed",
        "rate_limit",
        "req-429",
        None,
    )
    # Without one given, the id the gateway gave the answer's request.
    done.request_id = "req-2"
    assert outcome_of(done, {}).request_id == "req-2"
    # An answer still marked as streaming when it settles did not finish.
    assert outcome_of(Message(role="assistant", status=Status.STREAMING), {}).status == "failed"


def test_a_continued_answer_records_only_what_its_own_request_used():
    before = Usage(100, 50, 150, 10, 0)
    continued = Message(
        role="assistant", model="gpt-4o", status=Status.COMPLETE, usage=Usage(260, 90, 350, 30, 64)
    )
    outcome = outcome_of(continued, {"gpt-4o": (2.5, 10.0)}, prior_usage=before)
    assert outcome.usage == Usage(160, 40, 200, 20, 64)
    assert outcome.cost_usd == 0.0008
    # No usage reported by the continuation: the answer still holds only the earlier figures.
    assert outcome_of(Message(role="assistant", usage=before), {}, prior_usage=before).usage == Usage()


def test_budget_lines_and_description_for_the_admin_page():
    limits = Limits(requests_per_minute=4, tokens_per_day=None, cost_per_month_usd=10.0)
    lines = budget_lines(limits, UsageWindow((ago(3),), tokens_today=700, cost_this_month_usd=2.5))
    assert [(line.limit, line.used, line.allowed, line.share) for line in lines] == [
        ("requests_per_minute", 1, 4, 0.25),
        ("tokens_per_day", 700, None, None),
        ("cost_per_month_usd", 2.5, 10.0, 0.25),
    ]
    assert describe_limits(limits) == "4 requests per minute, no daily token limit, $10.00 per month"
    assert describe_limits(Limits(1, 100_000, None)) == (
        "1 request per minute, 100,000 tokens per day, no monthly cost limit"
    )


# -- answers in flight hold their share of the budgets -------------------------------------------

HOLD = Hold(prompt_tokens=10, completion_tokens=500, cost_usd=0.25)  # 510 tokens


def test_a_compare_round_must_fit_the_token_budget_with_every_earlier_columns_hold():
    limits = Limits(tokens_per_day=1_500)
    # 0 + 510 + 510 + 510 = 1,530 before the fourth column: past 1,500, so the round is refused.
    refusal = check(limits, UsageWindow(), 4, NOW, [HOLD] * 4)
    assert refusal is not None and refusal.limit == "tokens_per_day"
    assert refusal.message == (
        "Daily token budget of 1,500 tokens: 0 used today; these 4 answers may use up to 2,040 tokens "
        "together (each its prompt and its max completion tokens). Compare fewer models or lower "
        "max completion tokens, or wait: the budget resets at midnight UTC (in 5 h 13 min). "
        "Your prompt is kept."
    )
    # 1,020 before the third: it may start, and the round passes 1,500 by at most its own hold.
    assert check(limits, UsageWindow(), 3, NOW, [HOLD] * 3) is None
    assert check(limits, UsageWindow(tokens_today=1_499), 1, NOW, [HOLD]) is None


def test_tokens_held_for_answers_still_streaming_count_and_are_named():
    window = UsageWindow(tokens_today=1_530, held_tokens=1_020)
    refusal = check(Limits(tokens_per_day=1_500), window, 1, NOW, [HOLD])
    assert refusal is not None
    assert refusal.message == (
        "Daily token budget of 1,500 tokens used (1,530 today, 1,020 of them held for answers "
        "still streaming). It resets at midnight UTC (in 5 h 13 min). Your prompt is kept."
    )


def test_a_round_that_would_pass_the_cost_budget_is_refused_with_what_it_may_cost():
    limits = Limits(cost_per_month_usd=1.0)
    window = UsageWindow(cost_this_month_usd=0.40, held_cost_usd=0.25)
    # $0.40 + $0.25 + $0.25 = $0.90 before the fourth column, under $1: it may start.
    assert check(limits, window, 3, NOW, [HOLD] * 3) is None
    # $0.40 + 3 × $0.25 = $1.15 before the fourth: refused.
    refusal = check(limits, window, 4, NOW, [HOLD] * 4)
    assert refusal is not None and refusal.limit == "cost_per_month_usd"
    assert refusal.message == (
        "Monthly cost budget of $1.00: $0.40 this month, estimated, $0.25 of it held for answers "
        "still streaming; these 4 answers may cost up to $1.00 together (each its prompt and its "
        "max completion tokens). Compare fewer models or lower max completion tokens, or wait: the "
        "budget resets on 1 August 2025 at 00:00 UTC (in 9 d 6 h). Your prompt is kept."
    )


def test_answers_sent_over_a_minute_ago_and_still_streaming_hold_their_place_in_the_rate():
    window = UsageWindow((ago(300), ago(90)))
    refusal = check(Limits(requests_per_minute=2), window, 1, NOW)
    assert refusal is not None and refusal.resets_at is None
    assert refusal.message == (
        "Rate limit: 2 requests per minute reached, counting the answers still streaming. "
        "Try again once one of them has ended. Your prompt is kept."
    )


def test_an_answer_without_reported_usage_is_recorded_as_an_estimate_never_as_zero():
    stopped = Message(role="assistant", model="o3", text="y" * 400, status=Status.STOPPED)
    outcome = outcome_of(stopped, {"o3": (2.0, 8.0)}, hold=HOLD)
    # The hold's 10 prompt tokens and 400 characters of text, 100 tokens: $0.00082.
    assert (outcome.usage, outcome.estimated) == (Usage(10, 100, 110), True)
    assert outcome.cost_usd == pytest.approx(0.00082)
    reported = Message(role="assistant", model="o3", text="y" * 400, usage=Usage(12, 95, 107))
    assert (outcome_of(reported, {}, hold=HOLD).usage, outcome_of(reported, {}, hold=HOLD).estimated) == (
        Usage(12, 95, 107),
        False,
    )
    refused = Message(role="assistant", model="o3", status=Status.FAILED)
    assert (outcome_of(refused, {}, hold=HOLD).usage, outcome_of(refused, {}, hold=HOLD).estimated) == (
        None,
        False,
    )


def test_the_request_log_csv_says_which_token_figures_are_estimates():
    def row(request_id: str, estimated: bool) -> RequestRow:
        return RequestRow(
            1, "ana", "ana@example.com", "Ana", NOW, "chat", "o3", "stopped",
            10, 100, 0, 0, 110, None, None, 1.5, request_id, None, estimated,
        )  # fmt: skip

    lines = requests_csv([row("r-1", True), row("r-2", False)]).splitlines()
    assert lines[0].endswith(",request_id,error_kind,tokens_estimated")
    assert [line.rsplit(",", 3)[1:] for line in lines[1:]] == [["r-1", "", "yes"], ["r-2", "", "no"]]
