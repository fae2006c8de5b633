"""Start a comparison round: each model continues its own conversation with the same prompt."""

from __future__ import annotations

import random
from collections.abc import Sequence

from core.compare import ColumnRound, CompareRound, blind_order
from core.conversation import Message, pending_answer, user_message


def start_round(
    previous: Sequence[CompareRound], models: Sequence[str], prompt: str, rng: random.Random | None = None
) -> CompareRound:
    """A new round whose columns carry each model's own history plus this prompt."""
    columns = []
    for model in models:
        history = [*_history_of(previous, model), user_message(prompt)]
        columns.append(ColumnRound(model=model, answer=pending_answer(model), history=history))
    return CompareRound(prompt=prompt, columns=columns, order=blind_order(len(columns), rng))


def _history_of(previous: Sequence[CompareRound], model: str) -> list[Message]:
    # A model added mid-comparison starts fresh; one that was there sees its own past answers.
    for round_ in reversed(previous):
        for column in round_.columns:
            if column.model == model:
                return [*column.history, column.answer]
    return []
