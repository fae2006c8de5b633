"""S6: process start to `/_stcore/health`, first paint (chat input visible) for the first visitor,
and for a second one once a page has run (when app.py has tuned a server started with plain
`streamlit run`)."""

from __future__ import annotations

import http.client
import statistics
import time

from bench.harness import APPS, Bench, StreamlitApp, brief, med, open_chat, out
from bench.report import TARGETS

MEASURED = APPS  # first paint loads ~90 scripts: the start command matters


def _paint(bench: Bench, app: StreamlitApp) -> float:
    """Seconds from goto to the chat input visible, in a new browser context (an empty cache)."""
    context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        started = time.monotonic()
        open_chat(context, app.url)
        return time.monotonic() - started
    finally:
        context.close()


def _round_trip_ms(app: StreamlitApp, count: int = 20) -> float:
    """The median time of `GET /_stcore/health` repeated on one keep-alive connection. The server
    writes the headers and the body separately: with Nagle's algorithm on, the body waits for
    the client's delayed ACK of the headers (about 40 ms on Linux), every time."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/_stcore/health")
            connection.getresponse().read()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return statistics.median(times)


def run(bench: Bench) -> None:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in MEASURED}
    for rep in range(bench.reps):
        for name in MEASURED if rep % 2 == 0 else reversed(MEASURED):
            app = StreamlitApp(name, bench.server, bench.workdir)
            try:
                app.start()
                before_ms = _round_trip_ms(app)
                paint_s, second_s = _paint(bench, app), _paint(bench, app)
                after_ms = _round_trip_ms(app)
            finally:
                app.stop()
            assert app.health_s is not None
            samples[name].append(
                {
                    "health_s": app.health_s,
                    "paint_s": paint_s,
                    "second_paint_s": second_s,
                    "round_trip_before_ms": before_ms,
                    "round_trip_after_ms": after_ms,
                }
            )
            out(f"  S6 rep {rep + 1} {name}: {brief(samples[name][-1])}")
    health = {n: med(samples[n], "health_s") for n in MEASURED}
    paint = {n: med(samples[n], "paint_s") for n in MEASURED}
    second = {n: med(samples[n], "second_paint_s") for n in MEASURED}
    bench.row(
        "S6",
        "process start to /_stcore/health ok",
        "s",
        health,
        "ours <= 3 s",
        (ours_health := health["ours"]) is not None and ours_health <= TARGETS["S6.health_s"],
    )
    bench.row(
        "S6",
        "first paint: goto to chat input visible",
        "s",
        paint,
        "ours <= 2 s",
        (ours_paint := paint["ours"]) is not None and ours_paint <= TARGETS["S6.paint_s"],
    )
    bench.row("S6", "  first paint, a second visitor (info)", "s", second)
    for moment, key in (
        ("before any page ran", "round_trip_before_ms"),
        ("after a page ran", "round_trip_after_ms"),
    ):
        trips = {n: med(samples[n], key) for n in MEASURED}
        bench.row("S6", f"  keep-alive /_stcore/health round trip, {moment} (info)", "ms", trips)
    bench.results["S6"] = {"samples": samples}
