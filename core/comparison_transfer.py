"""One comparison exported as JSON (to import back) and a strict import, the same way as a
conversation's (core.transfer): the raw text passes the same hostile-input checks (UTF-8, nesting,
NaN and Infinity, lone surrogates and NUL), then these pydantic models, then the checks that tie a
round together (one answer per model, a blind order that is a permutation, a winner among the
models); inline images are checked and re-encoded as uploads are. Every id is new on import.

The file: `format` "gptproto-chat.comparison", `version` 1, `title`, `exported_at`, `params` (the
options, as in a conversation export), and `rounds`: each with its `prompt` {text, images,
created_at}, `models` (2 to 4), `order` (the blind order: label A shows column order[0]),
`winner` (null, "tie" or one of the models), `blind`, `fresh`, `params` and `answers` (one per
model, in the models' order: model, text, status, finish_reason, usage, usage_reported, timing,
created_at, error)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.compare import MAX_MODELS, MIN_MODELS, TIE, CompareRound
from core.compare_flow import RoundRecord, rebuild_rounds
from core.conversation import ChatParams, Message, Status, Timing, Usage
from core.export_schema import (
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    ExportImage,
    ExportParams,
    ExportTiming,
    ExportUsage,
)
from core.gateway.errors import ErrorKind, GatewayError
from core.gateway.request import MODEL_ID_PATTERN
from core.images import ImageLimits, format_bytes
from core.transfer import ImportRejected, _describe, _image, _parse, _text_of, checked_document

FORMAT = "gptproto-chat.comparison"
VERSION = 1
MAX_ROUNDS = 1000
MAX_IMPORT_BYTES = 50 * 1024 * 1024
_ERROR_TEXT = 4000


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class ComparisonError(_Part):
    """Why an answer failed or ended early, as the page showed it."""

    kind: Literal[tuple(kind.value for kind in ErrorKind)]  # type: ignore[valid-type]
    title: str = Field(max_length=_ERROR_TEXT)
    hint: str = Field(default="", max_length=_ERROR_TEXT)
    provider_message: str | None = Field(default=None, max_length=_ERROR_TEXT)
    request_id: str | None = Field(default=None, max_length=200)
    status_code: int | None = Field(default=None, ge=100, le=599)


class ComparisonPrompt(_Part):
    """The prompt every model of a round received."""

    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    images: list[ExportImage] = Field(default_factory=list, max_length=16)
    created_at: float | None = Field(default=None, ge=0)


class ComparisonAnswer(_Part):
    """One model's answer in a round."""

    model: str = Field(pattern=MODEL_ID_PATTERN)
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    status: Literal["streaming", "complete", "cut_off", "stopped", "incomplete", "failed"] = "complete"
    finish_reason: str | None = Field(default=None, max_length=32)
    usage: ExportUsage | None = None
    usage_reported: bool = True
    timing: ExportTiming = Field(default_factory=ExportTiming)
    created_at: float | None = Field(default=None, ge=0)
    error: ComparisonError | None = None


class ComparisonRoundExport(_Part):
    """One prompt sent to every model, their answers, the blind order and the verdict."""

    prompt: ComparisonPrompt
    models: list[str] = Field(max_length=MAX_MODELS)  # 2 or more: checked with a plain message
    order: list[int] = Field(default_factory=list, max_length=MAX_MODELS)
    winner: str | None = Field(default=None, max_length=200)
    blind: bool = False
    fresh: bool = False
    params: ExportParams | None = None
    answers: list[ComparisonAnswer] = Field(max_length=MAX_MODELS)


class ComparisonExport(_Part):
    """One comparison exported by GPTProto Chat."""

    model_config = ConfigDict(title="GPTProto Chat comparison export")

    format: Literal["gptproto-chat.comparison"]
    version: Literal[1]
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    exported_at: str | None = Field(default=None, max_length=64)
    params: ExportParams
    rounds: list[ComparisonRoundExport] = Field(min_length=1, max_length=MAX_ROUNDS)


@dataclass
class ImportedComparison:
    title: str
    params: ChatParams
    rounds: list[CompareRound]


# -- export -----------------------------------------------------------------------------------------


def export_comparison_json(title: str, params: ChatParams, rounds: Sequence[CompareRound]) -> str:
    """Every round with its prompt (images inline), answers, figures, blind order and verdict."""
    from core.transfer import _export_image

    export = {
        "format": FORMAT,
        "version": VERSION,
        "title": title,
        "exported_at": datetime.now(UTC).isoformat(),
        "params": asdict(params),
        "rounds": [
            {
                "prompt": {
                    "text": round_.prompt_message.text,
                    "images": [
                        _export_image(image).model_dump(mode="json", warnings=False)
                        for image in round_.prompt_message.images
                    ],
                    "created_at": round_.prompt_message.created_at,
                },
                "models": round_.models,
                "order": list(round_.order),
                "winner": round_.winner,
                "blind": round_.blind,
                "fresh": round_.fresh,
                "params": asdict(round_.params) if round_.params else None,
                "answers": [_answer(column.answer) for column in round_.columns],
            }
            for round_ in rounds
        ],
    }
    return json.dumps(export, ensure_ascii=False, indent=1)


