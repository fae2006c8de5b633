"""What the per-user limits add in front of every request: `UsageStore.reserve` (settle the
user's requests a dead process left in flight, check the limits with the holds of the answers
still streaming, and record the request with its own hold, one transaction under the user's
lock), timed on SQLite and, when
it answers, PostgreSQL; then, on SQLite, how long each write waits when 20 sessions of one process
write at once (each a reserve and two checkpoints of its answer, twice).

    .venv/bin/python -m bench.limits_overhead [--calls 60] [--sessions 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from core.admission import Hold
from core.conversation import ChatParams, Message, user_message
from core.quotas import Limits
from core.storage import ConversationStore, UsageStore, database_url, make_engine, migrate

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
LIMITS = Limits(requests_per_minute=1_000_000, tokens_per_day=10**12, cost_per_month_usd=1e9)
HOLD = Hold(prompt_tokens=12, completion_tokens=4_096, cost_usd=0.01)  # a short prompt, the default


def timed_reserves(engine: Engine, calls: int) -> list[float]:
    """Milliseconds per reserve() for one user with every limit set (so every check runs)."""
    migrate(engine)
    ConversationStore(engine, "bench-user")
    usage = UsageStore(engine)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        usage.reserve("bench-user", ["o4-mini"], page="chat", defaults=LIMITS, holds=[HOLD])
        times.append((time.perf_counter() - started) * 1000)
    return times


def concurrent_writes(engine: Engine, sessions: int) -> list[float]:
    """Milliseconds per write while `sessions` threads, released together, each write as a turn
    does: reserve() before the request, then checkpoints of the growing answer."""
    migrate(engine)
    usage = UsageStore(engine)
    params = ChatParams(model="o4-mini")
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(sessions)

    def session(user: str) -> None:
        store = ConversationStore(engine, user)
        conversation = store.create(params)
        prompt = user_message("Hello")
        answer = Message(role="assistant", parent_id=prompt.id, model="o4-mini")
        store.begin_turn(conversation, prompt, answer, params)
        start.wait()
        for step in range(6):
            started = time.perf_counter()
            if step % 3 == 0:
                usage.reserve(user, ["o4-mini"], page="chat", defaults=LIMITS, holds=[HOLD])
            else:
                answer.text += " word" * 50
                store.save_message(conversation, answer, params)
            with lock:
                times.append((time.perf_counter() - started) * 1000)
            sum(range(20_000))  # the drawing a session's thread does between writes

    threads = [threading.Thread(target=session, args=(f"bench-user-{i}",)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    calls = args.calls
    rows = [("SQLite", timed_reserves(make_engine(database_url(tempfile.mkdtemp(), None)), calls))]
    schema = f"bench_limits_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url("", POSTGRES_URL), connect_timeout=3)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        print("PostgreSQL does not answer at", POSTGRES_URL, "- SQLite only")
    else:
        engine = make_engine(
            database_url("", POSTGRES_URL), connect_args={"options": f"-csearch_path={schema}"}
        )
        try:
            rows.append(("PostgreSQL", timed_reserves(engine, calls)))
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print("| database | reserve() median | p90 | calls |\n|---|---|---|---|")
    for name, times in rows:
        p90 = sorted(times)[int(0.9 * len(times)) - 1]
        print(f"| {name} | {statistics.median(times):.2f} ms | {p90:.2f} ms | {len(times)} |")
    sqlite = make_engine(database_url(tempfile.mkdtemp(), None))
    writes = sorted(concurrent_writes(sqlite, args.sessions))
    sqlite.dispose()
    print(f"\n| SQLite, {args.sessions} sessions writing at once | median | p90 | slowest | writes |")
    print("|---|---|---|---|---|")
    p90, median = writes[int(0.9 * len(writes)) - 1], statistics.median(writes)
    print(f"| each write | {median:.2f} ms | {p90:.2f} ms | {writes[-1]:.2f} ms | {len(writes)} |")
    print("\nreproduce: .venv/bin/python -m bench.limits_overhead")


if __name__ == "__main__":
    main()
