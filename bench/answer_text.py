"""A deterministic markdown answer of exactly N words, for streaming benchmarks.

"Words" are counted the way the stand-in splits a reply into chunks (runs of non-space
characters), so an N-word answer streams as N chunks with `chunk_words=1`. The answer mixes
headings, paragraphs, bullet lists, fenced code blocks and a table, starts with FIRST_WORD and
ends with a plain paragraph (`last_line`) that the browser can look for to know it is all there.
"""

from __future__ import annotations

import random
import re

FIRST_WORD = "Kickoff"
_WORD = re.compile(r"\S+")
_VOCAB = tuple(
    [
        "stream",
        "token",
        "gateway",
        "model",
        "latency",
        "chunk",
        "buffer",
        "render",
        "browser",
        "session",
        "socket",
        "frame",
        "answer",
        "question",
        "context",
        "window",
        "budget",
        "reason",
        "cache",
        "layout",
        "widget",
        "script",
        "thread",
        "queue",
        "python",
        "server",
        "client",
        "request",
        "response",
        "header",
        "payload",
        "status",
        "retry",
        "timeout",
        "markdown",
        "table",
        "column",
        "value",
        "metric",
        "sample",
        "median",
        "spread",
        "noise",
        "figure",
        "result",
        "record",
        "history",
    ]
)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def last_line(text: str) -> str:
    """The answer's final non-empty line: its presence means the whole answer arrived."""
    return text.rstrip().splitlines()[-1].strip()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_VOCAB) for _ in range(n))


def _paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 6)):
        sentence = _words(rng, rng.randint(6, 14))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(sentences)


def _bullets(rng: random.Random) -> str:
    return "\n".join(f"- {_words(rng, rng.randint(3, 9))}" for _ in range(rng.randint(3, 6)))


def _code(rng: random.Random) -> str:
    lines = [f"def {rng.choice(_VOCAB)}_{i}(value: int) -> int:\n    return value + {i}" for i in range(3)]
    return "```python\n" + "\n\n".join(lines) + "\n```"


def _table(rng: random.Random) -> str:
    rows = ["| name | median | spread |", "|---|---|---|"]
    rows += [f"| {rng.choice(_VOCAB)} | {rng.randint(1, 999)} | {rng.randint(1, 99)} |" for _ in range(5)]
    return "\n".join(rows)


def make_answer(words: int, seed: int = 0) -> str:
    """An answer of exactly `words` words (at least 40), the same for the same arguments."""
    if words < 40:
        raise ValueError("an answer needs at least 40 words")
    rng = random.Random(f"{words}-{seed}")
    closing = f"That is the whole answer, closing marker end{words}w{seed}."
    blocks = [f"{FIRST_WORD} {_words(rng, 11)}."]
    used = count_words(blocks[0])
    budget = words - count_words(closing)
    section = 0
    makers = (_paragraph, _bullets, _paragraph, _code, _paragraph, _table)
    while True:
        section += 1
        heading = f"## Section {section}: {_words(rng, 2)}"
        candidates = [heading] + [maker(rng) for maker in makers[: 1 + section % len(makers)]]
        size = sum(count_words(block) for block in candidates)
        if used + size > budget - 20:
            break
        blocks += candidates
        used += size
    filler = budget - used
    if filler > 0:
        blocks.append(_words(rng, filler) + ".")
    blocks.append(closing)
    text = "\n\n".join(blocks) + "\n"
    assert count_words(text) == words, (count_words(text), words)
    return text
