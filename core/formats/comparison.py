"""One comparison exported as JSON (to import back) and its import: the mapping between the
app's Compare rounds and core.formats.comparison_schema. The file is read by
core.formats.strict like any other; then the checks that tie a round together (one answer per
model, a blind order that is a permutation, a winner among the models). Inline images are checked
and re-encoded as uploads are. Every id is new on import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from core.compare import MAX_MODELS, MIN_MODELS, TIE, CompareRound
from core.compare_flow import RoundRecord, rebuild_rounds
from core.conversation import ChatParams, Message
from core.formats.checks import ImportRejected
from core.formats.comparison_schema import (
    COMPARISON,
    FORMAT,
    VERSION,
    ComparisonAnswer,
    ComparisonError,
    ComparisonExport,
    ComparisonPrompt,
    ComparisonRoundExport,
)
from core.formats.messages import (
    created,
    document_from,
    export_document,
    export_image,
    image_from,
    message_from,
    recorded_fields,
)
from core.formats.parts import ExportParams, export_text
from core.formats.strict import read
from core.gateway.errors import ErrorKind, GatewayError
from core.images import ImageLimits


@dataclass
class ImportedComparison:
    title: str
    params: ChatParams
    rounds: list[CompareRound]


def export_comparison_json(title: str, params: ChatParams, rounds: Sequence[CompareRound]) -> str:
    """Every round with its prompt (images inline), answers, figures, blind order and verdict."""
    exported = [_export_round(round_) for round_ in rounds]
    return export_text(ComparisonExport, FORMAT, VERSION, title, params, rounds=exported)


def _export_round(round_: CompareRound) -> ComparisonRoundExport:
    prompt = round_.prompt_message
    return ComparisonRoundExport.model_construct(
        prompt=ComparisonPrompt.model_construct(
            text=prompt.text,
            images=[export_image(image) for image in prompt.images],
            documents=[export_document(document) for document in prompt.documents],
            created_at=prompt.created_at,
        ),
        models=round_.models,
        order=list(round_.order),
        winner=round_.winner,
        blind=round_.blind,
        fresh=round_.fresh,
        params=ExportParams.model_construct(**asdict(round_.params)) if round_.params else None,
        answers=[_export_answer(column.answer) for column in round_.columns],
    )


def _export_answer(answer: Message) -> ComparisonAnswer:
    error = answer.error
    return ComparisonAnswer.model_construct(
        **recorded_fields(answer),
        error=None
        if error is None
        else ComparisonError.model_construct(
            kind=error.kind.value,
            title=error.title,
            hint=error.hint,
            provider_message=error.provider_message,
            request_id=error.request_id,
            status_code=error.status_code,
        ),
    )


def import_comparison_json(raw: bytes, image_limits: ImageLimits | None = None) -> ImportedComparison:
    """Parse and check an exported comparison; ImportRejected says what is wrong and where."""
    export = read(raw, COMPARISON)
    limits = image_limits or ImageLimits()
    records = [_record(item, f"rounds[{n}]", limits) for n, item in enumerate(export.rounds)]
    params = ChatParams(**export.params.model_dump())
    return ImportedComparison(export.title or "Imported comparison", params, rebuild_rounds(records))


def is_comparison_export(raw: bytes) -> bool:
    """True when the file says it is a comparison export (read only far enough to tell)."""
    return f'"{FORMAT}"'.encode() in raw[:4096]


def _record(item: ComparisonRoundExport, where: str, limits: ImageLimits) -> RoundRecord:
    _check_round(item, where)
    images = [
        image_from(image, f"{where}.prompt.images[{n}]", limits) for n, image in enumerate(item.prompt.images)
    ]
    prompt = Message(
        role="user",
        text=item.prompt.text,
        images=images,
        documents=[document_from(document) for document in item.prompt.documents],
        created_at=created(item.prompt.created_at),
    )
    answers = [
        message_from(answer, "assistant", prompt.id, error=_error(answer.error)) for answer in item.answers
    ]
    return RoundRecord(
        prompt=prompt,
        models=list(item.models),
        answers=answers,
        order=list(item.order) or list(range(len(item.models))),
        winner=item.winner,
        blind=item.blind,
        fresh=item.fresh,
        params=ChatParams(**item.params.model_dump()) if item.params else None,
    )


def _check_round(item: ComparisonRoundExport, where: str) -> None:
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


def _error(error: ComparisonError | None) -> GatewayError | None:
    if error is None:
        return None
    return GatewayError(
        ErrorKind(error.kind),
        error.title,
        error.hint,
        error.provider_message,
        error.request_id,
        error.status_code,
    )
