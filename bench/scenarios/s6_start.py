"""S6: process start to `/_stcore/health`, and first paint (chat input visible)."""

from __future__ import annotations

import time

from bench.harness import APPS, Bench, StreamlitApp, brief, med, open_chat, out
from bench.report import TARGETS

MEASURED = APPS  # first paint loads ~90 scripts: the start command matters


def run(bench: Bench) -> None:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in MEASURED}
    for rep in range(bench.reps):
        for name in MEASURED if rep % 2 == 0 else reversed(MEASURED):
            app = StreamlitApp(name, bench.server, bench.workdir)
            try:
                app.start()
                context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
                started = time.monotonic()
                open_chat(context, app.url)
                paint_s = time.monotonic() - started
                context.close()
            finally:
                app.stop()
            assert app.health_s is not None
            samples[name].append({"health_s": app.health_s, "paint_s": paint_s})
            out(f"  S6 rep {rep + 1} {name}: {brief(samples[name][-1])}")
    health = {n: med(samples[n], "health_s") for n in MEASURED}
    paint = {n: med(samples[n], "paint_s") for n in MEASURED}
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
    bench.results["S6"] = {"samples": samples}
