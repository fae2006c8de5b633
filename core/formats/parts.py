"""The pieces every exported file is built from, as strict pydantic models: a file's options,
token counts, timings, images and documents, and the limits and patterns they are held to."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from core.conversation import ChatParams
from core.documents import DOCUMENT_TYPES, is_document, kind_of
from core.feedback import MAX_COMMENT_CHARS, Feedback
from core.folders import MAX_FOLDER_NAME_CHARS, FolderNameRejected, clean_folder_name
from core.formats.checks import ImportRejected
from core.gateway.request import MODEL_ID_PATTERN
from core.sampling import (
    MAX_STOP_CHARS,
    MAX_STOP_SEQUENCES,
    SEED_LIMIT,
    Sampling,
    number_range,
    sampling_from_dict,
)
from core.web_address import parse_web_address

MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 1_000_000
MAX_IMAGES_PER_MESSAGE = 16
MAX_DOCUMENTS_PER_MESSAGE = 16
MAX_DOCUMENT_PAGES = 100_000
MAX_IMAGE_NAME_CHARS = 255
MAX_IMAGE_URL_CHARS = 4096
NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"  # the API's pattern for messages[].name
HTTPS_URL_PATTERN = r"^https://[^\s]+$"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp", "image/gif")
StatusName = Literal["streaming", "complete", "cut_off", "stopped", "incomplete", "failed"]

# What each pattern asks for, in the words an import's refusal uses.
PATTERN_WORDS = {
    NAME_PATTERN: "must be 1 to 64 letters, digits, '_' or '-' (no spaces), the API's name pattern",
    MODEL_ID_PATTERN: "must be a model id: 1 to 100 letters, digits and . _ : / - (no spaces)",
    HTTPS_URL_PATTERN: "must be an https:// link with no spaces",
}


class StrictPart(BaseModel):
    """The base of every model of a file: "1" is not a number and 1 is not true; unknown keys are
    ignored, as they always were."""

    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class ExportUsage(StrictPart):
    """Token counts as the gateway reported them."""

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    reasoning_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0)


class ExportTiming(StrictPart):
    """Seconds the app measured around the request."""

    first_token_s: float | None = Field(default=None, ge=0, description="Time to the first token.")
    total_s: float | None = Field(default=None, ge=0, description="Time to the whole answer.")


class ExportImage(StrictPart):
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
        if self.url is not None and parse_web_address(self.url) is None:
            # The link is shown to whoever opens the chat (a shared one too): only a plain URL.
            raise ValueError(
                "url must be a plain https link to a host, without spaces, quotes, brackets, "
                "parentheses, backslashes or backticks (percent-encode them)"
            )
        if self.data is not None and self.mime not in IMAGE_MIMES:
            raise ValueError(f"mime must be one of {', '.join(IMAGE_MIMES)} for an inline image")
        return self


class ExportFeedback(StrictPart):
    """The exporting person's thumb up or down on an answer, with their comment."""

    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)


def optional_feedback() -> Any:
    """An answer's `feedback` field: absent from the file when there is none."""
    return Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The exporting person's thumb up or down and comment; only on an answer.",
    )


def optional_folder() -> Any:
    """A file's `folder` field: absent when the conversation is in no folder."""
    return Field(
        default=None,
        max_length=MAX_FOLDER_NAME_CHARS,
        exclude_if=lambda value: value is None,
        description="The exporting person's folder; imported into the importer's folder of that name.",
    )


def feedback_from(item: ExportFeedback | None) -> Feedback | None:
    """An imported verdict (its comment trimmed as one typed on the page)."""
    return None if item is None else Feedback(item.rating, item.comment.strip())


def export_feedback(feedback: Feedback | None) -> ExportFeedback | None:
    """A stored verdict as exported."""
    if feedback is None:
        return None
    return ExportFeedback.model_construct(rating=feedback.rating, comment=feedback.comment)


def imported_folder(name: str | None) -> str | None:
    """A file's folder name, checked like one typed on the page (ImportRejected says why)."""
    if name is None:
        return None
    try:
        return clean_folder_name(name)
    except FolderNameRejected as exc:
        raise ImportRejected(f"folder: {exc}") from None


def _range(name: str) -> Any:
    low, high = number_range(name)
    return Field(default=None, ge=low, le=high, exclude_if=_unset)


