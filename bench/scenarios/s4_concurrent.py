"""S4: 20 sessions stream at once against our app, versus one alone, each timed from its own
key press."""

from __future__ import annotations

import os
import time

from bench.answer_text import make_answer
from bench.frames import DeliveryClock
from bench.harness import (
    ERRORS_JS,
    Bench,
    arm_and_send,
    chromium_cpu_s,
    machine_busy_s,
    measure_app,
    median,
    new_prompt,
    open_chat,
    out,
    wait_final,
)
from bench.report import TARGETS
from bench.scenarios.s1_first_token import WORD_SHAPE


def run(bench: Bench) -> None:
    """Sessions stream at once, each in its own browser context (a user of its own, with its own
    cookies and renderer process, as separate people would be), all on this one machine."""
    sessions = 5 if bench.quick else 20
    words = 1000
    answer = make_answer(words, seed=4)
    app = bench.app("ours")
    bench.server.shape(answer, **WORD_SHAPE)
    timeout_s = 180.0
    singles: list[float] = []
    concurrent: list[float] = []
    delivered: list[float] = []  # the frame with the final text reached the browser, per session
    server_ends: list[float] = []  # when the gateway sent each concurrent stream's last chunk
    failures: list[str] = []
    # Where the CPU went while the sessions answered, from the first key press to the last word:
    # the browsers (every Chromium process), the server, and the whole machine.
    browsers_s: list[float] = []
    server_s: list[float] = []
    machine_s: list[float] = []
    walls: list[float] = []
    for rep in range(bench.reps):
        single = measure_app(bench, app, answer, timeout_s, with_floor=False)
        if "key_to_final_s" in single:
            singles.append(single["key_to_final_s"])
        else:
            failures.append(f"single: {single.get('error')}")
        contexts = [
            bench.browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(sessions)
        ]
        try:
            pages = [open_chat(context, app.url) for context in contexts]
            clocks = [DeliveryClock(page) for page in pages]
            prompts = [new_prompt(f"S4-{i}") for i in range(sessions)]
            browsers_before, server_before = chromium_cpu_s(), app.cpu_s()
            machine_before, wall_before = machine_busy_s(), time.monotonic()
            for page, prompt in zip(pages, prompts, strict=True):
                arm_and_send(page, prompt, answer)
            wall_minus_mono = time.time() - time.monotonic()
            for i, (page, prompt, clock) in enumerate(zip(pages, prompts, clocks, strict=True)):
                try:
                    seen = wait_final(page, timeout_s)
                except Exception as exc:  # a missing answer is a failure to report
                    failures.append(f"session {i}: no final text ({type(exc).__name__})")
                    continue
                request = bench.server.request_for(prompt)
                key, final = seen["key"], seen["final"]
                assert key is not None and final is not None  # resolved once the last line shows
                concurrent.append(final - key)
                key_mono = key - wall_minus_mono
                arrived = clock.last_before(final - wall_minus_mono + 0.001)
                if arrived is not None:
                    delivered.append(arrived - key_mono)
                if "last_chunk_mono" in request:
                    server_ends.append(request["last_chunk_mono"] - key_mono)
                if request.get("status") != 200 or request.get("disconnected"):
                    failures.append(f"session {i}: gateway status {request.get('status')}")
                if page.evaluate(ERRORS_JS):
                    failures.append(f"session {i}: error shown in the page")
            walls.append(time.monotonic() - wall_before)
            server_s.append(app.cpu_s() - server_before)
            machine_s.append(machine_busy_s() - machine_before)
            browsers_s.append(chromium_cpu_s() - browsers_before)
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
    limit = TARGETS["S4.slowdown"]
    bench.row("S4", f"{sessions} sessions all complete, no errors", "ok", {"ours": float(complete)})
    bench.row("S4", f"key press to last word ({words} words), single session", "s", {"ours": single_med})
    bench.row(
        "S4", "  gateway sent the last chunk, median of concurrent (info)", "s", {"ours": median(server_ends)}
    )
    bench.row(
        "S4",
        "  final text received by the browser, median of concurrent (info)",
        "s",
        {"ours": median(delivered)},
    )
    browsers, server = median(browsers_s), median(server_s)
    bench.row("S4", "  browsers' CPU while answering, all sessions (info)", "s", {"ours": browsers})
    bench.row("S4", "  server CPU while answering, all sessions (info)", "s", {"ours": server})
    cores = os.cpu_count() or 1
    busy = [used / wall for used, wall in zip(machine_s, walls, strict=True)]
    label = f"  machine CPU busy while answering, of {cores} cores (info)"
    bench.row("S4", label, "cores", {"ours": median(busy)})
    if single_med and browsers is not None and server is not None:
        # What the browsers and the server used, spread over the target's time: more cores than
        # the machine has and no server could make the target here.
        needed = (browsers + server) / (limit * single_med)
        label = f"  cores browsers + server need to finish in {limit}x single (info)"
        bench.row("S4", label, "cores", {"ours": needed})
    bench.row(
        "S4",
        f"key press to last word drawn, median of {sessions} concurrent",
        "s",
        {"ours": conc_med},
        f"<= {limit}x single, all complete",
        complete and slowdown is not None and slowdown <= limit,
        f"x{slowdown:.2f} of single" if slowdown else "",
    )
    bench.results["S4"] = {
        "sessions": sessions,
        "words": words,
        "single_s": singles,
        "concurrent_s": concurrent,
        "delivered_s": delivered,
        "server_end_s": server_ends,
        "failures": failures,
        "slowdown": slowdown,
        "browsers_cpu_s": browsers_s,
        "server_cpu_s": server_s,
        "machine_busy_s": machine_s,
        "wall_s": walls,
    }
