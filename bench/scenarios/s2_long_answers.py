"""S2: 2,000- and 8,000-word markdown answers, one word per chunk every 5 ms: when the last word
shows, from the key press, against the floor's last chunk; and websocket bytes per answer byte."""

from __future__ import annotations

from typing import Any

from bench.answer_text import make_answer
from bench.harness import Bench, floor_med, per_app
from bench.report import TARGETS
from bench.scenarios.s1_first_token import WORD_SHAPE, within


def run(bench: Bench) -> None:
    for words in (2000, 8000):
        long_answer(bench, words)


def long_answer(bench: Bench, words: int) -> None:
    answer = make_answer(words, seed=2)
    label = f"S2-{words // 1000}k"
    samples = bench.run_turns(label, answer, WORD_SHAPE, timeout_s=max(120.0, words * 0.005 * 4))
    report_stream(bench, label, answer, samples, words)


def report_stream(
    bench: Bench, label: str, answer: str, samples: dict[str, list[dict[str, Any]]], chunks: int | None
) -> None:
    """The rows of one streamed answer: last and first word over the floor, bytes and frames."""
    size = len(answer.encode())
    finals = {"floor": floor_med(samples, "last_s", 1000), **per_app(samples, "key_to_final_s", 1000)}
    bench.row(label, "last word, from the key press (floor: last chunk)", "ms", finals)
    over = per_app(samples, "final_over_floor_s", 1000)
    limit = TARGETS["final_over_floor_ms"]
    apps = tuple(name for name in ("ours", "ours_run") if name in samples)
    bench.row(
        label,
        "last word, over the floor's last chunk (paired)",
        "ms",
        over,
        f"ours <= {limit:.0f} ms",
        within(over, limit, apps),
    )
    first_over = per_app(samples, "first_over_floor_s", 1000)
    first_limit = TARGETS["first_over_floor_ms"]
    bench.row(
        label,
        "first word, over the floor (paired)",
        "ms",
        first_over,
        f"ours <= {first_limit:.0f} ms",
        within(first_over, first_limit, apps),
    )
    bench.row(
        label,
        "  last word after the gateway's last chunk (info)",
        "ms",
        per_app(samples, "final_after_last_chunk_s", 1000),
    )
    for name, turns in samples.items():
        note = _timeouts(turns)
        if note:
            bench.row(label, f"{name}: {note}", "", {})
    ratios = per_app(samples, "ws_bytes", 1 / size)
    ratio_limit = TARGETS["bytes_ratio"]
    bench.row(
        label,
        f"websocket bytes / answer bytes ({size} B), key to last word",
        "x",
        {"floor": 1.0, **ratios},
        f"ours <= {ratio_limit:.0f}x",
        within(ratios, ratio_limit, apps),
    )
    settled = per_app(samples, "ws_bytes_settled", 1 / size)
    bench.row(
        label, "  websocket bytes / answer bytes until the run ends (info)", "x", {"floor": 1.0, **settled}
    )
    frames = per_app(samples, "ws_frames")
    bench.row(
        label,
        "  websocket frames, key to last word (info)",
        "n",
        {"floor": float(chunks) if chunks else None, **frames},
    )
    bench.results[label] = {
        "answer_bytes": size,
        "samples": samples,
        "median": {"final_ms": finals, "final_over_floor_ms": over, "bytes_ratio": ratios},
    }


def _timeouts(samples: list[dict[str, Any]]) -> str:
    """A note for runs that never showed the final text (their bytes so far are a lower bound)."""
    late = [s for s in samples if "timed_out_s" in s]
    if not late:
        return ""
    most = max(s["ws_bytes_so_far"] for s in late)
    return (
        f"{len(late)}/{len(samples)} runs showed no final text within {late[0]['timed_out_s']:.0f} s "
        f"({most / 1e6:.1f} MB of websocket frames by then)"
    )
