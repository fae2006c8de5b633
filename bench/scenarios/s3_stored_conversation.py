"""S3: open a stored 300-message conversation (full paint), then the first token of a new
prompt in it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.answer_text import last_line, make_answer
from bench.frames import FrameCounter
from bench.harness import (
    Bench,
    arm_and_send,
    brief,
    floor_figures,
    med,
    median,
    new_prompt,
    out,
    settle,
    turn_figures,
    wait_final,
)
from bench.report import TARGETS
from bench.scenarios.s1_first_token import WORD_SHAPE, within


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
    """Open a stored 300-message conversation: first full paint; then a new prompt in it, from
    the key press, against the floor started at the same moment."""
    app = bench.app("ours")
    conversation, last = seed_conversation(app.workdir / "data", 150)
    answer = make_answer(60, seed=3)
    bench.server.shape(answer, **WORD_SHAPE)
    paints: list[float] = []
    turns: list[dict[str, Any]] = []
    for rep in range(bench.reps):
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
            prompt, floor_prompt = new_prompt("ours"), new_prompt("floor-S3")
            arm_and_send(page, prompt, answer, bench.floor, floor_prompt)
            seen = wait_final(page, 60)
            floor = floor_figures(bench, floor_prompt, bench.floor.result(floor_prompt))
            turn = turn_figures(seen, bench.server.request_for(prompt))
            if turn["key_to_first_s"] is not None:
                turn["first_over_floor_s"] = turn["key_to_first_s"] - floor["first_s"]
            turn["floor"] = floor
            turns.append(turn)
        finally:
            context.close()
        out(f"  S3 rep {rep + 1}: paint_s={paints[-1]:.3f} {brief(turns[-1])}")
    paint = median(paints)
    bench.row(
        "S3",
        "open a stored 300-message conversation: full paint",
        "s",
        {"ours": paint},
        "ours <= 1.5 s",
        paint is not None and paint <= TARGETS["S3.paint_s"],
    )
    firsts = {
        "floor": med([t["floor"] for t in turns], "first_s", 1000),
        "ours": med(turns, "key_to_first_s", 1000),
    }
    bench.row("S3", "first word in it, from the key press", "ms", firsts)
    over = {"ours": med(turns, "first_over_floor_s", 1000)}
    limit = TARGETS["first_over_floor_ms"]
    bench.row(
        "S3",
        "first word in it, over the floor (paired)",
        "ms",
        over,
        f"ours <= {limit:.0f} ms",
        within(over, limit, ("ours",)),
    )
    bench.row(
        "S3",
        "  key press to request at the gateway (info)",
        "ms",
        {"ours": med(turns, "key_to_request_s", 1000)},
    )
    bench.results["S3"] = {"paint_s": paints, "turns": turns}
