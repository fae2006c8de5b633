"""The JSON export of one conversation as pydantic models: an import is validated against them,
an export is written from them, and docs/export-schema.json is generated from them with
`.venv/bin/python -m core.formats.conversation_schema` (a unit test fails when the file is out of
date)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from core.formats.parts import (
    MAX_DOCUMENTS_PER_MESSAGE,
    MAX_IMAGES_PER_MESSAGE,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    NAME_PATTERN,
    ExportDocument,
    ExportImage,
    ExportParams,
    ExportTiming,
    ExportUsage,
    StatusName,
    StrictPart,
)
from core.formats.strict import Document
from core.gateway.request import MODEL_ID_PATTERN

FORMAT = "gptproto-chat.conversation"
VERSION = 1
MAX_ID_CHARS = 64
MAX_MESSAGES = 5000
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "export-schema.json"


class ExportMessage(StrictPart):
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
    status: StatusName = Field(
        default="complete", description="Where an answer ended; streaming is imported as incomplete."
    )
    finish_reason: str | None = Field(default=None, max_length=32)
    usage: ExportUsage | None = None
    usage_reported: bool = True
    timing: ExportTiming = Field(default_factory=ExportTiming)
    created_at: float | None = Field(default=None, ge=0, description="Unix time in seconds.")
    images: list[ExportImage] = Field(default_factory=list, max_length=MAX_IMAGES_PER_MESSAGE)
    documents: list[ExportDocument] = Field(
        default_factory=list,
        max_length=MAX_DOCUMENTS_PER_MESSAGE,
        exclude_if=lambda value: not value,  # a message without documents is written as before
        description="Documents attached to a prompt, with their extracted text.",
    )


class ConversationExport(StrictPart):
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


CONVERSATION = Document(
    ConversationExport,
    FORMAT,
    VERSION,
    "conversation export",
    "the Conversations page",
    "Export a shorter conversation.",
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an export, generated from the models."""
    return ConversationExport.model_json_schema()


def json_schema_text() -> str:
    """The schema as committed in docs/export-schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(json_schema_text(), encoding="utf-8")
