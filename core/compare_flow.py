"""Start a comparison round: each model continues its own conversation with the same prompt."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from core.compare import ColumnRound, CompareRound, blind_order
from core.conversation import ChatParams, ImageAttachment, Message, pending_answer, user_message
from core.models import RoleChoice, instructions_role


def start_round(
    previous: Sequence[CompareRound],
    models: Sequence[str],
    prompt: str,
    rng: random.Random | None = None,
    images: Sequence[ImageAttachment] = (),
) -> CompareRound:
    """A new round whose columns carry each model's own history plus this prompt.

    A follow-up to the same models keeps the blind order, so column A goes on being the
    conversation the user read as A; a new set of models is shuffled afresh.
    """
    columns = []
    for model in models:
        history = [*_history_of(previous, model), user_message(prompt, images=list(images))]
        columns.append(ColumnRound(model=model, answer=pending_answer(model), history=history))
    last = previous[-1] if previous else None
    if last is not None and last.order and [c.model for c in last.columns] == list(models):
        order = list(last.order)
    else:
        order = blind_order(len(columns), rng)
    return CompareRound(prompt=prompt, columns=columns, order=order)


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
