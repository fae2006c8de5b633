"""One comparison exported as JSON (to import back) and its import: the mapping between the
app's Compare rounds and core.formats.comparison_schema. The file is read by
core.formats.strict like any other; then the checks that tie a round together (one answer per
model, a blind order that is a permutation, a winner among the models). Inline images are checked
and re-encoded as uploads are. Every id is new on import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.compare import MAX_MODELS, MIN_MODELS, TIE, CompareRound, column_name
from core.compare_flow import RoundRecord, rebuild_rounds
from core.conversation import ChatParams, Message
from core.feedback import Feedback
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
from core.formats.parts import (
    export_feedback,
    export_params,
    export_sampling,
    export_text,
    feedback_from,
    imported_folder,
)
from core.formats.strict import read
from core.gateway.errors import ErrorKind, GatewayError
from core.images import ImageLimits
from core.sampling import Sampling


@dataclass
class ImportedComparison:
    title: str
    params: ChatParams
    rounds: list[CompareRound]
    feedback: dict[str, Feedback] = field(default_factory=dict)  # by the new ids of answers
    folder: str | None = None


def export_comparison_json(
    title: str,
    params: ChatParams,
    rounds: Sequence[CompareRound],
    *,
    feedback: Mapping[str, Feedback] | None = None,
    folder: str | None = None,
) -> str:
    """Every round with its prompt (images inline), answers, figures, blind order and verdict; the
    exporting person's `feedback` on answers (by message id) and `folder` when given."""
    exported = [_export_round(round_, feedback or {}) for round_ in rounds]
    extra = {} if folder is None else {"folder": folder}
    return export_text(ComparisonExport, FORMAT, VERSION, title, params, rounds=exported, **extra)


def _export_round(round_: CompareRound, feedback: Mapping[str, Feedback]) -> ComparisonRoundExport:
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
        params=export_params(round_.params) if round_.params else None,
        answers=[
            _export_answer(column.answer, column.own, feedback.get(column.answer.id))
            for column in round_.columns
        ],
    )


def _export_answer(answer: Message, own: Sampling, feedback: Feedback | None) -> ComparisonAnswer:
    error = answer.error
    return ComparisonAnswer.model_construct(
        **recorded_fields(answer),
        sampling=export_sampling(own),
        feedback=export_feedback(feedback),
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
    params = export.params.to_params()
    feedback = {
        answer.id: verdict
        for record, item in zip(records, export.rounds, strict=True)
        for answer, exported in zip(record.answers, item.answers, strict=True)
        if (verdict := feedback_from(exported.feedback)) is not None
    }
    title, folder = export.title or "Imported comparison", imported_folder(export.folder)
    return ImportedComparison(title, params, rebuild_rounds(records), feedback, folder)


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
        own=_own(item),
        prompt=prompt,
        models=list(item.models),
        answers=answers,
        order=list(item.order) or list(range(len(item.models))),
        winner=item.winner,
        blind=item.blind,
        fresh=item.fresh,
        params=item.params.to_params() if item.params else None,
    )


def _check_round(item: ComparisonRoundExport, where: str) -> None:
    models = item.models
    if len(models) < MIN_MODELS:
        raise ImportRejected(
            f"{where}.models: names {len(models)} model(s); a round compares {MIN_MODELS} to {MAX_MODELS}."
        )
    if len(item.answers) != len(models):
        raise ImportRejected(
            f"{where}.answers: has {len(item.answers)} answers for {len(models)} models; "
            "a round has one answer per model."
        )
    names = [column_name(model, own) for model, own in zip(models, _own(item), strict=True)]
    if len(set(names)) != len(names):
        raise ImportRejected(
            f"{where}.models: names a model twice with the same parameters; each column answers once "
            "per round (the same model needs its own sampling in each of its answers)."
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
    if item.winner is not None and item.winner != TIE and item.winner not in names:
        raise ImportRejected(
            f'{where}.winner: must be null, "tie" or one of the round\'s columns ({", ".join(names)}).'
        )


def _own(item: ComparisonRoundExport) -> list[Sampling]:
    return [a.sampling.to_sampling() if a.sampling else Sampling() for a in item.answers]


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
