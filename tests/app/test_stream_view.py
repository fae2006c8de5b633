"""The batched stream renderer: every token shows, in order, and the final text is exact,
including markdown that is only valid once complete (an open code fence, a half table)."""

from __future__ import annotations

import itertools

from streamlit.testing.v1 import AppTest

ANSWER = (
    "# Plan\n\nIntro paragraph with **bold** text.\n\n"
    "```python\ndef f(x):\n\n    return x * 2\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n  continued\n\nLast line."
)


def _script() -> None:
    import random

    import streamlit as st

    from components.stream_view import CURSOR, StreamView

    text = st.session_state["answer"]
    rng = random.Random(st.session_state["seed"])
    ticks = iter(range(10_000))
    view = StreamView(clock=lambda: next(ticks) * 0.03)  # some chunks land inside a flush window
    shown: list[str] = []
    position = 0
    while position < len(text):
        position = min(len(text), position + rng.randint(1, 7))
        view.show_text(text[:position])
        shown.append(view._shown)
    view.finish(text)
    st.session_state["shown"] = shown
    st.session_state["cursor"] = CURSOR


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _render(seed: int) -> AppTest:
    at = AppTest.from_function(_script)
    at.session_state["answer"] = ANSWER
    at.session_state["seed"] = seed
    at.run()
    assert not at.exception, at.exception
    return at


def test_final_text_is_exact_and_every_redraw_extends_the_last():
    for seed in range(5):
        at = _render(seed)
        # Streamlit trims each element's surrounding blank lines; the characters must all be there,
        # in order (tests/unit/test_markdown_blocks.py checks the split points byte for byte).
        drawn = "".join(md.value for md in at.markdown)
        assert _squeeze(drawn) == _squeeze(ANSWER)  # complete, and the cursor is gone
        shown = [s for s in at.session_state["shown"] if s]
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(shown))
        assert len(set(shown)) < len(at.session_state["shown"])  # some chunks were batched, not drawn


def test_finished_blocks_are_separate_elements_drawn_once():
    at = _render(0)
    values = [md.value for md in at.markdown]
    assert len(values) > 3
    assert any(v.startswith("```python") and v.rstrip().endswith("```") for v in values)