def _answer(answer: Message) -> dict[str, object]:
    error = answer.error
    return {
        "model": answer.model,
        "text": answer.text,
        "status": answer.status.value,
        "finish_reason": answer.finish_reason,
        "usage": asdict(answer.usage) if answer.usage else None,
        "usage_reported": answer.usage_reported,
        "timing": asdict(answer.timing),
        "created_at": answer.created_at,
        "error": None
        if error is None
        else {
            "kind": error.kind.value,
            "title": error.title,
            "hint": error.hint,
            "provider_message": error.provider_message,
            "request_id": error.request_id,
            "status_code": error.status_code,
        },
    }


# -- import -----------------------------------------------------------------------------------------


def import_comparison_json(raw: bytes, image_limits: ImageLimits | None = None) -> ImportedComparison:
    """Parse and check an exported comparison; ImportRejected says what is wrong and where."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRejected(
            f"The file is {format_bytes(len(raw))}; the limit is {format_bytes(MAX_IMPORT_BYTES)}. "
            "Export a shorter comparison."
        )
    data = checked_document(_parse(_text_of(raw)), FORMAT, VERSION, "comparison export", "a comparison")
    try:
        export = ComparisonExport.model_validate(data)
    except ValidationError as error:
        raise ImportRejected(_describe(error.errors(include_url=False, include_input=False))) from None
    limits = image_limits or ImageLimits()
    records = [_record(item, f"rounds[{n}]", limits) for n, item in enumerate(export.rounds)]
    params = ChatParams(**export.params.model_dump())
    return ImportedComparison(export.title or "Imported comparison", params, rebuild_rounds(records))


def is_comparison_export(raw: bytes) -> bool:
    """True when the file says it is a comparison export (read only far enough to tell)."""
    return f'"{FORMAT}"'.encode() in raw[:4096]


def _record(item: ComparisonRoundExport, where: str, limits: ImageLimits) -> RoundRecord:
    models = item.models
    if len(models) < MIN_MODELS:
        raise ImportRejected(
            f"{where}.models: names {len(models)} model(s); a round compares {MIN_MODELS} to {MAX_MODELS}."
        )
    if len(set(models)) != len(models):
        raise ImportRejected(f"{where}.models: names a model twice; each model answers once per round.")
    if len(item.answers) != len(models):
        raise ImportRejected(
            f"{where}.answers: has {len(item.answers)} answers for {len(models)} models; "
            "a round has one answer per model."
        )
    for index, (model, answer) in enumerate(zip(models, item.answers, strict=True)):
        if answer.model != model:
            raise ImportRejected(
                f"{where}.answers[{index}].model: is {answer.model!r} but models[{index}] is {model!r}; "
                "answers follow the models' order."
            )
    if item.order and sorted(item.order) != list(range(len(models))):
        raise ImportRejected(
            f"{where}.order: must list each column 0 to {len(models) - 1} once (the blind order)."
        )
    if item.winner is not None and item.winner != TIE and item.winner not in models:
        raise ImportRejected(f'{where}.winner: must be null, "tie" or one of the round\'s models.')
    prompt = Message(
        role="user",
        text=item.prompt.text,
        images=[
            _image(image, f"{where}.prompt.images[{n}]", limits) for n, image in enumerate(item.prompt.images)
        ],
        created_at=_when(item.prompt.created_at),
    )
    answers = [_answer_message(answer, prompt.id) for answer in item.answers]
    return RoundRecord(
        prompt=prompt,
        models=list(models),
        answers=answers,
        order=list(item.order) or list(range(len(models))),
        winner=item.winner,
        blind=item.blind,
        fresh=item.fresh,
        params=ChatParams(**item.params.model_dump()) if item.params else None,
    )


def _answer_message(item: ComparisonAnswer, prompt_id: str) -> Message:
    status = Status(item.status)
    error = item.error
    return Message(
        role="assistant",
        text=item.text,
        id=uuid.uuid4().hex,
        created_at=_when(item.created_at),
        parent_id=prompt_id,
        model=item.model,
        status=Status.INCOMPLETE if status == Status.STREAMING else status,
        finish_reason=item.finish_reason,
        usage=Usage(**item.usage.model_dump()) if item.usage else None,
        usage_reported=item.usage_reported,
        timing=Timing(**item.timing.model_dump()),
        error=None
        if error is None
        else GatewayError(
            ErrorKind(error.kind),
            error.title,
            error.hint,
            error.provider_message,
            error.request_id,
            error.status_code,
        ),
    )


def _when(created_at: float | None) -> float:
    return created_at if created_at is not None else datetime.now(UTC).timestamp()
