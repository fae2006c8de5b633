"""The JSON export of one comparison as pydantic models (documented in
docs/comparison-formats.md): the options, and each round's prompt, models, blind order, verdict
and one answer per model. The checks that tie a round together (one answer per model, a blind
order that is a permutation) are the mapping's, in core.formats.comparison."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from core.compare import MAX_MODELS
from core.formats.parts import (
    MAX_DOCUMENTS_PER_MESSAGE,
    MAX_IMAGES_PER_MESSAGE,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    ExportDocument,
    ExportFeedback,
    ExportImage,
    ExportParams,
    ExportSampling,
    ExportTiming,
    ExportUsage,
    StatusName,
    StrictPart,
    optional_feedback,
    optional_folder,
)
from core.formats.strict import Document
from core.gateway.errors import ErrorKind
from core.gateway.request import MODEL_ID_PATTERN

FORMAT = "gptproto-chat.comparison"
VERSION = 1
MAX_ROUNDS = 1000
MAX_ERROR_CHARS = 4000


class ComparisonError(StrictPart):
    """Why an answer failed or ended early, as the page showed it."""

    kind: Literal[tuple(kind.value for kind in ErrorKind)]  # type: ignore[valid-type]
    title: str = Field(max_length=MAX_ERROR_CHARS)
    hint: str = Field(default="", max_length=MAX_ERROR_CHARS)
    provider_message: str | None = Field(default=None, max_length=MAX_ERROR_CHARS)
    request_id: str | None = Field(default=None, max_length=200)
    status_code: int | None = Field(default=None, ge=100, le=599)


class ComparisonPrompt(StrictPart):
    """The prompt every model of a round received."""

    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    images: list[ExportImage] = Field(default_factory=list, max_length=MAX_IMAGES_PER_MESSAGE)
    documents: list[ExportDocument] = Field(
        default_factory=list,
        max_length=MAX_DOCUMENTS_PER_MESSAGE,
        exclude_if=lambda value: not value,  # a message without documents is written as before
        description="Documents attached to a prompt, with their extracted text.",
    )
    created_at: float | None = Field(default=None, ge=0)


class ComparisonAnswer(StrictPart):
    """One model's answer in a round."""

    model: str = Field(pattern=MODEL_ID_PATTERN)
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    status: StatusName = "complete"
    finish_reason: str | None = Field(default=None, max_length=32)
    usage: ExportUsage | None = None
    usage_reported: bool = True
    timing: ExportTiming = Field(default_factory=ExportTiming)
    created_at: float | None = Field(default=None, ge=0)
    error: ComparisonError | None = None
    sampling: ExportSampling | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The column's own parameters (reasoning effort, temperature) over the round's.",
    )
    feedback: ExportFeedback | None = optional_feedback()


class ComparisonRoundExport(StrictPart):
    """One prompt sent to every model, their answers, the blind order and the verdict."""

    prompt: ComparisonPrompt
    models: list[str] = Field(max_length=MAX_MODELS)  # 2 or more: checked with a plain message
    order: list[int] = Field(default_factory=list, max_length=MAX_MODELS)
    winner: str | None = Field(default=None, max_length=200)
    blind: bool = False
    fresh: bool = False
    params: ExportParams | None = None
    answers: list[ComparisonAnswer] = Field(max_length=MAX_MODELS)


class ComparisonExport(StrictPart):
    """One comparison exported by GPTProto Chat."""

    model_config = ConfigDict(title="GPTProto Chat comparison export")

    format: Literal["gptproto-chat.comparison"]
    version: Literal[1]
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    exported_at: str | None = Field(default=None, max_length=64)
    params: ExportParams
    rounds: list[ComparisonRoundExport] = Field(min_length=1, max_length=MAX_ROUNDS)
    folder: str | None = optional_folder()


COMPARISON = Document(
    ComparisonExport, FORMAT, VERSION, "comparison export", "a comparison", "Export a shorter comparison."
)
