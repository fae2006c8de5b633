"""S1: the first word on screen, from the key press (200 ms before the gateway's first token),
against the floor started at the same moment; and where the time before the request goes."""

from __future__ import annotations

from bench.answer_text import make_answer
from bench.harness import Bench, floor_med, per_app
from bench.report import TARGETS

WORD_SHAPE = {"first_token_delay": 0.2, "chunk_delay": 0.005}
TARGET_APPS = ("ours", "ours_run")  # whichever way our app is started


def within(values: dict[str, float | None], limit: float, names: tuple[str, ...] = TARGET_APPS) -> bool:
    """Every named contender has a figure, and none is over the limit."""
    return all((value := values.get(name)) is not None and value <= limit for name in names)


def run(bench: Bench) -> None:
    answer = make_answer(60, seed=1)
    samples = bench.run_turns("S1", answer, WORD_SHAPE, timeout_s=30)
    firsts = {"floor": floor_med(samples, "first_s", 1000), **per_app(samples, "key_to_first_s", 1000)}
    bench.row("S1", "first word, from the key press", "ms", firsts)
    over = per_app(samples, "first_over_floor_s", 1000)
    limit = TARGETS["first_over_floor_ms"]
    bench.row(
        "S1",
        "first word, over the floor (paired)",
        "ms",
        over,
        f"ours <= {limit:.0f} ms, both starts",
        within(over, limit),
    )
    key_to_request = {
        "floor": floor_med(samples, "to_request_s", 1000),
        **per_app(samples, "key_to_request_s", 1000),
    }
    bench.row(
        "S1", "  key press to websocket message sent (info)", "ms", per_app(samples, "key_to_sent_s", 1000)
    )
    bench.row("S1", "  key press to request at the gateway (info)", "ms", key_to_request)
    after = {
        "floor": floor_med(samples, "first_after_receipt_s", 1000),
        **per_app(samples, "first_after_receipt_s", 1000),
    }
    bench.row("S1", "  first word after the gateway's receipt (info)", "ms", after)
    bench.row(
        "S1",
        "  first word after the gateway's first chunk (info)",
        "ms",
        per_app(samples, "first_after_first_chunk_s", 1000),
    )
    bench.row(
        "S1",
        "  floor's request started after the key press (info)",
        "ms",
        per_app(samples, "floor_start_after_key_s", 1000),
    )
    bench.results["S1"] = {"samples": samples, "first_over_floor_ms": over, "first_ms": firsts}
