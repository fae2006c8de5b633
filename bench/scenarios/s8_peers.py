"""S8: ours against every framework peer, in one run, from the key press: the tutorial chatbot
(reference), Gradio's `ChatInterface`, Chainlit's `stream_token`, and the baseline checkout
(`main`, with --baseline) beside ours. 1,000-, 2,000- and 8,000-word answers in the S2 shape;
per answer: first word, last word, bytes over the wire (websocket frames and HTTP responses),
the browser's main-thread time and the server's CPU, medians of the alternating rounds."""

from __future__ import annotations

from typing import Any

from bench.answer_text import make_answer
from bench.harness import PEERS, Bench, per_app
from bench.peers.venvs import versions
from bench.report import TARGETS
from bench.scenarios.s1_first_token import WORD_SHAPE

LENGTHS = (1000, 2000, 8000)
RIVALS = ("reference", *PEERS)  # what a team would otherwise pick


def run(bench: Bench) -> None:
    apps = ("ours", *(("main",) if bench.baseline else ()), *RIVALS)
    bench.results["S8"] = {"versions": {peer: versions(peer) for peer in PEERS}}
    for words in LENGTHS[:1] if bench.quick else LENGTHS:  # --quick: 1,000 words only
        answer = make_answer(words, seed=8)
        label = f"S8-{words // 1000}k"
        timeout_s = max(120.0, words * 0.005 * 4)
        samples = bench.run_turns(label, answer, WORD_SHAPE, timeout_s=timeout_s, apps=apps)
        report(bench, label, answer, samples, words)


def ahead(values: dict[str, float | None]) -> bool:
    """Ours has a figure and it is below every rival's that finished (a rival that timed out
    is behind)."""
    ours = values.get("ours")
    return ours is not None and all(values.get(name) is None or ours < values[name] for name in RIVALS)  # type: ignore[operator]


def report(
    bench: Bench, label: str, answer: str, samples: dict[str, list[dict[str, Any]]], words: int
) -> None:
    """The rows of one answer length."""
    size = len(answer.encode())
    first = per_app(samples, "key_to_first_s", 1000)
    bench.row(label, "first word, from the key press", "ms", first, "ours < every peer", ahead(first))
    last = per_app(samples, "key_to_final_s", 1000)
    bench.row(label, "last word, from the key press", "ms", last, "ours < every peer", ahead(last))
    ratios = per_app(samples, "wire_bytes", 1 / size)
    limit = {1000: TARGETS["S8.bytes_ratio_1k"], 8000: TARGETS["S8.bytes_ratio_8k"]}.get(words)
    ratio_ok = None if limit is None else (ratios.get("ours") or 1e9) <= limit
    bench.row(
        label,
        f"bytes on the wire / answer bytes ({size} B), key to last word",
        "x",
        ratios,
        f"ours <= {limit}x" if limit else "",
        ratio_ok,
    )
    payload = per_app(samples, "payload_bytes", 1 / size)
    bench.row(label, "  websocket payloads (uncompressed) + HTTP / answer bytes (info)", "x", payload)
    settled = per_app(samples, "wire_bytes_settled", 1 / size)
    bench.row(label, "  bytes / answer bytes until the page is quiet (info)", "x", settled)
    main_thread = per_app(samples, "main_thread_s", 1000)
    bench.row(label, "browser main-thread time, key to last word", "ms", main_thread)
    main_settled = per_app(samples, "main_thread_settled_s", 1000)
    bench.row(label, "  main-thread time until the page is quiet (info)", "ms", main_settled)
    cpu = per_app(samples, "server_cpu_settled_s")
    target, passed = "", None
    if words == 2000:
        ours, main, reference = cpu.get("ours"), cpu.get("main"), cpu.get("reference")
        share = TARGETS["S8.cpu_vs_main"]
        target = f"ours <= {share}x main and < reference"
        passed = (
            ours is not None
            and (main is None or ours <= share * main)
            and (reference is None or ours < reference)
        )
    bench.row(label, "server CPU per answer, until the run ends", "s", cpu, target, passed)
    for name, turns in samples.items():
        late = [s for s in turns if "timed_out_s" in s]
        if late:
            bench.row(label, f"{name}: {len(late)}/{len(turns)} runs showed no last word in time", "", {})
    bench.results[label] = {"answer_bytes": size, "samples": samples}