def _unset(value: object) -> bool:
    return value is None


class ExportSampling(StrictPart):
    """The optional request parameters that were set (each is sent only when set); an unknown
    name or a value out of range is refused, with core.sampling's message."""

    model_config = ConfigDict(extra="forbid")

    reasoning_effort: Literal["low", "medium", "high"] | None = Field(default=None, exclude_if=_unset)
    temperature: float | None = _range("temperature")
    top_p: float | None = _range("top_p")
    seed: int | None = Field(default=None, ge=-SEED_LIMIT, le=SEED_LIMIT, exclude_if=_unset)
    presence_penalty: float | None = _range("presence_penalty")
    frequency_penalty: float | None = _range("frequency_penalty")
    stop: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_STOP_SEQUENCES,
        exclude_if=_unset,
        description=f"1 to {MAX_STOP_SEQUENCES} texts of 1 to {MAX_STOP_CHARS} characters.",
    )

    @model_validator(mode="before")
    @classmethod
    def _as_the_app_reads_them(cls, data: Any) -> Any:
        sampling_from_dict(data)  # SamplingError is a ValueError: its message is the refusal
        return data

    def to_sampling(self) -> Sampling:
        """The parameters as the app holds them."""
        return sampling_from_dict(self.model_dump(exclude_none=True))


def export_sampling(sampling: Sampling) -> ExportSampling | None:
    """The set parameters as written into a file; None when none is set (the key is left out)."""
    return None if sampling.is_empty() else ExportSampling.model_construct(**sampling.as_dict())


class ExportDocument(StrictPart):
    """A document attached to a user message, with the text extracted from it (what was sent)."""

    name: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_NAME_CHARS,
        description=f"The file name; its extension is one of {', '.join(DOCUMENT_TYPES)}.",
    )
    kind: Literal["pdf", "docx", "text"] = Field(description="How it was read: by its extension.")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The extracted text.")
    pages: int | None = Field(default=None, ge=1, le=MAX_DOCUMENT_PAGES, description="A PDF's pages.")
    size: int = Field(default=0, ge=0, description="The attached file's size in bytes.")

    @model_validator(mode="after")
    def _consistent(self) -> ExportDocument:
        if not is_document(self.name):
            raise ValueError(
                f"name must end in one of the extensions attached as documents ({self.name!r} does not)"
            )
        if kind_of(self.name) != self.kind:
            raise ValueError(f"kind must be {kind_of(self.name)!r} for a file named {self.name!r}")
        if self.pages is not None and self.kind != "pdf":
            raise ValueError("pages is given for PDFs only")
        return self


class ExportParams(StrictPart):
    """The chat's settings."""

    model: str = Field(pattern=MODEL_ID_PATTERN, description="The model id.")
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: bool = True
    instructions: str = Field(default="", max_length=MAX_TEXT_CHARS)
    instructions_role: Literal["developer", "system"] = "developer"
    user_name: str | None = Field(default=None, pattern=NAME_PATTERN, description="Sent as messages[].name.")
    sampling: ExportSampling | None = Field(
        default=None,
        exclude_if=_unset,
        description="Reasoning effort and sampling parameters: only those set (older files have none).",
    )

    def to_params(self) -> ChatParams:
        """The settings as the app holds them."""
        values = self.model_dump(exclude={"sampling"})
        sampling = self.sampling.to_sampling() if self.sampling is not None else Sampling()
        return ChatParams(**values, sampling=sampling)


def export_params(params: ChatParams) -> ExportParams:
    """The settings as written into a file."""
    values = {k: v for k, v in asdict(params).items() if k != "sampling"}
    return ExportParams.model_construct(**values, sampling=export_sampling(params.sampling))


def export_text(
    model: type[StrictPart], fmt: str, version: int, title: str, params: ChatParams, **content: Any
) -> str:
    """An export's JSON: its format, version, title, time and options, then `content`.

    Built unvalidated (model_construct): whatever is stored can be exported; the import is where
    the checks belong."""
    export = model.model_construct(
        format=fmt,
        version=version,
        title=title,
        exported_at=datetime.now(UTC).isoformat(),
        params=export_params(params),
        **content,
    )
    return json.dumps(export.model_dump(mode="json", warnings=False), ensure_ascii=False, indent=1)
