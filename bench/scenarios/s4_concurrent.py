"""S4: 20 sessions stream at once against our app, versus one alone."""

from __future__ import annotations

import time

from bench.answer_text import make_answer
from bench.frames import DeliveryClock
from bench.harness import (
    ERRORS_JS,
    Bench,
    arm_and_send,
    measure_app,
    median,
    new_prompt,
    open_chat,
    out,
    request_for,
    wait_final,
)
from bench.report import TARGETS
from devtools.standin import Reply


def run(bench: Bench) -> None:
    """Sessions stream at once, each in its own browser context (a user of its own, with its own
    cookies and renderer process, as separate people would be), all on this one machine."""
    sessions = 5 if bench.quick else 20
    words = 1000
    answer = make_answer(words, seed=4)
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    app = bench.app("ours")
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    timeout_s = 180.0
    singles: list[float] = []
    concurrent: list[float] = []
    delivered: list[float] = []  # the frame with the final text reached the browser, per session
    stand_in_ends: list[float] = []  # when the stand-in finished sending each concurrent stream
    failures: list[str] = []
    for rep in range(bench.reps):
        single = measure_app(bench.browser, app, bench.standin, answer, timeout_s)
        if "final_s" in single:
            singles.append(single["final_s"])
        else:
            failures.append(f"single: {single.get('error')}")
        contexts = [
            bench.browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(sessions)
        ]
        try:
            pages = [open_chat(context, app.url) for context in contexts]
            clocks = [DeliveryClock(page) for page in pages]
            prompts = [new_prompt(f"S4-{i}") for i in range(sessions)]
            for page, prompt in zip(pages, prompts, strict=True):
                arm_and_send(page, prompt, answer)
            for i, (page, prompt, clock) in enumerate(zip(pages, prompts, clocks, strict=True)):
                try:
                    seen = wait_final(page, timeout_s)
                except Exception as exc:  # a missing answer is a failure to report
                    failures.append(f"session {i}: no final text ({type(exc).__name__})")
                    continue
                request = request_for(bench.standin, prompt)
                final = seen["final"]
                assert final is not None  # wait_final resolves once the last line shows
                concurrent.append(final - request.received_wall)
                shown_at = final - (time.time() - time.monotonic())  # the page's clock, as monotonic
                arrived = clock.last_before(shown_at + 0.001)
                if arrived is not None:
                    delivered.append(arrived - request.received_at)
                if request.finished_at is not None:
                    stand_in_ends.append(request.finished_at - request.received_at)
                if request.response_status != 200 or request.client_disconnected:
                    failures.append(f"session {i}: stand-in status {request.response_status}")
                if page.evaluate(ERRORS_JS):
                    failures.append(f"session {i}: error shown in the page")
        finally:
            for context in contexts:
                context.close()
        out(
            f"  S4 rep {rep + 1}: single {singles[-1] if singles else None}, "
            f"concurrent median {median(concurrent)}, delivered median {median(delivered)}, "
            f"failures {len(failures)}"
        )
    single_med, conc_med = median(singles), median(concurrent)
    slowdown = conc_med / single_med if conc_med and single_med else None
    complete = len(concurrent) == sessions * bench.reps and not failures
    bench.row("S4", f"{sessions} sessions all complete, no errors", "ok", None, None, float(complete))
    bench.row("S4", f"stream duration ({words} words), single session", "s", None, None, single_med)
    bench.row(
        "S4", "stand-in finished sending, median of concurrent (info)", "s", None, None, median(stand_in_ends)
    )
    bench.row(
        "S4",
        "final text received by the browser, median of concurrent (info)",
        "s",
        None,
        None,
        median(delivered),
    )
    bench.row(
        "S4",
        f"stream duration (final text drawn), median of {sessions} concurrent",
        "s",
        None,
        None,
        conc_med,
        "<= 1.5x single, all complete",
        complete and slowdown is not None and slowdown <= TARGETS["S4.slowdown"],
        f"x{slowdown:.2f} of single" if slowdown else "",
    )
    bench.results["S4"] = {
        "sessions": sessions,
        "words": words,
        "single_s": singles,
        "concurrent_s": concurrent,
        "delivered_s": delivered,
        "stand_in_end_s": stand_in_ends,
        "failures": failures,
        "slowdown": slowdown,
    }
