"""What the per-user limits add in front of every request: `UsageStore.reserve` (check the
limits and record the request, one transaction under the user's lock), timed on SQLite and, when
it answers, PostgreSQL.

    .venv/bin/python -m bench.limits_overhead [--calls 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from core.storage import ConversationStore, UsageStore, database_url, make_engine, migrate
from core.usage import Limits

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
LIMITS = Limits(requests_per_minute=1_000_000, tokens_per_day=10**12, cost_per_month_usd=1e9)


def timed_reserves(engine: Engine, calls: int) -> list[float]:
    """Milliseconds per reserve() for one user with every limit set (so every check runs)."""
    migrate(engine)
    ConversationStore(engine, "bench-user")
    usage = UsageStore(engine)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        usage.reserve("bench-user", ["o4-mini"], page="chat", defaults=LIMITS)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    calls = parser.parse_args().calls
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
    print("\nreproduce: .venv/bin/python -m bench.limits_overhead")


if __name__ == "__main__":
    main()
