"""Streaming benchmark: the raw client (floor), the tutorial chatbot (reference) and our app.

Run from the repository root: `.venv/bin/python -m bench.run [--reps 3] [--quick] [--only S1,S2]`.
The bench's own OpenAI-compatible server (bench/sse_server.py) and the floor client
(bench/floor.py) run in their own processes; each app runs on a free port (ours both through
serve.py, as scripts/start.sh deploys it, and under plain `streamlit run app.py`; the reference
under `streamlit run`) and is driven in headless Chromium. App times start at the key press,
recorded in the page; the floor's request starts at that same moment.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.harness import ROOT, SESSION_TTL_S, Bench, BenchServer, Floor, baseline_checkout, out
from bench.report import TARGETS, machine, table, write_json
from bench.scenarios import SCENARIOS
from devtools.browser import CHROMIUM, CHROMIUM_ARGS

RESULTS = ROOT / "bench" / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (median reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, fewer sessions")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run, e.g. S1,S2")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--baseline",
        default="",
        help="a git revision to run as the `main` app beside ours in S8 (exported under the cache)",
    )
    args = parser.parse_args(argv)
    reps = 1 if args.quick else args.reps
    chosen = [s.strip().upper() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}: choose from {','.join(SCENARIOS)}")
    started = time.time()
    load_at_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="gptproto-bench-"))
    out(
        f"GPTProto chat benchmark: {reps} repetition(s), scenarios {','.join(chosen)}, scratch {workdir}, "
        f"load average {load_at_start[0]:.1f} on {os.cpu_count()} CPUs"
    )
    server = BenchServer()
    floor = Floor(server.base_url)
    errors: dict[str, str] = {}
    bench: Bench | None = None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            baseline = baseline_checkout(args.baseline) if args.baseline else None
            bench = Bench(server, floor, browser, workdir, reps, args.quick, baseline)
            try:
                for name in chosen:
                    out(f"{name}…")
                    t0 = time.monotonic()
                    try:
                        SCENARIOS[name](bench)
                    except Exception as exc:  # one broken scenario must not hide the others
                        errors[name] = f"{type(exc).__name__}: {exc}"
                        out(f"  {name} failed: {errors[name]}")
                    out(f"  ({time.monotonic() - t0:.0f} s)")
            finally:
                for app in bench.apps.values():
                    app.stop()
                browser.close()
    finally:
        floor.stop()
        server.stop()
    out()
    rows = bench.rows if bench else []
    out(table(rows))
    for name, error in errors.items():
        out(f"{name}: ERROR {error}")
    report = {
        "command": shlex.join([sys.executable, "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": time.time() - started,
        "machine": machine(),
        "settings": {
            "reps": reps,
            "baseline": args.baseline or None,
            "quick": args.quick,
            "scenarios": chosen,
            "disconnected_session_ttl_s": SESSION_TTL_S,
            "loadavg_at_start": load_at_start,
            "targets": TARGETS,
        },
        "rows": rows,
        "scenarios": bench.results if bench else {},
        "errors": errors,
    }
    write_json(args.output, report)
    out(f"\nwrote {args.output}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
