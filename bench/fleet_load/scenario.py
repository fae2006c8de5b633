"""How many people streaming answers at once one replica holds, and two behind Caddy.

`python -m bench.fleet_load [--quick]` (from the repository root, with the project's virtualenv):

1. starts the stand-in gateway in its own process: every prompt gets the same 300-word markdown
   answer (`bench/answer_text.py`), one word per chunk every 10 ms, first token after 200 ms;
2. one replica (serve.py on loopback, a fresh PostgreSQL database on 127.0.0.1:5432, or SQLite when
   none answers): after a warm-up, the median of a few single sessions (submit to final text) is
   the reference; then rounds of N concurrent sessions (Locust users speaking Streamlit's
   protocol, `bench.fleet_load.user`): all open the chat page, all submit a prompt at the same
   moment, each times its answer; a round *holds* when every answer arrived whole, without an
   error, and the median is at most 1.5x the single-session reference. Sizes go up until a size
   fails twice in a row, then halve the gap to the last size that held;
3. `scripts/fleet.sh 2` (PostgreSQL, two replicas, Caddy) and the same ramp through the proxy,
   against the same reference;
4. prints a table and the command, and writes every round to bench/results/fleet_load.json.

Server CPU is the replicas' utime+stime (/proc/<pid>/stat) over a round, per answer; Caddy's is
reported apart. Bytes are the websocket frames the client received. Each session is its own
person by default (an `X-Forwarded-Email` identity, as behind an authenticating proxy), so each
has its own conversations, as a team would.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import locust
import streamlit
from locust.env import Environment

from bench.answer_text import last_line
from bench.fleet_load.servers import (
    CLOCK_TICKS,
    ROOT,
    Database,
    FleetProcess,
    Replica,
    SetupError,
    StandInProcess,
    cpu_seconds,
    load_average,
    machine_jiffies,
    postgres_available,
    refuse_local_secrets,
)
from bench.fleet_load.standin import answer_text
from bench.fleet_load.user import ChatUser, Round, SessionResult

RESULTS = ROOT / "bench" / "results" / "fleet_load.json"
IDENTITY_HEADER = "X-Forwarded-Email"
SLOWDOWN = 1.5  # a size holds while its median is at most this times the single session's
GOAL_RATIO = 1.6  # two replicas behind Caddy should hold this many times one replica's count
FULL_LEVELS = (8, 16, 24, 32, 40, 48, 64, 80, 96)
QUICK_LEVELS = (4, 8)


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- where the load goes ----------------------------------------------------------------------


@dataclass
class Target:
    """A URL to load and the server processes whose CPU time counts."""

    name: str
    url: str
    servers: dict[str, int]  # label: pid
    proxy_pid: int | None = None

    def cpu(self) -> dict[str, float]:
        sample = {label: cpu_seconds(pid) for label, pid in self.servers.items()}
        if self.proxy_pid:
            sample["proxy"] = cpu_seconds(self.proxy_pid)
        return sample


@dataclass
class Plan:
    """What every round sends and expects."""

    text: str
    final_line: str
    standin: StandInProcess
    identities: bool
    open_timeout: float = 60.0
    answer_timeout: float = 120.0
    rounds: int = 0

    def new_round(self, size: int) -> Round:
        self.rounds += 1
        number = self.rounds

        def headers_for(index: int) -> dict[str, str]:
            if not self.identities:
                return {}
            return {IDENTITY_HEADER: f"load-{number}-{index}@example.com"}

        return Round(
            size,
            self.text,
            self.final_line,
            open_timeout=self.open_timeout,
            answer_timeout=self.answer_timeout,
            headers_for=headers_for,
        )


@dataclass
class Snapshot:
    at: float
    cpu: dict[str, float]
    generator: float  # this process: the Locust users
    standin: float
    machine: tuple[int, int]

    @classmethod
    def take(cls, target: Target, standin_pid: int | None) -> Snapshot:
        times = os.times()
        gateway = cpu_seconds(standin_pid) if standin_pid else 0.0
        return cls(time.monotonic(), target.cpu(), times.user + times.system, gateway, machine_jiffies())


def _cpu_delta(a: Snapshot, b: Snapshot) -> dict[str, float]:
    return {label: b.cpu[label] - a.cpu[label] for label in a.cpu}


def _busy(a: Snapshot, b: Snapshot) -> float | None:
    busy, total = b.machine[0] - a.machine[0], b.machine[1] - a.machine[1]
    return busy / total if total else None


def _rest(a: Snapshot, b: Snapshot) -> float | None:
    """The share of the machine's CPU time used by everything but the replicas, the proxy, the
    stand-in and the load generator: PostgreSQL, and whatever else runs on the machine."""
    busy, total = b.machine[0] - a.machine[0], b.machine[1] - a.machine[1]
    if not total:
        return None
    ours = sum(_cpu_delta(a, b).values()) + (b.generator - a.generator) + (b.standin - a.standin)
    return max(0.0, busy / CLOCK_TICKS - ours) / (total / CLOCK_TICKS)


# -- one round --------------------------------------------------------------------------------


def run_round(target: Target, size: int, plan: Plan) -> dict[str, Any]:
    """`size` Locust users open the page, submit together, and read their answers."""
    round_ = plan.new_round(size)
    user_class = type("ChatUser", (ChatUser,), {"round": round_, "host": target.url})
    environment = Environment(user_classes=[user_class], host=target.url)
    runner = environment.create_local_runner()
    gateway_before = plan.standin.counts()
    standin_pid = plan.standin.process.pid if plan.standin.process else None
    before = Snapshot.take(target, standin_pid)
    runner.start(size, spawn_rate=size)
    round_.go.wait(timeout=2 * plan.open_timeout + 10)
    opened = Snapshot.take(target, standin_pid)
    round_.done.wait(timeout=plan.answer_timeout + 30)
    after = Snapshot.take(target, standin_pid)
    runner.quit()
    gateway_after = plan.standin.counts()
    return summarise(
        target, size, round_, runner, environment, (before, opened, after), gateway_before, gateway_after
    )


def summarise(
    target: Target,
    size: int,
    round_: Round,
    runner: Any,
    environment: Environment,
    snapshots: tuple[Snapshot, Snapshot, Snapshot],
    gateway_before: dict[str, int],
    gateway_after: dict[str, int],
) -> dict[str, Any]:
    before, opened, after = snapshots
    results: list[SessionResult] = sorted(round_.results, key=lambda r: r.index)
    missing = size - len(results)
    durations = [r.duration for r in results if r.duration is not None]
    answers = [r.answer for r in results if r.answer is not None]
    asked = len(answers)
    open_cpu, answer_cpu = _cpu_delta(before, opened), _cpu_delta(opened, after)
    servers = [label for label in open_cpu if label != "proxy"]
    errors = [r.error for r in results if r.error] + ["the session never reported back"] * missing
    answer_wall = after.at - opened.at
    stats = environment.stats.get("answer", "WS")
    gateway = {k: gateway_after[k] - gateway_before[k] for k in gateway_after}
    replicas = Counter(r.replica for r in results if r.replica)
    return {
        "target": target.name,
        "size": size,
        "opened": sum(r.opened for r in results),
        "asked": asked,
        "errors": len(errors),
        "lost": sum(r.lost for r in results) + missing,
        "error_samples": sorted(Counter(errors).items(), key=lambda kv: -kv[1])[:5],
        "durations_s": [round(d, 4) for d in durations],
        "median_s": median(durations),
        "p90_s": quantile(durations, 0.9),
        "max_s": max(durations) if durations else None,
        "first_text_median_s": median(
            [a.first_text_at - a.submitted_at for a in answers if a.first_text_at is not None]
        ),
        "open_median_s": median([r.open_seconds for r in results if r.open_seconds is not None]),
        "answer_bytes_median": median([float(a.bytes) for a in answers]),
        "answer_frames_median": median([float(a.frames) for a in answers]),
        "open_bytes_median": median([float(r.open_bytes) for r in results if r.opened]),
        "server_cpu_open_s": open_cpu,
        "server_cpu_answer_s": answer_cpu,
        "server_cpu_per_open_s": sum(open_cpu[s] for s in servers) / max(1, size),
        "server_cpu_per_answer_s": sum(answer_cpu[s] for s in servers) / max(1, asked),
        "proxy_cpu_per_answer_s": answer_cpu["proxy"] / max(1, asked) if "proxy" in answer_cpu else None,
        "answer_phase_wall_s": answer_wall,
        "server_cores": sum(answer_cpu[s] for s in servers) / answer_wall if answer_wall else None,
        "generator_cores": (after.generator - opened.generator) / answer_wall if answer_wall else None,
        "standin_cores": (after.standin - opened.standin) / answer_wall if answer_wall else None,
        "machine_busy_share": _busy(opened, after),
        "rest_of_machine_share": _rest(opened, after),
        "load_average": load_average(),
        "gateway": gateway,
        "replica_sessions": dict(replicas),
        "locust": {
            "answers": stats.num_requests,
            "failures": stats.num_failures,
            "median_ms": stats.median_response_time,
            "p95_ms": stats.get_response_time_percentile(0.95),
            "cpu_warning": bool(getattr(runner, "cpu_warning_emitted", False)),
        },
    }


def holds(record: dict[str, Any], threshold: float) -> bool:
    """Every answer arrived whole, without an error, with a median within the threshold."""
    return (
        record["errors"] == 0
        and record["lost"] == 0
        and record["median_s"] is not None
        and record["median_s"] <= threshold
    )


def line(record: dict[str, Any], threshold: float | None = None) -> str:
    def s(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.2f}"

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    verdict = "" if threshold is None else ("  holds" if holds(record, threshold) else "  FAILS")
    cores = record["server_cores"]
    return (
        f"  {record['size']:3d} sessions: median {s(record['median_s'])} s  p90 {s(record['p90_s'])} s"
        f"  max {s(record['max_s'])} s  errors {record['errors']}  lost {record['lost']}"
        f"  CPU/answer {record['server_cpu_per_answer_s']:.3f} s"
        f"  server {'-' if cores is None else f'{cores:.2f}'} cores"
        f"  machine {share(record['machine_busy_share'])} busy"
        f" ({share(record['rest_of_machine_share'])} PostgreSQL and others){verdict}"
    )


# -- the measurements -------------------------------------------------------------------------


@dataclass
class Capacity:
    target: str
    single: list[dict[str, Any]] = field(default_factory=list)
    ramp: list[dict[str, Any]] = field(default_factory=list)
    held: int = 0
    first_failing: int | None = None
    stopped_by_time: bool = False


def measure_single(target: Target, plan: Plan, reps: int, warm: list[str]) -> list[dict[str, Any]]:
    """A warm-up session on each replica, directly (a replica imports most of its modules on its
    first answer), then `reps` rounds of one session through the target."""
    out(f"{target.name}: a warm-up session on each replica, then {reps} single sessions")
    for url in warm:
        run_round(Target(f"warm-up {url}", url, {}), 1, plan)
    singles = []
    for _ in range(reps):
        record = run_round(target, 1, plan)
        singles.append(record)
        out(line(record))
    return singles


def ramp(
    target: Target, plan: Plan, levels: tuple[int, ...], threshold: float, resolution: int, deadline: float
) -> Capacity:
    """Sizes up until one fails twice in a row, then bisection down to `resolution`."""
    found = Capacity(target.name)

    def attempt(size: int) -> bool:
        for _ in range(2):  # a shared machine has bad seconds: a size fails only twice in a row
            if time.monotonic() > deadline:
                found.stopped_by_time = True
                return False
            record = run_round(target, size, plan)
            record["threshold_s"] = threshold
            found.ramp.append(record)
            out(line(record, threshold))
            if holds(record, threshold):
                return True
        return False

    out(f"{target.name}: ramp, a size holds with every answer whole and median <= {threshold:.2f} s")
    for size in levels:
        if attempt(size):
            found.held = size
        else:
            found.first_failing = size
            break
    while (
        not found.stopped_by_time
        and found.first_failing is not None
        and found.first_failing - found.held > resolution
    ):
        size = (found.held + found.first_failing) // 2
        if attempt(size):
            found.held = size
        elif not found.stopped_by_time:
            found.first_failing = size
    return found


def single_median(records: list[dict[str, Any]]) -> float | None:
    return median([d for r in records for d in r["durations_s"]])


def phase_summary(capacity: Capacity) -> dict[str, Any]:
    rounds = capacity.single + capacity.ramp
    answers = sum(r["asked"] for r in rounds)
    cpu = sum(sum(v for k, v in r["server_cpu_answer_s"].items() if k != "proxy") for r in rounds)
    opens = sum(r["opened"] for r in rounds)
    open_cpu = sum(sum(v for k, v in r["server_cpu_open_s"].items() if k != "proxy") for r in rounds)
    proxy = [r["proxy_cpu_per_answer_s"] for r in rounds if r["proxy_cpu_per_answer_s"] is not None]
    return {
        "single_median_s": single_median(capacity.single),
        "held": capacity.held,
        "first_failing": capacity.first_failing,
        "stopped_by_time": capacity.stopped_by_time,
        "answers": answers,
        "errors": sum(r["errors"] for r in rounds),
        "lost": sum(r["lost"] for r in rounds),
        "gateway_requests": sum(r["gateway"].get("requests", 0) for r in rounds),
        "gateway_completed": sum(r["gateway"].get("completed", 0) for r in rounds),
        "server_cpu_per_answer_s": cpu / answers if answers else None,
        "server_cpu_per_open_s": open_cpu / opens if opens else None,
        "server_cpu_per_answer_single_s": median([r["server_cpu_per_answer_s"] for r in capacity.single]),
        "proxy_cpu_per_answer_s": median(proxy),
        "server_cores_at_held": median(
            [r["server_cores"] for r in capacity.ramp if r["size"] == capacity.held and r["server_cores"]]
        ),
        "rest_of_machine_share_median": median(
            [r["rest_of_machine_share"] for r in rounds if r["rest_of_machine_share"] is not None]
        ),
        "answer_bytes_median": median([r["answer_bytes_median"] for r in rounds if r["answer_bytes_median"]]),
        "open_bytes_median": median([r["open_bytes_median"] for r in rounds if r["open_bytes_median"]]),
    }


# -- the report -------------------------------------------------------------------------------


def _percent(share: float | None) -> float | None:
    return None if share is None else 100 * share


def report(one: dict[str, Any], many: dict[str, Any] | None, replicas: int, threshold: float) -> list[str]:
    def num(value: float | None, unit: str = "", digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}{unit}"

    def held(summary: dict[str, Any]) -> str:
        text = str(summary["held"])
        if summary["stopped_by_time"]:
            text = f">= {text} (time limit)"
        elif summary["first_failing"] is None:
            text = f">= {text} (every size held)"
        return text

    fleet_name = f"{replicas} replicas, Caddy"
    rows = [
        ("single session, submit to final text", lambda s: num(s["single_median_s"], " s")),
        ("concurrent sessions held", held),
        ("  (first size that failed)", lambda s: str(s["first_failing"] or "-")),
        ("server CPU per answer (all rounds)", lambda s: num(s["server_cpu_per_answer_s"], " s", 3)),
        ("server CPU per answer (single)", lambda s: num(s["server_cpu_per_answer_single_s"], " s", 3)),
        ("server CPU per page open", lambda s: num(s["server_cpu_per_open_s"], " s", 3)),
        ("proxy CPU per answer", lambda s: num(s["proxy_cpu_per_answer_s"], " s", 3)),
        ("server CPU in use at the count held", lambda s: num(s["server_cores_at_held"], " cores")),
        (
            "CPU used by PostgreSQL and others",
            lambda s: num(_percent(s["rest_of_machine_share_median"]), " %", 0),
        ),
        ("websocket bytes per answer", lambda s: num(s["answer_bytes_median"], " B", 0)),
        ("websocket bytes per page open", lambda s: num(s["open_bytes_median"], " B", 0)),
        ("answers asked", lambda s: str(s["answers"])),
        ("errors (goal: none)", lambda s: str(s["errors"])),
        ("lost answers (goal: none)", lambda s: str(s["lost"])),
        (
            "gateway requests / streams completed",
            lambda s: f"{s['gateway_requests']} / {s['gateway_completed']}",
        ),
    ]
    lines = [f"{'':40s} {'one replica':>22s} {fleet_name:>22s}"]
    for label, cell in rows:
        lines.append(f"{label:40s} {cell(one):>22s} {cell(many) if many else 'not run':>22s}")
    lines.append(
        f"a size holds while its median is <= {threshold:.2f} s ({SLOWDOWN}x one replica's single session)"
    )
    if many and one["held"]:
        lines.append(ratio_line(one, many, fleet_name))
    for summary, name in ((one, "one replica"), (many, fleet_name)):
        if summary and (summary["errors"] or summary["lost"]):
            lines.append(f"{name}: errors or lost answers (goal: none): FAIL")
    return lines


def ratio_line(one: dict[str, Any], many: dict[str, Any], fleet_name: str) -> str:
    """The fleet's count over one replica's, with the goal's verdict; a count that never met a
    failing size is only a lower bound, which may leave the verdict open."""
    ratio = many["held"] / one["held"]
    one_exact = one["first_failing"] is not None and not one["stopped_by_time"]
    many_exact = many["first_failing"] is not None and not many["stopped_by_time"]
    if one_exact and many_exact:
        verdict = "PASS" if ratio >= GOAL_RATIO else "FAIL"
        return f"{fleet_name} hold {ratio:.2f}x one replica's count (goal >= {GOAL_RATIO}x): {verdict}"
    if one_exact and ratio >= GOAL_RATIO:
        return f"{fleet_name} hold at least {ratio:.2f}x one replica's count (goal >= {GOAL_RATIO}x): PASS"
    return (
        f"{fleet_name} hold {ratio:.2f}x one replica's count as measured, but a count that never failed is "
        f"only a lower bound: undecided (add larger --levels)"
    )


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fleet_load",
        description="Concurrent streaming sessions one replica holds, and N replicas behind Caddy.",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (sizes 4 and 8, 2 singles)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas behind Caddy (default 2)")
    parser.add_argument("--levels", help="comma-separated session counts to ramp through")
    parser.add_argument("--singles", type=int, help="single-session rounds for the reference (default 5)")
    parser.add_argument("--resolution", type=int, help="bisect until the gap is at most this (default 2)")
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between words")
    parser.add_argument("--first-token-delay", type=float, default=0.2)
    parser.add_argument("--one-user", action="store_true", help="every session is the same (local) user")
    parser.add_argument("--sqlite", action="store_true", help="one replica on SQLite even if PostgreSQL runs")
    parser.add_argument("--skip-fleet", action="store_true", help="measure one replica only")
    parser.add_argument(
        "--minutes", type=float, help="each ramp stops after this long (default 12; quick: 4)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = parser.parse_args(argv)
    args.level_list = _levels(parser, args)
    if args.singles is None:
        args.singles = 2 if args.quick else 5
    if args.resolution is None:
        args.resolution = 4 if args.quick else 2
    if args.minutes is None:
        args.minutes = 4.0 if args.quick else 12.0
    if not 1 <= args.replicas <= 16:
        parser.error("--replicas must be from 1 to 16 (what scripts/fleet.sh starts)")
    if args.singles < 1 or args.resolution < 1 or args.minutes <= 0:
        parser.error("--singles, --resolution and --minutes must be positive")
    if args.words < 40:
        parser.error("--words must be at least 40 (bench/answer_text.py's shortest answer)")
    return args


def _levels(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[int, ...]:
    if not args.levels:
        return QUICK_LEVELS if args.quick else FULL_LEVELS
    try:
        levels = tuple(sorted({int(value) for value in args.levels.split(",") if value.strip()}))
    except ValueError:
        parser.error(f"--levels takes whole numbers separated by commas, e.g. 4,8,16 (got {args.levels!r})")
    if not levels or levels[0] < 1:
        parser.error("--levels needs at least one session count of 1 or more")
    return levels


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "cd " + shlex.quote(str(ROOT)) + " && .venv/bin/python -m bench.fleet_load"
    command += "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    try:
        refuse_local_secrets()
        return run(args, command)
    except SetupError as problem:
        out(f"fleet_load: {problem}")
        return 2


def run(args: argparse.Namespace, command: str) -> int:
    started = time.monotonic()
    load_before = load_average()
    text = answer_text(args.words)
    # One local user for everyone is anonymous use behind a proxy: the operator must accept it.
    one_user = {"GPTPROTO_ALLOW_ANONYMOUS": "true"}
    settings_extra = one_user if args.one_user else {"GPTPROTO_IDENTITY_HEADER": IDENTITY_HEADER}
    results: dict[str, Any] = {
        "command": command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "streamlit": streamlit.__version__,
            "locust": locust.__version__,
            "load_average_before": load_before,
        },
        "answer": {
            "words": args.words,
            "chars": len(text),
            "chunk_delay_s": args.chunk_delay,
            "first_token_delay_s": args.first_token_delay,
        },
        "identities": "one per session" if not args.one_user else "one local user",
        "slowdown_limit": SLOWDOWN,
    }
    with tempfile.TemporaryDirectory(prefix="gptproto-fleet-load-") as scratch:
        workdir = Path(scratch)
        standin = StandInProcess(args.words, args.chunk_delay, args.first_token_delay, workdir).start()
        try:
            plan = Plan(text, last_line(text), standin, identities=not args.one_user)
            settings = {"GPTPROTO_BASE_URL": standin.base_url, "GPTPROTO_API_KEY": standin.api_key}
            settings.update(settings_extra)
            one, threshold = measure_one(args, plan, settings, workdir, results)
            many = None
            if not args.skip_fleet and threshold is not None:
                many = measure_fleet(args, plan, settings, workdir, threshold, results)
        finally:
            standin.stop()
    results["load_average_after"] = load_average()
    results["wall_s"] = time.monotonic() - started
    if one is None or threshold is None:
        out("fleet_load: no single session finished, so there is no reference to ramp against")
        write(args.out, results)
        return 1
    lines = report(one, many, args.replicas, threshold)
    results["report"] = lines
    write(args.out, results)
    out()
    out(
        f"Fleet load: {args.words}-word answers, one word per {args.chunk_delay * 1000:.0f} ms, "
        f"first token after {args.first_token_delay * 1000:.0f} ms (stand-in); {os.cpu_count()} CPUs; "
        f"load average {load_before[0]} before, {results['load_average_after'][0]} after; "
        f"{results['wall_s'] / 60:.1f} min"
    )
    for text_line in lines:
        out(text_line)
    out(f"results: {args.out}")
    out(f"reproduce: {command}")
    return 0


def measure_one(
    args: argparse.Namespace,
    plan: Plan,
    settings: dict[str, str],
    workdir: Path,
    results: dict[str, Any],
) -> tuple[dict[str, Any] | None, float | None]:
    database = Database(workdir, use_postgres=not args.sqlite and postgres_available())
    replica = Replica(_free_port(), {**settings, **database.settings()}, workdir)
    try:
        replica.start()
        out(f"one replica: {replica.url} (pid {replica.pid}), {database.describe()}")
        target = Target("one replica", replica.url, {"replica": replica.pid})
        capacity = Capacity(target.name)
        capacity.single = measure_single(target, plan, args.singles, [replica.url])
        single = single_median(capacity.single)
        if single is None:
            results["one_replica"] = {"single": capacity.single}
            return None, None
        threshold = SLOWDOWN * single
        found = ramp(
            target, plan, args.level_list, threshold, args.resolution, time.monotonic() + args.minutes * 60
        )
        found.single = capacity.single
        summary = phase_summary(found)
        results["one_replica"] = {
            "database": database.describe(),
            "summary": summary,
            "single": found.single,
            "ramp": found.ramp,
        }
        return summary, threshold
    finally:
        replica.stop()
        database.drop()


def measure_fleet(
    args: argparse.Namespace,
    plan: Plan,
    settings: dict[str, str],
    workdir: Path,
    threshold: float,
    results: dict[str, Any],
) -> dict[str, Any]:
    fleet = FleetProcess(args.replicas, settings, workdir)
    out(f"starting scripts/fleet.sh {args.replicas}")
    fleet.start()
    try:
        out(f"fleet: {fleet.url}, replicas {fleet.replica_pids}, Caddy pid {fleet.caddy_pid}")
        name = f"{args.replicas} replicas via Caddy"
        target = Target(name, fleet.url, dict(fleet.replica_pids), fleet.caddy_pid)
        warm = [f"http://{address}" for address in fleet.replica_pids]
        singles = measure_single(target, plan, args.singles, warm)
        found = ramp(
            target, plan, args.level_list, threshold, args.resolution, time.monotonic() + args.minutes * 60
        )
        found.single = singles
        summary = phase_summary(found)
        results["fleet"] = {
            "replicas": args.replicas,
            "database": fleet.database,
            "summary": summary,
            "single": singles,
            "ramp": found.ramp,
        }
        return summary
    finally:
        fleet.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
