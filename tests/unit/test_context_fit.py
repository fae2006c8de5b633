"""Input limits, the length counter, the context-window estimate and trimming, and their settings."""

from __future__ import annotations

import math
from typing import Any

import pytest

from core.context_fit import ContextTooLong, context_window, estimate_tokens, fit_context
from core.conversation import ChatParams, ImageAttachment, Message, Status
from core.gateway.request import CONTINUE_PROMPT, build_messages, continuation_history
from core.input_length import length_counter, too_long_message
from core.settings import SettingsError, resolve_settings


def test_too_long_message_names_the_limit_and_what_to_do():
    assert too_long_message("prompt", 100_000, 100_000) is None
    assert too_long_message("prompt", 123_456, 100_000) == (
        "The prompt is 123,456 characters long; the limit is 100,000. "
        "Shorten it by 23,456 characters, or split it over several messages."
    )
    assert too_long_message("instructions", 10**9, 0) is None  # 0 means no limit


def test_the_counter_appears_past_80_percent_of_the_limit():
    assert length_counter(79_999, 100_000) is None
    assert length_counter(80_000, 100_000) == "80,000 / 100,000 characters"
    assert length_counter(123_456, 100_000) == "123,456 / 100,000 characters"
    assert length_counter(5, 0) is None


def test_input_limit_settings_have_defaults_and_are_checked():
    defaults = resolve_settings({}, {}, {})
    assert (defaults.max_prompt_chars, defaults.max_instructions_chars) == (100_000, 20_000)
    assert defaults.allowed_image_hosts == ()
    custom = resolve_settings(
        {},
        {
            "GPTPROTO_MAX_PROMPT_CHARS": "5000",
            "GPTPROTO_MAX_INSTRUCTIONS_CHARS": "0",
            "GPTPROTO_ALLOWED_IMAGE_HOSTS": " img.example.com, *.cdn.example ,",
        },
        {},
    )
    assert (custom.max_prompt_chars, custom.max_instructions_chars) == (5000, 0)
    assert custom.allowed_image_hosts == ("img.example.com", "*.cdn.example")
    with pytest.raises(SettingsError, match="GPTPROTO_MAX_PROMPT_CHARS must be zero or more"):
        resolve_settings({}, {"GPTPROTO_MAX_PROMPT_CHARS": "-5"}, {})


def test_context_windows_default_for_the_default_models_and_can_be_extended():
    windows = resolve_settings({}, {}, {}).context_windows
    assert [context_window(windows, m) for m in ("o4-mini", "o3", "gpt-4o", "gpt-4o-mini")] == [
        200_000,
        200_000,
        128_000,
        128_000,
    ]
    assert context_window(windows, "gpt-4o-mini-2024-07-18") == 128_000
    assert context_window(windows, "openai/O3") == 200_000
    assert context_window(windows, "some-new-model") == 128_000
    custom = resolve_settings({}, {"GPTPROTO_CONTEXT_WINDOWS": "some-new-model=1_000_000, *=32000"}, {})
    assert context_window(custom.context_windows, "some-new-model") == 1_000_000
    assert context_window(custom.context_windows, "o3") == 200_000  # defaults stay
    assert context_window(custom.context_windows, "unlisted") == 32_000
    assert context_window({}, "anything") == 128_000


@pytest.mark.parametrize("raw", ["gpt-4o", "gpt-4o=big", "=1000", "o3=0"])
def test_a_bad_context_window_setting_is_named(raw):
    with pytest.raises(SettingsError, match=r"GPTPROTO_CONTEXT_WINDOWS entry .* model=tokens"):
        resolve_settings({}, {"GPTPROTO_CONTEXT_WINDOWS": raw}, {})


def test_tokens_are_estimated_at_four_characters_each_plus_fixed_costs():
    messages: list[dict[str, Any]] = [
        {"role": "developer", "content": "x" * 40},  # 4 + 10
        {"role": "user", "name": "ana", "content": "a" * 401},  # 4 + 1 + 101
        {
            "role": "user",
            "content": [{"type": "text", "text": "b" * 8}, {"type": "image_url", "image_url": {"url": "x"}}],
        },  # 4 + 2 + 1500
    ]
    assert estimate_tokens(messages) == 14 + 106 + 1506


