import random

import pytest

from core.compare import (
    TIE,
    ColumnRound,
    ColumnSetup,
    CompareRound,
    Vote,
    blind_order,
    column_setups,
    leaderboard,
    summary_rows,
    validate_columns,
)
from core.conversation import Message, Status, Timing, Usage
from core.gateway.errors import classify_status
from core.report import report_html, report_markdown
from core.sampling import Sampling

PRICES = {"gpt-4o": (2.5, 10.0), "o3": (2.0, 8.0)}


def _answer(model, text, usage, first, total, status=Status.COMPLETE):
    return Message(
        role="assistant", model=model, text=text, usage=usage, status=status, timing=Timing(first, total)
    )


def test_column_rules():
    high, low = (
        ColumnSetup("o3", Sampling(reasoning_effort="high")),
        ColumnSetup("o3", Sampling(reasoning_effort="low")),
    )
    assert validate_columns([high, low]) == [high, low]
    assert [high.name, low.name] == ["o3 (effort high)", "o3 (effort low)"]
    assert ColumnSetup("gpt-4o").name == "gpt-4o"
    with pytest.raises(ValueError, match=r"Pick 2 to 4 models to compare \(now 1 column\)"):
        validate_columns([ColumnSetup("o3")])
    with pytest.raises(ValueError, match="2 to 4"):
        validate_columns([ColumnSetup(model) for model in "abcde"])
    with pytest.raises(ValueError, match="same model with the same parameters"):
        validate_columns([high, ColumnSetup("o3", Sampling(reasoning_effort="high"))])


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
    assert rows == [
        {
            "model": "gpt-4o",
            "status": "complete",
            "first token (s)": 0.25,
            "total (s)": 1.25,
            "tokens/s": 20.0,  # 20 completion tokens over the 1.0 s after the first token
            "prompt tokens": 10,
            "completion tokens": 20,
            "reasoning tokens": 0,
            "cached tokens": 2,
            "cost (USD, est.)": 0.000225,  # 10 × $2.5 + 20 × $10 per million tokens
            "vote": "winner",
        },
        {
            "model": "o3",
            "status": "failed",
            "first token (s)": None,
            "total (s)": 0.1,
            "tokens/s": None,
            "prompt tokens": None,
            "completion tokens": None,
            "reasoning tokens": None,
            "cached tokens": None,
            "cost (USD, est.)": None,
            "vote": "",
        },
    ]


HEADER = (
    "| model | status | first token (s) | total (s) | tokens/s | prompt tokens | completion tokens "
    "| reasoning tokens | cached tokens | cost (USD, est.) | vote |"
)
GPT_4O_ROW = ["gpt-4o", "complete", "0.25", "1.25", "20.0", "10", "20", "0", "2", "0.000225", "winner"]
O3_ROW = ["o3", "failed", "–", "0.1", "–", "–", "–", "–", "–", "–", "–"]


def test_markdown_export_has_the_table_and_every_answer():
    rounds = [CompareRound("What is the capital of France? <b>", _columns(), winner="gpt-4o")]
    lines = report_markdown("Demo", rounds, PRICES).splitlines()
    assert lines[:6] == ["# Demo", "", "## Round 1", "", "**Prompt**", ""]
    assert lines[6] == "> What is the capital of France? <b>"
    table = lines[lines.index(HEADER) :][:4]
    assert table == [
        HEADER,
        "|---|---|---|---|---|---|---|---|---|---|---|",
        "| " + " | ".join(GPT_4O_ROW) + " |",
        "| " + " | ".join(O3_ROW) + " |",
    ]
    answers = lines[lines.index("### gpt-4o") :]
    assert answers[:7] == [
        "### gpt-4o",
        "",
        "Paris is the capital.",
        "",
        "### o3",
        "",
        "> **Rate limited by the gateway**: Too many requests. Try again in a little while.",
    ]
    assert lines[-1] == (
        "_Costs are estimates, not a bill, from the configured prices (USD per million input/output "
        "tokens): gpt-4o $2.5/$10; o3 $2/$8._"
    )


def test_html_export_has_the_same_rows_and_escapes_the_text():
    rounds = [CompareRound("What is the capital of France? <b>", _columns(), winner="gpt-4o")]
    page = report_html("Demo", rounds, PRICES)
    assert page.startswith("<!doctype html>")
    assert "<pre>What is the capital of France? &lt;b&gt;</pre>" in page
    for row in (GPT_4O_ROW, O3_ROW):
        assert "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" in page
    assert "<div><h3>gpt-4o</h3><pre>Paris is the capital.</pre></div>" in page
    assert (
        "<p><b>Rate limited by the gateway</b>: Too many requests. Try again in a little while.</p>" in page
    )


def test_blind_labels_follow_the_order():
    round_ = CompareRound("q", _columns(), order=[1, 0])
    assert round_.label_of(1) == "A" and round_.label_of(0) == "B"
    assert not round_.voted
    round_.winner = TIE
    assert round_.voted


def test_each_effort_and_temperature_picked_for_a_model_is_a_column_of_its_own():
    names = [setup.name for setup in column_setups("o3", ["high", "low"], [])]
    assert names == ["o3 (effort high)", "o3 (effort low)"]
    names = [setup.name for setup in column_setups("gpt-4o", [], [0.0, 1.0])]
    assert names == ["gpt-4o (temperature 0)", "gpt-4o (temperature 1)"]
    assert column_setups("gpt-4o", [], []) == [ColumnSetup("gpt-4o")]
    both = column_setups("o3", ["low"], [0.5])
    assert both == [ColumnSetup("o3", Sampling(reasoning_effort="low", temperature=0.5))]
