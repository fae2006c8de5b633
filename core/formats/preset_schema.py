"""A presets file (JSON, documented in docs/export-format.md) as pydantic models: one object with
`format` "gptproto-chat.presets", `version` 1 and `presets`, a list of {name, model,
instructions, instructions_role, parameters, starters}. docs/preset-schema.json is generated
from them with `.venv/bin/python -m core.formats.preset_schema` (a unit test fails when the file
is out of date)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from core.formats.parts import MAX_TEXT_CHARS, StrictPart
from core.formats.strict import Document
from core.gateway.request import MODEL_ID_PATTERN
from core.presets import MAX_NAME_CHARS, MAX_PRESETS_PER_FILE, MAX_STARTER_CHARS, MAX_STARTERS
from core.sampling import names

FORMAT = "gptproto-chat.presets"
VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "preset-schema.json"


class PresetEntry(StrictPart):
    """One preset: what a new chat starts from."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    model: str = Field(pattern=MODEL_ID_PATTERN, description="The model a new chat starts with.")
    instructions: str = Field(default="", max_length=MAX_TEXT_CHARS)
    instructions_role: Literal["auto", "developer", "system"] = Field(
        default="auto", description="auto: developer for o-series models, system for the others."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Only the parameters set, each checked for its range: {', '.join(names())}.",
    )
    starters: list[Annotated[str, Field(max_length=MAX_STARTER_CHARS)]] = Field(
        default_factory=list,
        max_length=MAX_STARTERS,
        description="Short prompts offered as suggestions on an empty chat.",
    )


class PresetsFile(StrictPart):
    """Presets exported by GPTProto Chat."""

    format: Literal["gptproto-chat.presets"]
    version: Literal[1]
    presets: list[PresetEntry] = Field(min_length=1, max_length=MAX_PRESETS_PER_FILE)


PRESETS = Document(
    PresetsFile,
    FORMAT,
    VERSION,
    "presets file",
    "the Conversations page's presets",
    "Split the presets over several files.",
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a presets file, generated from the models."""
    return PresetsFile.model_json_schema()


def json_schema_text() -> str:
    """The schema as committed in docs/preset-schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(json_schema_text(), encoding="utf-8")
