"""One module per scenario, each with `run(bench)`; SCENARIOS maps their names to them."""

from __future__ import annotations

from collections.abc import Callable

from bench.harness import Bench
from bench.scenarios import (
    s1_first_token,
    s2_long_answers,
    s3_stored_conversation,
    s4_concurrent,
    s5_memory,
    s6_start,
    s7_stream_shapes,
    s8_peers,
)

SCENARIOS: dict[str, Callable[[Bench], None]] = {
    "S1": s1_first_token.run,
    "S2": s2_long_answers.run,
    "S3": s3_stored_conversation.run,
    "S4": s4_concurrent.run,
    "S5": s5_memory.run,
    "S6": s6_start.run,
    "S7": s7_stream_shapes.run,
    "S8": s8_peers.run,
}
