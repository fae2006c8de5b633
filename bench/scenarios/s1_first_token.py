"""S1: time to the first visible token (200 ms before the gateway's first token)."""

from __future__ import annotations

from bench.answer_text import make_answer
from bench.harness import APPS, CONTENDERS, Bench, med
from bench.report import TARGETS
from devtools.standin import Reply


def run(bench: Bench) -> None:
    answer = make_answer(60, seed=1)
    reply = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    samples = bench.run_turns("S1", answer, reply, timeout_s=30)
    floor, ref, ours = (med(samples[n], "first_s", 1000) for n in CONTENDERS)
    overhead = ours - floor if ours is not None and floor is not None else None
    passed = (
        overhead is not None
        and overhead <= TARGETS["S1.overhead_ms"]
        and (ref is None or (ours is not None and ours < ref))
    )
    bench.row(
        "S1",
        "first visible token after receipt",
        "ms",
        floor,
        ref,
        ours,
        "ours-floor <= 50 ms and < reference",
        passed,
    )
    send = [med(samples[n], "send_to_request_s", 1000) for n in APPS]
    bench.row("S1", "Enter to request at the stand-in (info)", "ms", None, send[0], send[1])
    bench.results["S1"] = {"samples": samples, "median_ms": {"floor": floor, "reference": ref, "ours": ours}}
