import random

import pytest

from core.compare import (
    TIE,
    ColumnRound,
    CompareRound,
    Vote,
    blind_order,
    estimate_cost,
    format_cost,
    leaderboard,
    summary_rows,
    validate_models,
)
from core.conversation import Message, Status, Timing, Usage
from core.errors import classify_status
from core.report import report_html, report_markdown

PRICES = {"gpt-4o": (2.5, 10.0), "o3": (2.0, 8.0)}


def _answer(model, text, usage, first, total, status=Status.COMPLETE):
    return Message(
        role="assistant", model=model, text=text, usage=usage, status=status, timing=Timing(first, total)
    )


def test_cost_from_prices():
    cost = estimate_cost("gpt-4o", Usage(prompt_tokens=1_000, completion_tokens=2_000), PRICES)
    assert cost is not None and cost.usd == pytest.approx((1_000 * 2.5 + 2_000 * 10) / 1e6)
    assert "est." in format_cost(cost) and "2.5" in format_cost(cost)
    assert estimate_cost("unknown", Usage(prompt_tokens=1), PRICES) is None
    assert format_cost(None) == "no price set"
    assert estimate_cost("gpt-4o", None, PRICES) is None


def test_model_selection_rules():
    assert validate_models(["o3", " gpt-4o "]) == ["o3", "gpt-4o"]
    with pytest.raises(ValueError, match="2 to 4"):
        validate_models(["o3"])
    with pytest.raises(ValueError, match="2 to 4"):
        validate_models(["a", "b", "c", "d", "e"])
    with pytest.raises(ValueError, match="duplicate"):
        validate_models(["o3", "o3"])


def test_blind_order_is_a_permutation_and_varies():
    orders = {tuple(blind_order(4, random.Random(seed))) for seed in range(30)}
    assert all(sorted(order) == [0, 1, 2, 3] for order in orders)
    assert len(orders) > 5


def test_leaderboard_counts_wins_ties_and_rounds():
    votes = [
        Vote(("o3", "gpt-4o"), "o3"),
        Vote(("o3", "gpt-4o", "o4-mini"), "gpt-4o"),
        Vote(("o3", "gpt-4o"), "o3"),
        Vote(("o3", "o4-mini"), TIE),
    ]
    table = {s.model: s for s in leaderboard(votes)}
    assert (table["o3"].wins, table["o3"].ties, table["o3"].rounds) == (2, 1, 4)
    assert (table["gpt-4o"].wins, table["gpt-4o"].rounds) == (1, 3)
    assert (table["o4-mini"].wins, table["o4-mini"].ties) == (0, 1)
    assert leaderboard(votes)[0].model == "o3"
    assert table["o3"].win_rate == 0.5


def _columns():
    ok = _answer("gpt-4o", "Paris is the capital.", Usage(10, 20, 30, 0, 2), 0.25, 1.25)
    failed = _answer("o3", "", None, None, 0.1, status=Status.FAILED)
    failed.error = classify_status(429, "slow down")
    return [ColumnRound("gpt-4o", ok), ColumnRound("o3", failed)]


def test_summary_rows_carry_each_models_metrics():
    rows = summary_rows(_columns(), PRICES, winner="gpt-4o")
    first, second = rows
    assert first["model"] == "gpt-4o" and first["tokens/s"] == 20.0 and first["vote"] == "winner"
    assert first["cost (USD, est.)"] == pytest.approx((10 * 2.5 + 20 * 10) / 1e6, rel=1e-3)
    assert second["status"] == "failed" and second["prompt tokens"] is None and second["vote"] == ""


def test_reports_contain_every_answer_and_metric():
    rounds = [CompareRound("What is the capital of France? <b>", _columns(), winner="gpt-4o")]
    markdown = report_markdown("Demo", rounds, PRICES)
    for fragment in ("# Demo", "Paris is the capital.", "gpt-4o", "o3", "Rate limited", "20.0", "winner"):
        assert fragment in markdown
    page = report_html("Demo", rounds, PRICES)
    assert "Paris is the capital." in page
    assert "What is the capital of France? &lt;b&gt;" in page
    assert page.startswith("<!doctype html>") and "Rate limited" in page


def test_blind_labels_follow_the_order():
    round_ = CompareRound("q", _columns(), order=[1, 0])
    assert round_.label_of(1) == "A" and round_.label_of(0) == "B"
    assert not round_.voted
    round_.winner = TIE
    assert round_.voted
