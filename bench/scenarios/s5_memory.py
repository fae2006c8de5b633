"""S5: server RSS (process and children) at baseline, with idle sessions open, and after they
close and expire."""

from __future__ import annotations

import time

from bench.answer_text import make_answer
from bench.harness import (
    SESSION_TTL_S,
    Bench,
    StreamlitApp,
    brief,
    measure_app,
    open_chat,
    out,
)
from bench.report import TARGETS

MEASURED = ("reference", "ours")  # the start command makes no difference to memory


def _evict_and_measure(bench: Bench, app: StreamlitApp) -> float:
    """Wait out the session TTL, then connect and leave once: Streamlit drops expired
    sessions lazily, when another disconnected session is stored."""
    time.sleep(SESSION_TTL_S + 1.5)
    context = bench.browser.new_context()
    open_chat(context, app.url)
    context.close()
    time.sleep(3)
    return app.rss_mb()


def run(bench: Bench) -> None:
    sessions = 20 if bench.quick else 100
    warm = make_answer(40, seed=5)
    bench.server.shape(warm)
    figures: dict[str, dict[str, float]] = {}
    for name in MEASURED:
        app = StreamlitApp(name, bench.server, bench.workdir).start()
        try:
            measure_app(bench, app, warm, 60, with_floor=False)  # warm up
            baseline = _evict_and_measure(bench, app)
            context = bench.browser.new_context(viewport={"width": 1024, "height": 700})
            for _ in range(sessions):
                open_chat(context, app.url)
            time.sleep(3)
            loaded = app.rss_mb()
            context.close()
            after = _evict_and_measure(bench, app)
        finally:
            app.stop()
        figures[name] = {
            "baseline_mb": baseline,
            "open_mb": loaded,
            "per_session_mb": (loaded - baseline) / sessions,
            "after_mb": after,
            "after_over_baseline": after / baseline,
        }
        out(f"  S5 {name}: {brief(figures[name])}")
    ref, ours = figures.get("reference", {}), figures.get("ours", {})
    bench.row(
        "S5",
        "server RSS at baseline (warmed up)",
        "MB",
        {"reference": ref.get("baseline_mb"), "ours": ours.get("baseline_mb")},
    )
    bench.row(
        "S5",
        f"RSS per idle session ({sessions} open)",
        "MB",
        {"reference": ref.get("per_session_mb"), "ours": ours.get("per_session_mb")},
        "ours <= 3 MB",
        ours.get("per_session_mb", 99) <= TARGETS["S5.mb_per_session"],
    )
    bench.row(
        "S5",
        f"RSS after closing + {SESSION_TTL_S} s TTL, / baseline",
        "x",
        {"reference": ref.get("after_over_baseline"), "ours": ours.get("after_over_baseline")},
        "ours <= 1.2x",
        ours.get("after_over_baseline", 99) <= TARGETS["S5.recovery"],
        f"ours {ours.get('after_mb', 0):.0f} MB after",
    )
    bench.results["S5"] = {"sessions": sessions, "ttl_s": SESSION_TTL_S, "figures": figures}
