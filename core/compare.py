"""Side-by-side rounds: blind labels, votes, the leaderboard and the summaries of rounds."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.answer_notes import AnswerMetrics, answer_metrics
from core.conversation import ChatParams, Message, Status, Usage
from core.pricing import Prices, estimate_cost
from core.sampling import ReasoningEffort, Sampling

LABELS = ("A", "B", "C", "D")
MIN_MODELS, MAX_MODELS = 2, 4
TIE = "tie"
COST_COLUMN = "cost (USD, est.)"


def column_name(model: str, own: Sampling) -> str:
    """How a column is named, voted for and summed up: the model, and its own parameters when it
    has any ("o3 (effort high)"), so one model at two settings is two contenders."""
    summary = own.summary()
    return f"{model} ({summary})" if summary else model


@dataclass(frozen=True)
class ColumnSetup:
    """What one column asks: a model, with its own parameters (reasoning effort, temperature)
    over the ones every column shares."""

    model: str
    own: Sampling = field(default_factory=Sampling)

    @property
    def name(self) -> str:
        """The column's name (see column_name)."""
        return column_name(self.model, self.own)


def column_setups(
    model: str, efforts: Sequence[ReasoningEffort], temperatures: Sequence[float]
) -> list[ColumnSetup]:
    """One column per reasoning effort and temperature picked for `model` (every pairing), or
    one column with neither when none is picked."""
    each_effort: Sequence[ReasoningEffort | None] = efforts or [None]
    each_temperature: Sequence[float | None] = temperatures or [None]
    return [
        ColumnSetup(model, Sampling(reasoning_effort=effort, temperature=temperature))
        for effort in each_effort
        for temperature in each_temperature
    ]


def validate_columns(setups: Sequence[ColumnSetup]) -> list[ColumnSetup]:
    """2 to 4 columns, no two asking the same model with the same parameters."""
    names = [setup.name for setup in setups]
    if len(set(names)) != len(names):
        raise ValueError("Two columns ask the same model with the same parameters: remove one.")
    if not MIN_MODELS <= len(setups) <= MAX_MODELS:
        raise ValueError(
            f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare (now {len(setups)} column"
            f"{'' if len(setups) == 1 else 's'}), or give a model several reasoning efforts or temperatures."
        )
    return list(setups)


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
    own: Sampling = field(default_factory=Sampling)  # the column's own parameters

    @property
    def name(self) -> str:
        """The model, with the column's own parameters (see column_name)."""
        return column_name(self.model, self.own)

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

    @property
    def names(self) -> list[str]:
        """The columns' names (models with their own parameters), in column order: what a vote
        picks among."""
        return [column.name for column in self.columns]

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
                "model": column.name,
                "status": column.answer.status.value,
                "first token (s)": _round(metrics.first_token_s),
                "total (s)": _round(metrics.total_s),
                "tokens/s": _round(metrics.tokens_per_s, 1),
                "prompt tokens": usage.prompt_tokens if usage else None,
                "completion tokens": usage.completion_tokens if usage else None,
                "reasoning tokens": usage.reasoning_tokens if usage else None,
                "cached tokens": usage.cached_tokens if usage else None,
                COST_COLUMN: round(cost.usd, 6) if cost else None,
                "vote": _vote_cell(column.name, winner),
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
    by_name: dict[str, list[tuple[CompareRound, ColumnRound]]] = {}
    for round_ in rounds:
        for column in round_.columns:
            by_name.setdefault(column.name, []).append((round_, column))
    return [_model_row(name, entries, prices) for name, entries in by_name.items()]


def _model_row(
    name: str, entries: list[tuple[CompareRound, ColumnRound]], prices: Prices
) -> dict[str, object]:
    model = entries[0][1].model
    answered = [(r, c) for r, c in entries if c.answer.status != Status.FAILED]
    metrics = [c.metrics() for _, c in answered]
    usages = [c.answer.usage for _, c in answered if c.answer.usage and c.answer.usage_reported]
    total = sum(usages, Usage())
    costs = [estimate_cost(model, usage, prices) for usage in usages]
    priced = [cost.usd for cost in costs if cost is not None]
    return {
        "model": name,
        "answers": f"{len(answered)}/{len(entries)}",
        MEDIAN_FIRST_TOKEN: _median([m.first_token_s for m in metrics]),
        MEDIAN_TOKENS_PER_S: _median([m.tokens_per_s for m in metrics], 1),
        "prompt tokens": total.prompt_tokens,
        "completion tokens": total.completion_tokens,
        "total tokens": total.prompt_tokens + total.completion_tokens,
        COST_COLUMN: round(sum(priced), 6) if model in prices else None,
        "wins": sum(1 for r, _ in answered if r.winner == name),
        "ties": sum(1 for r, _ in answered if r.winner == TIE),
    }


def _median(values: Sequence[float | None], digits: int = 2) -> float | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known), digits) if known else None
