"""Search time over a large library: the app's indexed search against the LIKE scan it replaced.

Fills a fresh SQLite database (and PostgreSQL when reachable, in its own schema, dropped after)
with one user's conversations and messages plus other users' rows, then times
`ConversationStore.conversations(term)` (the sidebar's search) and the old
`lower(text) LIKE '%term%'` query for several terms, and prints the medians.

    .venv/bin/python -m bench.search_bench                 # 100,000 messages; filling takes minutes
    .venv/bin/python -m bench.search_bench --messages 20000 --runs 5 --no-postgres
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, func, insert, or_, select, text

from core.storage import ConversationStore, database_url, make_engine, migrate
from core.storage.schema import ConversationRow, MessageRow, UserRow

USER = "bench-user"
NOISE_USERS = [f"noise-{n}" for n in range(10)]
TARGET_MS = 100.0
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 5000
SIDEBAR_LIMIT = 8  # components/library.py RECENT_COUNT; the default limit (200) is the main figure

# Words planted in a known share of the messages, so each term's work is known in advance.
RARE, MEDIUM, COMMON = "quetzalcoatl", "sourdough", "deployment"
PLANTED = {RARE: 0.0002, MEDIUM: 0.01, COMMON: 0.25}
TERMS: list[tuple[str, str]] = [
    (RARE, "rare word (0.02% of messages)"),
    (MEDIUM.upper(), "word in 1%, upper case"),
    ("ourdoug", "inside a word"),
    (COMMON, "common word (25%)"),
    ("Quarterly", "title word"),
    ("100%", "literal %"),
    ("xylophonist", "no match"),
    ("zq", "two letters (scan)"),
]


@dataclass(frozen=True)
class Row:
    term: str
    label: str
    hits: int
    indexed_ms: float
    sidebar_ms: float
    like_ms: float


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """Made-up words of 2 to 4 syllables: a natural spread of trigrams without a dictionary."""
    onsets = [*"bcdfghjklmnprstvw", "bl", "br", "ch", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th"]
    vowels = [*"aeiou", "ai", "ea", "io", "ou"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def message_text(rng: random.Random, words: list[str], role: str) -> str:
    count = rng.randint(8, 30) if role == "user" else rng.randint(30, 150)
    chosen = rng.choices(words, k=count)
    for word, share in PLANTED.items():
        if rng.random() < share:
            chosen[rng.randrange(count)] = word
    if rng.random() < 0.001:
        chosen[rng.randrange(count)] = "100%"
    return " ".join(chosen).capitalize() + "."


def fill(engine: Engine, messages: int, conversations: int, noise: int, seed: int = 7) -> int:
    """One user's `messages` over `conversations` chats plus `noise` messages of other users;
    returns the bytes of message text stored."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(UserRow), [{"id": u, "created_at": start} for u in [USER, *NOISE_USERS]])
    owners = [USER] * conversations + [rng.choice(NOISE_USERS) for _ in range(max(1, noise // 50))]
    chats: list[dict[str, object]] = []
    for index, owner in enumerate(owners):
        title = f"Quarterly review {index}" if rng.random() < 0.02 else " ".join(rng.choices(words, k=4))
        when = start + timedelta(minutes=index)
        chats.append(
            {
                "id": uuid.uuid4().hex,
                "user_id": owner,
                "title": title.capitalize(),
                "pinned": False,
                "params": {"model": "o4-mini"},
                "leaf_id": None,
                "created_at": when,
                "updated_at": when,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(ConversationRow), chats)
    mine = [c for c in chats if c["user_id"] == USER]
    theirs = [c for c in chats if c["user_id"] != USER]
    stored = 0
    for group, total in ((mine, messages), (theirs, noise)):
        batch: list[dict[str, object]] = []
        for number in range(total):
            chat = group[number % len(group)]
            seq = number // len(group) + 1
            role = "user" if seq % 2 else "assistant"
            body = message_text(rng, words, role)
            stored += len(body.encode())
            when = start + timedelta(seconds=number)
            batch.append(
                {
                    "id": uuid.uuid4().hex,
                    "conversation_id": chat["id"],
                    "parent_id": None,
                    "seq": seq,
                    "role": role,
                    "text": body,
                    "status": "complete",
                    "usage_reported": True,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            if len(batch) >= BATCH:
                _insert_messages(engine, batch)
                batch = []
        if batch:
            _insert_messages(engine, batch)
    return stored


def _insert_messages(engine: Engine, batch: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(MessageRow), batch)


def like_search(engine: Engine, term: str, limit: int = 200) -> int:
    """The query search ran before the text index (as of migration 0001), for comparison."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    in_messages = select(MessageRow.conversation_id).where(
        func.lower(MessageRow.text).like(pattern, escape="\\")
    )
    query = (
        select(ConversationRow.id)
        .where(ConversationRow.user_id == USER)
        .where(
            or_(
                func.lower(ConversationRow.title).like(pattern, escape="\\"),
                ConversationRow.id.in_(in_messages),
            )
        )
        .order_by(ConversationRow.pinned.desc(), ConversationRow.updated_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return len(connection.execute(query).all())


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm caches, as a sidebar that has searched once has them
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(engine: Engine, runs: int, like_runs: int) -> list[Row]:
    store = ConversationStore(engine, USER)
    rows = []
    for term, label in TERMS:
        hits = len(store.conversations(term))
        baseline_hits = like_search(engine, term)
        if hits != baseline_hits:
            print(f"  note: {term!r} finds {hits} conversations, the LIKE scan {baseline_hits}")
        indexed = median_ms(partial(store.conversations, term), runs)
        sidebar = median_ms(partial(store.conversations, term, limit=SIDEBAR_LIMIT), runs)
        like = median_ms(partial(like_search, engine, term), like_runs)
        rows.append(Row(term, label, hits, indexed, sidebar, like))
    return rows


def sqlite_engine(directory: Path) -> Generator[Engine, None, None]:
    engine = make_engine(database_url(str(directory), None))
    try:
        yield engine
    finally:
        engine.dispose()


def postgres_engine(url: str) -> Generator[Engine, None, None]:
    """An engine whose tables live in a schema of their own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(database_url("", url), connect_timeout=2)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(
        database_url("", url), statement_timeout=0, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_backend(
    name: str, engines: Generator[Engine, None, None], args: argparse.Namespace
) -> list[Row] | None:
    try:
        engine = next(engines)
    except Exception as exc:  # an unreachable PostgreSQL skips its half, it does not end the bench
        print(f"{name}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        return None
    try:
        migrate(engine)
        started = time.perf_counter()
        stored = fill(engine, args.messages, args.conversations, args.noise)
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        print(
            f"{name}: filled {args.messages:,} messages in {args.conversations:,} conversations"
            f" (+{args.noise:,} of other users), {stored / 1e6:.1f} MB of text,"
            f" in {time.perf_counter() - started:.0f} s"
        )
        rows = measure(engine, args.runs, args.like_runs)
        # Shared machines make wall-clock figures noisy: say how busy this one was.
        print(
            f"{name}: measured; load average (1, 5, 15 min) " + " ".join(f"{x:.1f}" for x in os.getloadavg())
        )
        return rows
    finally:
        engines.close()


def print_table(name: str, rows: list[Row]) -> None:
    print(
        f"\n{name}: median ms of store.conversations(term) (limit 200; sidebar: limit 8) vs the old LIKE scan"
    )
    header = f"{'chats':>5} {'indexed':>9} {'sidebar':>9} {'LIKE':>9}"
    print(f"  {'term':<14} {'what':<30} {header}  target ≤{TARGET_MS:.0f} ms")
    for row in rows:
        verdict = "PASS" if row.indexed_ms <= TARGET_MS else "FAIL"
        timings = f"{row.indexed_ms:>9.1f} {row.sidebar_ms:>9.1f} {row.like_ms:>9.1f}"
        print(f"  {row.term:<14} {row.label:<30} {row.hits:>5} {timings}  {verdict}")
    overall = statistics.median(row.indexed_ms for row in rows)
    baseline = statistics.median(row.like_ms for row in rows)
    print(f"  median over terms: indexed {overall:.1f} ms, LIKE {baseline:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000, help="the searching user's messages")
    parser.add_argument("--conversations", type=int, default=2_000, help="the searching user's conversations")
    parser.add_argument("--noise", type=int, default=20_000, help="messages of other users")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per term (median reported)")
    parser.add_argument("--like-runs", type=int, default=3, help="timed runs of the slow LIKE baseline")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print("load average at start (1, 5, 15 min): " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="search-bench-") as directory:
        backends = [("SQLite (FTS5 trigram)", sqlite_engine(Path(directory)))]
        if not args.no_postgres:
            backends.append(("PostgreSQL (pg_trgm)", postgres_engine(args.postgres_url)))
        results = [(name, run_backend(name, engines, args)) for name, engines in backends]
    for name, rows in results:
        if rows:
            print_table(name, rows)
    print(
        "\nReproduce: .venv/bin/python -m bench.search_bench "
        + shlex.join(sys.argv[1:] if argv is None else argv)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
