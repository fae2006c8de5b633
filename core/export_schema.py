"""The JSON export of one conversation as pydantic models: an import is validated against them,
an export is written from them, and docs/export-schema.json is generated from them with
`.venv/bin/python -m core.export_schema` (a unit test fails when the file is out of date)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from core.gateway.request import MODEL_ID_PATTERN

FORMAT = "gptproto-chat.conversation"
VERSION = 1
MAX_DEPTH = 8  # an export nests 5 levels: file, messages, message, images, image
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 1_000_000
MAX_ID_CHARS = 64
MAX_MESSAGES = 5000
MAX_IMAGES_PER_MESSAGE = 16
MAX_IMAGE_NAME_CHARS = 255
MAX_IMAGE_URL_CHARS = 4096
NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"  # the API's pattern for messages[].name
HTTPS_URL_PATTERN = r"^https://[^\s]+$"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp", "image/gif")
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "export-schema.json"


class _Part(BaseModel):
    # Strict: "1" is not a number and 1 is not true. Unknown keys are ignored, as they always were.
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class ExportUsage(_Part):
    """Token counts as the gateway reported them."""

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    reasoning_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0)


class ExportTiming(_Part):
    """Seconds the app measured around the request."""

    first_token_s: float | None = Field(default=None, ge=0, description="Time to the first token.")
    total_s: float | None = Field(default=None, ge=0, description="Time to the whole answer.")


class ExportImage(_Part):
    """An image of a user message: inline (`data`, base64) or a link the user sent (`url`), never both."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["data"]}, {"required": ["url"]}]})

    name: str = Field(default="image", max_length=MAX_IMAGE_NAME_CHARS, description="The file name.")
    mime: str = Field(
        default="", max_length=32, description=f"For inline images one of {', '.join(IMAGE_MIMES)}."
    )
    width: int = Field(default=0, ge=0, description="Pixels; recomputed on import.")
    height: int = Field(default=0, ge=0, description="Pixels; recomputed on import.")
    url: str | SkipJsonSchema[None] = Field(
        default=None,
        max_length=MAX_IMAGE_URL_CHARS,
        pattern=HTTPS_URL_PATTERN,
        exclude_if=lambda value: value is None,
        description="An https link sent as an image.",
        json_schema_extra={"pattern": HTTPS_URL_PATTERN},  # pydantic leaves it out beside SkipJsonSchema
    )
    data: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The image file, base64; decoded, checked and re-encoded without metadata on import.",
        json_schema_extra={"contentEncoding": "base64"},
    )

    @model_validator(mode="after")
    def _inline_or_link(self) -> ExportImage:
        if (self.data is None) == (self.url is None):
            raise ValueError("an image needs exactly one of data (inline, base64) or url (an https link)")
        if self.data is not None and self.mime not in IMAGE_MIMES:
            raise ValueError(f"mime must be one of {', '.join(IMAGE_MIMES)} for an inline image")
        return self


class ExportParams(_Part):
    """The chat's settings."""

    model: str = Field(pattern=MODEL_ID_PATTERN, description="The model id.")
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: bool = True
    instructions: str = Field(default="", max_length=MAX_TEXT_CHARS)
    instructions_role: Literal["developer", "system"] = "developer"
    user_name: str | None = Field(default=None, pattern=NAME_PATTERN, description="Sent as messages[].name.")


class ExportMessage(_Part):
    """One message of any branch; a message follows its parent, which comes before it in the file."""

    id: str = Field(
        min_length=1, max_length=MAX_ID_CHARS, description="Unique in the file; replaced on import."
    )
    parent_id: str | None = Field(
        default=None, max_length=MAX_ID_CHARS, description="null for the first prompt."
    )
    role: Literal["user", "assistant"]
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    name: str | None = Field(
        default=None, pattern=NAME_PATTERN, description="The participant name of a prompt."
    )
    model: str | None = Field(default=None, pattern=MODEL_ID_PATTERN, description="The model of an answer.")
    status: Literal["streaming", "complete", "cut_off", "stopped", "incomplete", "failed"] = Field(
        default="complete", description="Where an answer ended; streaming is imported as incomplete."
    )
    finish_reason: str | None = Field(default=None, max_length=32)
    usage: ExportUsage | None = None
    usage_reported: bool = True
    timing: ExportTiming = Field(default_factory=ExportTiming)
    created_at: float | None = Field(default=None, ge=0, description="Unix time in seconds.")
    images: list[ExportImage] = Field(default_factory=list, max_length=MAX_IMAGES_PER_MESSAGE)


class ConversationExport(_Part):
    """One conversation exported by GPTProto Chat, with every branch."""

    model_config = ConfigDict(title="GPTProto Chat conversation export")

    format: Literal["gptproto-chat.conversation"]
    version: Literal[1]
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    exported_at: str | None = Field(default=None, max_length=64, description="ISO 8601, UTC.")
    params: ExportParams
    leaf_id: str | None = Field(
        default=None, max_length=MAX_ID_CHARS, description="The last message of the branch on show."
    )
    messages: list[ExportMessage] = Field(min_length=1, max_length=MAX_MESSAGES)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an export, generated from the models."""
    return ConversationExport.model_json_schema()


def json_schema_text() -> str:
    """The schema as committed in docs/export-schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(json_schema_text(), encoding="utf-8")
