"""S3: open a stored 300-message conversation (full paint), then the first token of a new
prompt in it."""

from __future__ import annotations

import time
from pathlib import Path

from bench.answer_text import last_line, make_answer
from bench.frames import FrameCounter
from bench.harness import (
    Bench,
    arm_and_send,
    measure_floor,
    median,
    ms,
    new_prompt,
    out,
    request_for,
    settle,
    wait_final,
)
from bench.report import TARGETS
from devtools.standin import Reply


def seed_conversation(data_dir: Path, pairs: int) -> tuple[str, str]:
    """A stored conversation of `pairs` prompts and markdown answers (lists, code, tables) in the
    app's own database; returns its id and the last answer's final line."""
    from core.branches import ConversationTree
    from core.conversation import ChatParams, Message, Timing, Usage, user_message
    from core.storage import ConversationStore, database_url, make_engine, migrate

    engine = make_engine(database_url(str(data_dir), None))
    migrate(engine)
    messages: list[Message] = []
    parent: str | None = None
    for index in range(pairs):
        prompt = user_message(f"Question {index}: explain part {index} of the plan.")
        prompt.parent_id = parent
        answer = Message(
            role="assistant",
            text=make_answer(120, seed=1000 + index),
            parent_id=prompt.id,
            model="o4-mini",
            finish_reason="stop",
            usage=Usage(200, 160, 360, 40, 0),
            timing=Timing(0.3, 1.2),
        )
        messages += [prompt, answer]
        parent = answer.id
    store = ConversationStore(engine, "local")
    conversation = store.add_conversation(
        "Stored conversation", ChatParams(model="o4-mini"), ConversationTree.of(messages)
    )
    engine.dispose()
    return conversation, last_line(messages[-1].text)


def run(bench: Bench) -> None:
    """Open a stored 300-message conversation: first full paint; then a new prompt in it."""
    app = bench.app("ours")
    conversation, last = seed_conversation(app.workdir / "data", 150)
    answer = make_answer(60, seed=3)
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    paints: list[float] = []
    firsts: list[float] = []
    floors: list[float] = []
    for rep in range(bench.reps):
        floors.append(measure_floor(bench.standin, bench.floor_client())["first_s"])
        context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            counter = FrameCounter()
            counter.attach(page)
            started = time.monotonic()
            page.goto(f"{app.url}/?c={conversation}")
            page.get_by_text(last).wait_for(state="attached")
            page.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
            paints.append(time.monotonic() - started)
            settle(page, counter)  # the run that drew the history is over before typing
            prompt = new_prompt("ours")
            arm_and_send(page, prompt, answer)
            seen = wait_final(page, 60)
            received = request_for(bench.standin, prompt).received_wall
            first = seen["first"]
            firsts.append(first - received if first else float("nan"))
        finally:
            context.close()
        out(
            f"  S3 rep {rep + 1}: paint_s={paints[-1]:.3f} first_s={firsts[-1]:.3f} "
            f"floor_first_s={floors[-1]:.3f}"
        )
    paint = median(paints)
    first_med, floor = median(firsts), median(floors)
    bench.row(
        "S3",
        "open a stored 300-message conversation: full paint",
        "s",
        None,
        None,
        paint,
        "ours <= 1.5 s",
        paint is not None and paint <= TARGETS["S3.paint_s"],
    )
    overhead = first_med - floor if first_med is not None and floor is not None else None
    bench.row(
        "S3",
        "first visible token in it, after receipt",
        "ms",
        ms(floor),
        None,
        ms(first_med),
        "ours-floor <= 50 ms",
        overhead is not None and overhead * 1000 <= TARGETS["S1.overhead_ms"],
    )
    bench.results["S3"] = {"paint_s": paints, "first_s": firsts, "floor_first_s": floors}