PARAMS = ChatParams(model="m", max_completion_tokens=100, instructions="x" * 40)  # instructions: 14


def conversation() -> list[Message]:
    """Three exchanges; every message costs 104 tokens (4 + 400 / 4)."""
    return [
        Message(role="user", text="a" * 400, id="u1"),
        Message(role="assistant", text="b" * 400, id="a1"),
        Message(role="user", text="c" * 400, id="u2"),
        Message(role="assistant", text="d" * 400, id="a2"),
        Message(role="user", text="e" * 400, id="u3"),
    ]


def test_everything_is_sent_when_it_fits():
    fit = fit_context(conversation(), PARAMS, 100 + 14 + 5 * 104)
    assert [m.id for m in fit.history] == ["u1", "a1", "u2", "a2", "u3"]
    assert (fit.left_out, fit.estimated_tokens, fit.notice) == (0, 14 + 5 * 104, None)


def test_the_oldest_exchanges_are_left_out_and_the_user_is_told():
    fit = fit_context(conversation(), PARAMS, 100 + 14 + 5 * 104 - 1)
    assert [m.id for m in fit.history] == ["u2", "a2", "u3"]
    assert (fit.left_out, fit.estimated_tokens) == (2, 14 + 3 * 104)
    assert fit.notice == (
        "The 2 oldest messages were not sent: the whole conversation does not fit m's "
        "context window of 633 tokens."
    )
    body = build_messages(fit.history, PARAMS)
    assert body[0] == {"role": "developer", "content": "x" * 40}  # instructions always stay


def test_only_the_latest_prompt_is_sent_when_nothing_else_fits():
    fit = fit_context(conversation(), PARAMS, 100 + 14 + 104)
    assert [m.id for m in fit.history] == ["u3"] and fit.left_out == 4


def test_a_prompt_that_cannot_fit_alone_is_refused_with_what_to_do():
    with pytest.raises(ContextTooLong) as refused:
        fit_context(conversation(), PARAMS, 100 + 14 + 103)
    assert str(refused.value) == (
        "This prompt is about 118 tokens with the instructions, more than the 117 that m takes in "
        "(a 217-token context window, 100 kept for the answer). Shorten the prompt or the "
        "instructions, or pick a model with a larger context window."
    )


def test_a_completion_limit_as_large_as_the_window_is_refused():
    params = ChatParams(model="m", max_completion_tokens=1000)
    with pytest.raises(ContextTooLong, match=r"max_completion_tokens \(1,000\) leaves no room"):
        fit_context(conversation(), params, 1000)


def test_without_a_completion_limit_4096_tokens_are_kept_for_the_answer():
    params = ChatParams(model="m")
    assert fit_context(conversation(), params, 4096 + 104).left_out == 4
    with pytest.raises(ContextTooLong):
        fit_context(conversation(), params, 4096 + 103)


def test_images_and_failed_answers_count_as_they_are_sent():
    image = ImageAttachment(name="a.png", mime="image/png", data=b"x", width=1, height=1)
    history = [
        Message(role="user", text="a" * 400, id="u1", images=[image]),  # 4 + 100 + 1500
        Message(role="assistant", text="oops", id="a1", status=Status.FAILED),  # not sent
        Message(role="user", text="e" * 400, id="u2"),  # 104
    ]
    params = ChatParams(model="m", max_completion_tokens=100)
    assert fit_context(history, params, 100 + 104 + 1604).left_out == 0
    fit = fit_context(history, params, 100 + 104 + 1603)
    assert [m.id for m in fit.history] == ["u2"] and fit.left_out == 1  # the failed answer was never sent


def test_a_continuation_keeps_the_answer_it_continues_before_older_exchanges():
    history = continuation_history(conversation()[:4])
    hidden_prompt = 4 + math.ceil(len(CONTINUE_PROMPT) / 4)
    fit = fit_context(history, PARAMS, 100 + 14 + hidden_prompt + 2 * 104)
    assert [m.id for m in fit.history[:2]] == ["u2", "a2"] and fit.left_out == 2
    assert fit.history[-1].text == CONTINUE_PROMPT
