"""Side-by-side rounds: blind labels, votes, the leaderboard and the summaries of rounds."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.answer_notes import AnswerMetrics, answer_metrics
from core.conversation import ChatParams, Message, Status, Usage
from core.pricing import Prices, estimate_cost

LABELS = ("A", "B", "C", "D")
MIN_MODELS, MAX_MODELS = 2, 4
TIE = "tie"
COST_COLUMN = "cost (USD, est.)"


def validate_models(models: Sequence[str]) -> list[str]:
    """2 to 4 distinct, non-empty model ids, in the order picked."""
    picked = [m.strip() for m in models if m.strip()]
    if len(set(picked)) != len(picked):
        raise ValueError("Each model can be compared once: remove the duplicate.")
    if not MIN_MODELS <= len(picked) <= MAX_MODELS:
        raise ValueError(f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare (now {len(picked)}).")
    return picked


def blind_order(count: int, rng: random.Random | None = None) -> list[int]:
    """A shuffled order of column indexes: label LABELS[i] shows column order[i]."""
    order = list(range(count))
    (rng or random.Random()).shuffle(order)
    return order


@dataclass(frozen=True)
class Vote:
    """One round's verdict: the winning model, or a tie, among the models that answered."""

    models: tuple[str, ...]
    winner: str  # a model id or TIE


@dataclass
class Standing:
    """A model's record across rounds."""

    model: str
    wins: int = 0
    ties: int = 0
    rounds: int = 0

    @property
    def win_rate(self) -> float:
        """Wins over rounds played."""
        return self.wins / self.rounds if self.rounds else 0.0


def leaderboard(votes: Sequence[Vote]) -> list[Standing]:
    """Wins per model, most wins first (then fewer rounds, then name)."""
    table: dict[str, Standing] = {}
    for vote in votes:
        for model in vote.models:
            standing = table.setdefault(model, Standing(model))
            standing.rounds += 1
            if vote.winner == model:
                standing.wins += 1
            elif vote.winner == TIE:
                standing.ties += 1
    return sorted(table.values(), key=lambda s: (-s.wins, -s.ties, s.rounds, s.model))


@dataclass
class ColumnRound:
    """One model's answer in one round."""

    model: str
    answer: Message
    history: list[Message] = field(default_factory=list)

    def metrics(self) -> AnswerMetrics:
        """Time to first token, total time and tokens per second."""
        return answer_metrics(self.answer)


@dataclass
class CompareRound:
    """One prompt sent to every model, their answers, the blind order and the verdict."""

    prompt: str
    columns: list[ColumnRound]
    order: list[int] = field(default_factory=list)
    winner: str | None = None
    blind: bool = False  # names hidden until the vote (decided when the round was sent)
    fresh: bool = False  # sent without the earlier rounds (a prompt set's independent prompt)
    params: ChatParams | None = None  # the options it was sent with (the first model's role)

    @property
    def prompt_message(self) -> Message:
        """The user message every column received (text and images)."""
        if self.columns and self.columns[0].history:
            return self.columns[0].history[-1]
        return Message(role="user", text=self.prompt)

    @property
    def models(self) -> list[str]:
        """The models of the round, in column order."""
        return [column.model for column in self.columns]

    def label_of(self, index: int) -> str:
        """The blind label (A, B, ...) shown for column index."""
        return LABELS[self.order.index(index)] if self.order else LABELS[index]

    @property
    def voted(self) -> bool:
        """True once a winner (or a tie) was chosen."""
        return self.winner is not None


def summary_rows(
    columns: Sequence[ColumnRound], prices: Prices, winner: str | None = None
) -> list[dict[str, object]]:
    """One row per model for the round's table, chart and report."""
    rows: list[dict[str, object]] = []
    for column in columns:
        metrics = column.metrics()
        usage = column.answer.usage if column.answer.usage_reported else None
        cost = estimate_cost(column.model, usage, prices)
        rows.append(
            {
                "model": column.model,
                "status": column.answer.status.value,
                "first token (s)": _round(metrics.first_token_s),
                "total (s)": _round(metrics.total_s),
                "tokens/s": _round(metrics.tokens_per_s, 1),
                "prompt tokens": usage.prompt_tokens if usage else None,
                "completion tokens": usage.completion_tokens if usage else None,
                "reasoning tokens": usage.reasoning_tokens if usage else None,
                "cached tokens": usage.cached_tokens if usage else None,
                COST_COLUMN: round(cost.usd, 6) if cost else None,
                "vote": _vote_cell(column.model, winner),
            }
        )
    return rows


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _vote_cell(model: str, winner: str | None) -> str:
    if winner is None:
        return ""
    if winner == TIE:
        return "tie"
    return "winner" if winner == model else ""


# The comparison-wide summary's columns (the round's table keeps its own).
MEDIAN_FIRST_TOKEN = "median first token (s)"
MEDIAN_TOKENS_PER_S = "median tokens/s"


def comparison_summary(rounds: Sequence[CompareRound], prices: Prices) -> list[dict[str, object]]:
    """One row per model over every round, in the order the models first appear: answers given,
    median time to first token and tokens per second, tokens and estimated cost summed from the
    reported usage, and the blind votes (wins and ties) of the rounds it answered."""
    by_model: dict[str, list[tuple[CompareRound, ColumnRound]]] = {}
    for round_ in rounds:
        for column in round_.columns:
            by_model.setdefault(column.model, []).append((round_, column))
    return [_model_row(model, entries, prices) for model, entries in by_model.items()]


def _model_row(
    model: str, entries: list[tuple[CompareRound, ColumnRound]], prices: Prices
) -> dict[str, object]:
    answered = [(r, c) for r, c in entries if c.answer.status != Status.FAILED]
    metrics = [c.metrics() for _, c in answered]
    usages = [c.answer.usage for _, c in answered if c.answer.usage and c.answer.usage_reported]
    total = sum(usages, Usage())
    costs = [estimate_cost(model, usage, prices) for usage in usages]
    priced = [cost.usd for cost in costs if cost is not None]
    return {
        "model": model,
        "answers": f"{len(answered)}/{len(entries)}",
        MEDIAN_FIRST_TOKEN: _median([m.first_token_s for m in metrics]),
        MEDIAN_TOKENS_PER_S: _median([m.tokens_per_s for m in metrics], 1),
        "prompt tokens": total.prompt_tokens,
        "completion tokens": total.completion_tokens,
        "total tokens": total.prompt_tokens + total.completion_tokens,
        COST_COLUMN: round(sum(priced), 6) if model in prices else None,
        "wins": sum(1 for r, _ in answered if r.winner == model),
        "ties": sum(1 for r, _ in answered if r.winner == TIE),
    }


def _median(values: Sequence[float | None], digits: int = 2) -> float | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known), digits) if known else None
