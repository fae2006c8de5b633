"""A prompt set's file (JSON or YAML, documented in docs/comparison-formats.md) as pydantic
models: one object with `format` "gptproto-chat.prompt-set", `version` 1, `name`, and `prompts`,
a list of {text, instructions, images: [{name, mime, data (base64)}]}."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.formats.parts import IMAGE_MIMES, MAX_TEXT_CHARS, StrictPart
from core.formats.strict import Document
from core.prompt_sets import MAX_NAME_CHARS, MAX_PROMPTS

FORMAT = "gptproto-chat.prompt-set"
VERSION = 1
MAX_IMAGES_PER_PROMPT = 16  # the upload limit (GPTPROTO_IMAGE_MAX_COUNT) is checked after


class PromptSetImage(StrictPart):
    """An image of a prompt, inline: decoded, checked and re-encoded without metadata on import."""

    name: str = Field(default="image", min_length=1, max_length=255)
    mime: str = Field(default="", max_length=32)
    data: str = Field(min_length=1, description="The image file, base64.")

    @model_validator(mode="after")
    def _known_mime(self) -> PromptSetImage:
        if self.mime not in IMAGE_MIMES:
            raise ValueError(f"mime must be one of {', '.join(IMAGE_MIMES)}")
        return self


class PromptSetPrompt(StrictPart):
    """One prompt: its text, its own instructions (empty: the Compare page's), its images."""

    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    instructions: str = Field(default="", max_length=MAX_TEXT_CHARS)
    images: list[PromptSetImage] = Field(default_factory=list, max_length=MAX_IMAGES_PER_PROMPT)


class PromptSetFile(StrictPart):
    """A prompt set exported by GPTProto Chat."""

    format: Literal["gptproto-chat.prompt-set"]
    version: Literal[1]
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    prompts: list[PromptSetPrompt] = Field(min_length=1, max_length=MAX_PROMPTS)


PROMPT_SET = Document(
    PromptSetFile,
    FORMAT,
    VERSION,
    "prompt set",
    "the Compare page's prompt sets",
    "Split the set into smaller ones.",
)
