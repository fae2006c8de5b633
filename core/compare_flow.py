"""Start a comparison round: each model continues its own conversation with the same prompt."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from core.compare import ColumnRound, CompareRound, blind_order, column_name
from core.conversation import (
    ChatParams,
    DocumentAttachment,
    ImageAttachment,
    Message,
    Status,
    Timing,
    pending_answer,
    user_message,
)
from core.models import RoleChoice, instructions_role
from core.sampling import Sampling


def start_round(
    previous: Sequence[CompareRound],
    models: Sequence[str],
    prompt: str,
    rng: random.Random | None = None,
    images: Sequence[ImageAttachment] = (),
    *,
    documents: Sequence[DocumentAttachment] = (),
    blind: bool = False,
    fresh: bool = False,
    params: ChatParams | None = None,
    own: Sequence[Sampling] = (),
) -> CompareRound:
    """A new round whose columns carry each model's own history plus this prompt (only the prompt
    when `fresh`: a prompt set's prompts are independent unless the presenter carries them on).

    Every column receives the same prompt message, and each answer follows it, so the round is
    stored as one prompt with one answer per model. A follow-up to the same models keeps the
    blind order, so column A goes on being the conversation the user read as A; a new set of
    models is shuffled afresh. `own` gives each column its own parameters (none when empty):
    a column continues the conversation of the column with its model and parameters.
    """
    message = user_message(prompt, images=images, documents=documents)
    message.parent_id = previous[-1].prompt_message.id if previous else None
    columns = []
    for model, sampling in zip(models, own or [Sampling()] * len(models), strict=True):
        history = [] if fresh else _history_of(previous, column_name(model, sampling))
        answer = pending_answer(model)
        answer.parent_id = message.id
        columns.append(ColumnRound(model=model, answer=answer, history=[*history, message], own=sampling))
    last = previous[-1] if previous else None
    if last is not None and last.order and last.names == [column.name for column in columns]:
        order = list(last.order)
    else:
        order = blind_order(len(columns), rng)
    return CompareRound(prompt=prompt, columns=columns, order=order, blind=blind, fresh=fresh, params=params)


def with_instructions(params: ChatParams, instructions: str) -> ChatParams:
    """A prompt's own instructions replace the sidebar's for its round; empty keeps the sidebar's."""
    return replace(params, instructions=instructions) if instructions.strip() else params


def column_params(params: ChatParams, column: ColumnRound, role: RoleChoice) -> ChatParams:
    """The shared options for one column: its model, its own parameters over the shared ones,
    and an automatic instructions role decided per model."""
    model = column.model
    return replace(
        params,
        model=model,
        instructions_role=instructions_role(role, model),
        sampling=params.sampling.merged(column.own),
    )


def _history_of(previous: Sequence[CompareRound], name: str) -> list[Message]:
    # A column added mid-comparison starts fresh; one that was there sees its own past answers.
    for round_ in reversed(previous):
        for column in round_.columns:
            if column.name == name:
                return [*column.history, column.answer]
    return []


@dataclass(frozen=True)
class RoundRecord:
    """A stored round as read back: its prompt, one answer per model (column order) and the rest."""

    prompt: Message
    models: list[str]
    answers: list[Message]
    order: list[int]
    winner: str | None = None
    blind: bool = False
    fresh: bool = False
    params: ChatParams | None = None
    own: list[Sampling] = field(default_factory=list)  # each column's own parameters (or none)


def rebuild_rounds(records: Sequence[RoundRecord]) -> list[CompareRound]:
    """The rounds as the page had them: each model's history is its own earlier prompts and
    answers (from its last round before), exactly as `start_round` built them when sending."""
    rounds: list[CompareRound] = []
    for record in records:
        columns = []
        owns = record.own or [Sampling()] * len(record.models)
        for model, answer, own in zip(record.models, record.answers, owns, strict=True):
            history = [] if record.fresh else _history_of(rounds, column_name(model, own))
            history = [*history, record.prompt]
            columns.append(ColumnRound(model=model, answer=answer, history=history, own=own))
        rounds.append(
            CompareRound(
                prompt=record.prompt.text,
                columns=columns,
                order=list(record.order),
                winner=record.winner,
                blind=record.blind,
                fresh=record.fresh,
                params=record.params,
            )
        )
    return rounds


def without_refused(column: ColumnRound, name: str, params: ChatParams) -> tuple[ChatParams, ColumnRound]:
    """The shared options and a copy of the column, both without the parameter `name` the
    gateway refused: what sending the column again asks for (nothing changed yet)."""
    shared = replace(params, sampling=params.sampling.without(name))
    own = column.own.without(name) if getattr(column.own, name) is not None else column.own
    return shared, replace(column, own=own)


def restart_column(round_: CompareRound, index: int, own: Sampling) -> None:
    """Column `index` is sent again with `own` parameters: its failed answer is emptied (the
    same message, so it is stored in place)."""
    column = round_.columns[index]
    column.own = own
    answer = column.answer
    answer.text, answer.status, answer.error = "", Status.STREAMING, None
    answer.finish_reason, answer.usage, answer.request_id = None, None, None
    answer.usage_reported, answer.timing = True, Timing()
