"""Prompt sets (a presenter's run sheets): an ordered list of prompts, each with its own
instructions and images. Checked before they are saved, exported as JSON or YAML, imported back
with the same hostile-input checks as a conversation export, and priced before a run.

A file is one object: `format` "gptproto-chat.prompt-set", `version` 1, `name`, and `prompts`, a
list of {text, instructions, images: [{name, mime, data (base64)}]}. YAML is read with the safe
loader and refuses anchors and aliases (a few lines of them can expand to gigabytes)."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.compare_flow import with_instructions
from core.context_fit import estimate_tokens
from core.conversation import ChatParams, ImageAttachment, user_message
from core.export_schema import IMAGE_MIMES, MAX_TEXT_CHARS
from core.gateway.request import build_messages
from core.images import ImageLimits, ImageRejected, format_bytes, prepare_image
from core.input_length import too_long_message
from core.transfer import ImportRejected, _check_strings, _describe, _parse, _text_of, checked_document

FORMAT = "gptproto-chat.prompt-set"
VERSION = 1
MAX_NAME_CHARS = 100
MAX_PROMPTS = 100
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_YAML_DEPTH = 8  # a file nests 4 levels: file, prompts, prompt, images (and an image)
FileFormat = Literal["json", "yaml"]

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


# -- the file format ---------------------------------------------------------------------------------


class _Part(BaseModel):
    # Strict, as the conversation export: "1" is not text-less 1, and yes is not text.
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class PromptSetImage(_Part):
    """An image of a prompt, inline: decoded, checked and re-encoded without metadata on import."""

    name: str = Field(default="image", min_length=1, max_length=255)
    mime: str = Field(default="", max_length=32)
    data: str = Field(min_length=1, description="The image file, base64.")

    @model_validator(mode="after")
    def _known_mime(self) -> PromptSetImage:
        if self.mime not in IMAGE_MIMES:
            raise ValueError(f"mime must be one of {', '.join(IMAGE_MIMES)}")
        return self


class PromptSetPrompt(_Part):
    """One prompt: its text, its own instructions (empty: the Compare page's), its images."""

    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    instructions: str = Field(default="", max_length=MAX_TEXT_CHARS)
    images: list[PromptSetImage] = Field(default_factory=list, max_length=16)


class PromptSetFile(_Part):
    """A prompt set exported by GPTProto Chat."""

    format: Literal["gptproto-chat.prompt-set"]
    version: Literal[1]
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    prompts: list[PromptSetPrompt] = Field(min_length=1, max_length=MAX_PROMPTS)


def export_prompt_set(prompt_set: PromptSet, file_format: FileFormat) -> str:
    """The set as a JSON or YAML file that `import_prompt_set` reads back."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": prompt_set.name,
        "prompts": items_to_data(prompt_set.items),
    }
    if file_format == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def import_prompt_set(
    raw: bytes,
    file_name: str,
    image_limits: ImageLimits | None = None,
    text_limits: TextLimits = TextLimits(),
) -> PromptSet:
    """Read a .json, .yaml or .yml prompt set; PromptSetRejected says what is wrong and where."""
    limits = image_limits or ImageLimits()
    if len(raw) > MAX_FILE_BYTES:
        raise PromptSetRejected(
            f"The file is {format_bytes(len(raw))}; the limit is {format_bytes(MAX_FILE_BYTES)}."
        )
    try:
        text = _text_of(raw)
        data = _parse_yaml(text) if file_name.lower().endswith((".yaml", ".yml")) else _parse(text)
        data = checked_document(data, FORMAT, VERSION, "prompt set", "the Compare page's prompt sets")
    except PromptSetRejected:
        raise
    except ImportRejected as exc:
        raise PromptSetRejected(str(exc)) from None
    try:
        parsed = PromptSetFile.model_validate(data)
    except ValidationError as error:
        raise PromptSetRejected(_describe(error.errors(include_url=False, include_input=False))) from None
    items = tuple(
        PromptItem(
            prompt.text,
            prompt.instructions,
            tuple(
                _image(image, f"prompts[{n}].images[{i}]", limits) for i, image in enumerate(prompt.images)
            ),
        )
        for n, prompt in enumerate(parsed.prompts)
    )
    return check_prompt_set(parsed.name, items, text_limits, limits.max_count)


def _image(image: PromptSetImage, where: str, limits: ImageLimits) -> ImageAttachment:
    try:
        data = base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError):
        raise PromptSetRejected(f"{where}.data: is not valid base64.") from None
    try:
        return prepare_image(image.name, data, limits)
    except ImageRejected as error:
        raise PromptSetRejected(f"{where}: {error}") from None


def _parse_yaml(text: str) -> Any:
    """YAML through the safe loader, after refusing aliases and deep nesting; keys must be text."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise PromptSetRejected(
                    f"{_where(event)}: YAML aliases (*name) are not accepted in a prompt set; "
                    "write each value out."
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise PromptSetRejected(
                        f"{_where(event)}: the YAML nests deeper than {MAX_YAML_DEPTH} levels "
                        "(a prompt set nests 4). This is not a GPTProto Chat prompt set."
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "it could not be read"
        raise PromptSetRejected(f"{where}the file is not valid YAML ({problem}).") from None
    _check_keys_and_numbers(data, "")
    _check_strings(data, "")
    return data


def _where(event: yaml.Event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "the file"


def _check_keys_and_numbers(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise PromptSetRejected(f"{where or 'the file'}: the key {key!r} must be text.")
            _check_keys_and_numbers(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_keys_and_numbers(item, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise PromptSetRejected(f"{where}: {value} is not a number a prompt set allows.")


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
