"""Fitting a conversation into the model's context window before anything is sent: an estimate
of its tokens, and the oldest exchanges left out when it does not fit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.conversation import ChatParams, Message
from core.gateway.request import InputError, build_messages, sendable

# A documented estimate, not a tokenizer: English text averages about 4 characters per token
# with OpenAI's tokenizers (code and other languages run denser, so the estimate leans high by
# rounding up and by the per-message overhead). An image costs a fixed amount: the high-detail
# price of the largest image the app sends (2048×768 after downscaling: 85 + 8 tiles × 170).
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_IMAGE = 1_500
# Room kept for the answer when max_completion_tokens is not set.
ANSWER_RESERVE_TOKENS = 4_096
DEFAULT_CONTEXT_WINDOW = 128_000  # when the settings name no window for the model nor "*"


class ContextTooLong(InputError):
    """Even the instructions and the latest prompt alone do not fit the model's context."""


@dataclass(frozen=True)
class ContextFit:
    """The history to send, and what was left out to make it fit."""

    history: list[Message]
    left_out: int  # messages dropped from the start of the conversation
    estimated_tokens: int  # of the messages sent, as `estimate_tokens` counts them
    window: int
    notice: str | None  # what to tell the user when something was left out


def context_window(windows: Mapping[str, int], model: str) -> int:
    """The model's context window: its own entry, else the longest listed id it extends (a dated
    snapshot such as gpt-4o-2024-08-06), else the "*" entry, else DEFAULT_CONTEXT_WINDOW."""
    name = model.strip().lower()
    lowered = {key.lower(): value for key, value in windows.items()}
    if name in lowered:
        return lowered[name]
    base = name.rsplit("/", 1)[-1]  # a provider prefix such as openai/gpt-4o
    candidates = [key for key in lowered if key != "*" and (base == key or base.startswith(key + "-"))]
    if candidates:
        return lowered[max(candidates, key=len)]
    return lowered.get("*", DEFAULT_CONTEXT_WINDOW)


def estimate_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of request messages (the gateway's shape): characters / 4, rounded
    up, per text; TOKENS_PER_IMAGE per image part; TOKENS_PER_MESSAGE per message."""
    total = 0
    for message in messages:
        total += TOKENS_PER_MESSAGE + text_tokens(str(message.get("name") or ""))
        content = message.get("content")
        if isinstance(content, str):
            total += text_tokens(content)
            continue
        for part in content or []:
            if part.get("type") == "image_url":
                total += TOKENS_PER_IMAGE
            else:
                total += text_tokens(str(part.get("text") or ""))
    return total


def fit_context(history: Sequence[Message], params: ChatParams, window: int) -> ContextFit:
    """The history trimmed to fit `window`: the oldest exchanges go first; the instructions and
    the latest prompt always stay. Raises ContextTooLong when even those do not fit."""
    reserve = params.max_completion_tokens or ANSWER_RESERVE_TOKENS
    budget = window - reserve
    if budget <= 0:
        raise ContextTooLong(
            f"max_completion_tokens ({reserve:,}) leaves no room for the prompt in "
            f"{params.model}'s context window of {window:,} tokens. Lower it, or clear it."
        )
    latest_start = max((i for i, m in enumerate(history) if m.role == "user"), default=0)
    latest, earlier = list(history[latest_start:]), list(history[:latest_start])
    needed = estimate_tokens(build_messages(latest, params))
    if needed > budget:
        raise ContextTooLong(
            f"This prompt is about {needed:,} tokens with the instructions, more than the "
            f"{budget:,} that {params.model} takes in (a {window:,}-token context window, "
            f"{reserve:,} kept for the answer). Shorten the prompt or the instructions, or "
            "pick a model with a larger context window."
        )
    kept: list[Message] = []
    for exchange in reversed(_exchanges(earlier)):
        cost = estimate_tokens(build_messages(exchange, ChatParams(model=params.model)))
        if needed + cost > budget:
            break
        needed += cost
        kept[:0] = exchange
    left_out = sum(1 for m in earlier[: len(earlier) - len(kept)] if sendable(m))
    notice = None
    if left_out:
        messages = f"{left_out:,} oldest messages were" if left_out > 1 else "oldest message was"
        notice = (
            f"The {messages} not sent: the whole conversation does not fit {params.model}'s "
            f"context window of {window:,} tokens."
        )
    return ContextFit([*kept, *latest], left_out, needed, window, notice)


def _exchanges(history: Sequence[Message]) -> list[list[Message]]:
    """The history cut before each user message: a prompt with the answers that follow it."""
    exchanges: list[list[Message]] = []
    for message in history:
        if message.role == "user" or not exchanges:
            exchanges.append([message])
        else:
            exchanges[-1].append(message)
    return exchanges


def text_tokens(text: str) -> int:
    """Estimated tokens of a text: its characters / CHARS_PER_TOKEN, rounded up (see above)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)
