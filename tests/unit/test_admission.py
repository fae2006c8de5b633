"""What admission holds for an answer in flight, and the usage estimated for an answer whose
gateway reported none: the characters-per-token rule, with the arithmetic in comments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.admission import Hold, estimated_usage, hold_for, streaming_bound
from core.conversation import ChatParams, Message, Status, Usage, user_message
from core.settings import Settings

PROMPT = user_message("x" * 400)  # 400 characters: 100 tokens, plus 4 for the message


def test_a_hold_is_the_prompts_estimate_plus_the_answers_max_completion_tokens_at_its_price():
    settings = Settings(prices={"o3": (2.0, 8.0)})
    hold = hold_for([PROMPT], ChatParams(model="o3", max_completion_tokens=1_000), settings)
    assert (hold.prompt_tokens, hold.completion_tokens, hold.tokens) == (104, 1_000, 1_104)
    assert hold.cost_usd == pytest.approx(0.008208)  # 104 × $2 + 1,000 × $8 per million tokens


def test_without_max_completion_tokens_the_configured_default_is_held():
    params = ChatParams(model="gpt-4o", instructions="Be brief.")  # 9 characters: 3 tokens, plus 4
    assert hold_for([PROMPT], params, Settings()) == Hold(111, 4_096, None)
    assert hold_for([PROMPT], params, Settings(limit_reserve_tokens=500)) == Hold(111, 500, None)


def test_a_prompt_the_model_cannot_take_holds_nothing_because_nothing_is_sent():
    settings = Settings(context_windows={"*": 1_000})
    too_long = user_message("x" * 8_000)  # 2,004 tokens, past the 1,000-token window
    assert hold_for([too_long], ChatParams(model="o3", max_completion_tokens=10), settings) == Hold()


def answer(text: str, status: Status) -> Message:
    return Message(role="assistant", text=text, model="o3", status=status)


def test_an_answer_without_usage_is_its_prompt_plus_its_text_at_four_characters_a_token():
    # 401 characters round up to 101 tokens.
    assert estimated_usage(answer("y" * 401, Status.STOPPED), 104) == Usage(104, 101, 205)
    assert estimated_usage(answer("y" * 8, Status.INCOMPLETE), 104) == Usage(104, 2, 106)
    assert estimated_usage(answer("y" * 40, Status.FAILED), 104) == Usage(104, 10, 114)
    # Stopped before any text: the prompt had been sent.
    assert estimated_usage(answer("", Status.STOPPED), 104) == Usage(104, 0, 104)


def test_a_continue_counts_only_the_text_its_own_request_brought():
    continued = answer("y" * 400 + "z" * 41, Status.STOPPED)
    assert estimated_usage(continued, 30, prior_chars=400) == Usage(30, 11, 41)


def test_a_request_that_failed_before_any_text_used_nothing():
    assert estimated_usage(answer("", Status.FAILED), 104) is None
    assert estimated_usage(answer("y" * 400, Status.FAILED), 104, prior_chars=400) is None


def test_a_request_can_stream_for_the_total_timeout_and_a_minute_more():
    assert streaming_bound(600) == timedelta(seconds=660)
    assert streaming_bound(2.5) == timedelta(seconds=62.5)
