"""S2: 2,000- and 8,000-word markdown answers, one word per chunk every 5 ms: how long after the
floor's last chunk the final text shows, and websocket bytes per answer byte."""

from __future__ import annotations

from typing import Any

from bench.answer_text import make_answer
from bench.harness import APPS, Bench, med
from bench.report import TARGETS
from devtools.standin import Reply


def run(bench: Bench) -> None:
    for words in (2000, 8000):
        long_answer(bench, words)


def long_answer(bench: Bench, words: int) -> None:
    answer = make_answer(words, seed=2)
    size = len(answer.encode())
    reply = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    label = f"S2-{words // 1000}k"
    samples = bench.run_turns(label, answer, reply, timeout_s=max(120.0, words * 0.005 * 4))
    floor_last = med(samples["floor"], "last_s", 1000)
    finals = {n: med(samples[n], "final_s", 1000) for n in APPS}
    lags = {
        n: (v - floor_last if v is not None and floor_last is not None else None) for n, v in finals.items()
    }
    bench.row(
        label,
        f"last chunk / final text in DOM ({words} words)",
        "ms",
        floor_last,
        finals["reference"],
        finals["ours"],
    )
    ours_lag = lags["ours"]
    bench.row(
        label,
        "lag of final text after floor's last chunk",
        "ms",
        0.0 if floor_last is not None else None,
        lags["reference"],
        ours_lag,
        "ours <= 150 ms",
        ours_lag is not None and ours_lag <= TARGETS["S2.lag_ms"],
    )
    own = {n: med(samples[n], "final_after_stream_end_s", 1000) for n in APPS}
    bench.row(
        label,
        "final text after the stand-in ended the same stream (info)",
        "ms",
        0.0,
        own["reference"],
        own["ours"],
    )
    timeouts = {n: _timeouts(samples[n]) for n in APPS}
    for n, note in timeouts.items():
        if note:
            bench.row(label, f"{n}: {note}", "", None, None, None)
    ratios = {n: med(samples[n], "ws_bytes", 1 / size) for n in APPS}
    ours_ratio = ratios["ours"]
    bench.row(
        label,
        f"websocket bytes / answer bytes ({size} B), send to final text",
        "x",
        1.0,
        ratios["reference"],
        ours_ratio,
        "ours <= 3x",
        ours_ratio is not None and ours_ratio <= TARGETS["S2.bytes_ratio"],
    )
    settled = {n: med(samples[n], "ws_bytes_settled", 1 / size) for n in APPS}
    frames = {n: med(samples[n], "ws_frames") for n in APPS}
    bench.row(
        label,
        "websocket bytes / answer bytes until the run ends (info)",
        "x",
        1.0,
        settled["reference"],
        settled["ours"],
    )
    bench.row(
        label,
        "websocket frames, send to final text (info)",
        "n",
        float(words),
        frames["reference"],
        frames["ours"],
    )
    bench.results[label] = {
        "answer_bytes": size,
        "samples": samples,
        "median": {"floor_last_ms": floor_last, "final_ms": finals, "lag_ms": lags, "bytes_ratio": ratios},
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
