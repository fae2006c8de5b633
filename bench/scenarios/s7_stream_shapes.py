"""S7: stream shapes real gateways send, not only one word per chunk: one character per chunk, a
role-only first chunk with an empty-`choices` usage chunk at the end, bursts of many chunks in
one write, and long pauses mid-answer. Each against the floor started at the key press."""

from __future__ import annotations

from typing import Any

from bench.answer_text import count_words, make_answer
from bench.harness import Bench
from bench.scenarios.s2_long_answers import report_stream

WORDS = 1000
# The same 1,000-word answer in every shape, 200 ms before the first token.
SHAPES: dict[str, dict[str, Any]] = {
    "words": {"chunk_delay": 0.005},  # the baseline: one word per chunk every 5 ms
    "chars": {"split": "char", "chunk_delay": 0.001},  # one character per chunk, 1 ms apart
    "role+usage": {"chunk_delay": 0.005, "role_chunk": True, "usage_chunk": True},
    "bursts": {"chunk_delay": 0.005, "burst": 50},  # 50 chunks in one write every 250 ms
    "pauses": {"chunk_delay": 0.005, "pauses": [[WORDS // 3, 2.0], [2 * WORDS // 3, 2.0]]},
}


def run(bench: Bench) -> None:
    answer = make_answer(WORDS, seed=7)
    for name, shape in SHAPES.items():
        label = f"S7-{name}"
        samples = bench.run_turns(label, answer, {"first_token_delay": 0.2, **shape}, 90.0, apps=("ours",))
        chunks = len(answer) if shape.get("split") == "char" else count_words(answer)
        report_stream(bench, label, answer, samples, chunks)
