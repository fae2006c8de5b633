"""Start a comparison round: each model continues its own conversation with the same prompt."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.compare import ColumnRound, CompareRound, blind_order
from core.conversation import (
    ChatParams,
    DocumentAttachment,
    ImageAttachment,
    Message,
    pending_answer,
    user_message,
)
from core.models import RoleChoice, instructions_role


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
) -> CompareRound:
    """A new round whose columns carry each model's own history plus this prompt (only the prompt
    when `fresh`: a prompt set's prompts are independent unless the presenter carries them on).

    Every column receives the same prompt message, and each answer follows it, so the round is
    stored as one prompt with one answer per model. A follow-up to the same models keeps the
    blind order, so column A goes on being the conversation the user read as A; a new set of
    models is shuffled afresh.
    """
    message = user_message(prompt, images=images, documents=documents)
    message.parent_id = previous[-1].prompt_message.id if previous else None
    columns = []
    for model in models:
        history = [] if fresh else _history_of(previous, model)
        answer = pending_answer(model)
        answer.parent_id = message.id
        columns.append(ColumnRound(model=model, answer=answer, history=[*history, message]))
    last = previous[-1] if previous else None
    if last is not None and last.order and [c.model for c in last.columns] == list(models):
        order = list(last.order)
    else:
        order = blind_order(len(columns), rng)
    return CompareRound(prompt=prompt, columns=columns, order=order, blind=blind, fresh=fresh, params=params)


def with_instructions(params: ChatParams, instructions: str) -> ChatParams:
    """A prompt's own instructions replace the sidebar's for its round; empty keeps the sidebar's."""
    return replace(params, instructions=instructions) if instructions.strip() else params


def column_params(params: ChatParams, model: str, role: RoleChoice) -> ChatParams:
    """The shared options for one model; an automatic instructions role is decided per model."""
    return replace(params, model=model, instructions_role=instructions_role(role, model))


def _history_of(previous: Sequence[CompareRound], model: str) -> list[Message]:
    # A model added mid-comparison starts fresh; one that was there sees its own past answers.
    for round_ in reversed(previous):
        for column in round_.columns:
            if column.model == model:
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


def rebuild_rounds(records: Sequence[RoundRecord]) -> list[CompareRound]:
    """The rounds as the page had them: each model's history is its own earlier prompts and
    answers (from its last round before), exactly as `start_round` built them when sending."""
    rounds: list[CompareRound] = []
    for record in records:
        columns = []
        for model, answer in zip(record.models, record.answers, strict=True):
            history = [] if record.fresh else _history_of(rounds, model)
            columns.append(ColumnRound(model=model, answer=answer, history=[*history, record.prompt]))
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
