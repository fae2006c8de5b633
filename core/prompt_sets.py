"""Prompt sets (a presenter's run sheets): an ordered list of prompts, each with its own
instructions and images. Checked before they are saved, stored, and priced before a run. Their
JSON and YAML files are core.formats.prompt_set's."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.compare_flow import with_instructions
from core.context_fit import estimate_tokens
from core.conversation import ChatParams, ImageAttachment, user_message
from core.formats.strict import ImportRejected
from core.gateway.request import build_messages
from core.input_length import too_long_message

MAX_NAME_CHARS = 100
MAX_PROMPTS = 100

# What a run's estimate assumes for the answers: when max_completion_tokens is set, each answer
# is priced at that limit (an upper bound); otherwise at this many tokens.
ASSUMED_COMPLETION_TOKENS = 500


class PromptSetRejected(ImportRejected):
    """A prompt set that cannot be saved or imported; the message says what and where."""


@dataclass(frozen=True)
class PromptItem:
    """One prompt of a set: its text, its own instructions (empty: the sidebar's), its images."""

    text: str
    instructions: str = ""
    images: tuple[ImageAttachment, ...] = ()


@dataclass(frozen=True)
class PromptSet:
    """A named, ordered list of prompts; `id` once stored."""

    name: str
    items: tuple[PromptItem, ...]
    id: str | None = None


@dataclass(frozen=True)
class TextLimits:
    """The longest prompt and instructions, in characters (0: no limit), as the settings say."""

    prompt_chars: int = 100_000
    instructions_chars: int = 20_000


# -- checking what the presenter wrote -------------------------------------------------------------


def check_prompt_set(
    name: str,
    items: Sequence[PromptItem],
    text_limits: TextLimits = TextLimits(),
    max_images: int = 4,
    set_id: str | None = None,
) -> PromptSet:
    """The set with its name tidied, or PromptSetRejected naming the first problem and where."""
    clean = " ".join(name.split())
    if not clean:
        raise PromptSetRejected("Give the prompt set a name.")
    if len(clean) > MAX_NAME_CHARS:
        raise PromptSetRejected(f"The name is {len(clean)} characters long; the limit is {MAX_NAME_CHARS}.")
    if not items:
        raise PromptSetRejected("Add at least one prompt.")
    if len(items) > MAX_PROMPTS:
        raise PromptSetRejected(
            f"A prompt set holds at most {MAX_PROMPTS} prompts; this one has {len(items)}."
        )
    for number, item in enumerate(items, start=1):
        problem = _item_problem(item, text_limits, max_images)
        if problem:
            raise PromptSetRejected(f"Prompt {number}: {problem}")
    return PromptSet(clean, tuple(items), set_id)


def _item_problem(item: PromptItem, text_limits: TextLimits, max_images: int) -> str | None:
    if not item.text.strip() and not item.images:
        return "write a prompt or attach an image (or remove it)."
    if max_images and len(item.images) > max_images:
        return f"{len(item.images)} images attached; at most {max_images} per prompt. Remove some."
    return too_long_message("prompt", len(item.text), text_limits.prompt_chars) or too_long_message(
        "instructions", len(item.instructions), text_limits.instructions_chars
    )


# -- the stored form (trusted: written by this module) --------------------------------------------


def items_to_data(items: Sequence[PromptItem]) -> list[dict[str, Any]]:
    """The prompts as JSON-ready dicts, images inline in base64."""
    return [
        {
            "text": item.text,
            "instructions": item.instructions,
            "images": [
                {"name": image.name, "mime": image.mime, "data": base64.b64encode(image.data).decode("ascii")}
                for image in item.images
            ],
        }
        for item in items
    ]


def items_from_data(data: Sequence[Mapping[str, Any]]) -> tuple[PromptItem, ...]:
    """The prompts back from `items_to_data` (sizes are not kept: 0 until re-read)."""
    return tuple(
        PromptItem(
            text=str(item.get("text", "")),
            instructions=str(item.get("instructions", "")),
            images=tuple(
                ImageAttachment(
                    name=str(image.get("name", "image")),
                    mime=str(image.get("mime", "")),
                    data=base64.b64decode(str(image.get("data", ""))),
                )
                for image in item.get("images") or []
            ),
        )
        for item in data
    )


# -- what a run will cost ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunEstimate:
    """What running prompts against models may cost, from the configured prices: prompt tokens
    estimated from the text (characters / 4, a fixed amount per image), and each answer assumed
    to be `completion_tokens` long."""

    prompts: int
    models: tuple[str, ...]
    prompt_tokens: int  # summed over every request
    completion_tokens: int  # per answer, assumed
    usd: float
    unpriced: tuple[str, ...] = field(default=())

    @property
    def requests(self) -> int:
        """One request per prompt and model."""
        return self.prompts * len(self.models)

    def describe(self) -> str:
        """'≈ $0.0123 for 3 prompts × 2 models (6 requests) …' with the assumption stated."""
        priced = f"≈ ${self.usd:.4f}" if len(self.unpriced) < len(self.models) else "no price set"
        text = (
            f"Estimated cost: {priced} for {self.prompts} prompt(s) × {len(self.models)} models "
            f"({self.requests} requests): about {self.prompt_tokens:,} prompt tokens in all (text "
            f"length / 4, images at a fixed size) and {self.completion_tokens:,} completion tokens "
            "assumed per answer."
        )
        if self.unpriced:
            text += f" Not counted, no price set: {', '.join(self.unpriced)}."
        return text


def estimate_run(
    items: Sequence[PromptItem],
    models: Sequence[str],
    params: ChatParams,
    prices: Mapping[str, tuple[float, float]],
    *,
    carry: bool = False,
) -> RunEstimate:
    """The estimate for sending each prompt to each model, one round after another; with `carry`
    each request also holds the earlier prompts and (assumed) answers."""
    completion = params.max_completion_tokens or ASSUMED_COMPLETION_TOKENS
    per_request: list[int] = []
    earlier = 0
    for item in items:
        own = with_instructions(params, item.instructions)
        sent = estimate_tokens(build_messages([user_message(item.text, images=list(item.images))], own))
        per_request.append(sent + (earlier if carry else 0))
        earlier += sent + completion
    prompt_tokens = sum(per_request)
    usd = 0.0
    unpriced = []
    for model in models:
        if model not in prices:
            unpriced.append(model)
            continue
        input_price, output_price = prices[model]
        usd += (prompt_tokens * input_price + completion * len(items) * output_price) / 1_000_000
    return RunEstimate(
        len(items), tuple(models), prompt_tokens * len(models), completion, usd, tuple(unpriced)
    )
