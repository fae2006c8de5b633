"""Feedback on answers: a thumb up or down with an optional comment, one per person and answer,
and how the Admin page reads everyone's feedback (per model, over a period)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.safe_text import one_line
from core.usage_report import csv_text

Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = ("down", "up")  # st.feedback("thumbs") answers 0 for down, 1 for up
MAX_COMMENT_CHARS = 2000
LATEST_COMMENTS = 3  # per model on the Admin page


@dataclass(frozen=True)
class Feedback:
    """One person's verdict on one answer."""

    rating: Rating
    comment: str = ""


@dataclass(frozen=True)
class FeedbackRecord:
    """A stored verdict as the Admin page reads it: whose, on which model's answer, and when."""

    user_id: str
    model: str
    rating: Rating
    comment: str
    updated_at: datetime
    message_id: str


@dataclass(frozen=True)
class ModelFeedback:
    """Everyone's verdicts on one model's answers over a period."""

    model: str
    up: int
    down: int
    latest_comments: tuple[str, ...]  # newest first

    @property
    def count(self) -> int:
        """How many answers were rated."""
        return self.up + self.down

    @property
    def up_share(self) -> float:
        """The share of thumbs up among the ratings (0 to 1)."""
        return self.up / self.count if self.count else 0.0


def rating_of(widget_value: int | None) -> Rating | None:
    """The rating a thumbs widget's value stands for (None: no thumb selected)."""
    return None if widget_value is None else RATINGS[widget_value]


def widget_value(feedback: Feedback | None) -> int | None:
    """The thumbs widget's value for a stored verdict (None: nothing selected)."""
    return None if feedback is None else RATINGS.index(feedback.rating)


def clean_comment(text: str) -> str:
    """A comment as stored: trimmed; ValueError, saying what to do, when it is too long."""
    comment = text.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValueError(
            f"The comment is {len(comment):,} characters long; the limit is {MAX_COMMENT_CHARS:,}. "
            "Shorten it and save again."
        )
    return comment


def by_model(records: Iterable[FeedbackRecord]) -> list[ModelFeedback]:
    """Per model: thumbs up and down and the latest comments, the most rated model first."""
    counts: dict[str, list[int]] = {}
    comments: dict[str, list[tuple[datetime, str]]] = {}
    for record in records:
        up_down = counts.setdefault(record.model, [0, 0])
        up_down[0 if record.rating == "up" else 1] += 1
        if record.comment:
            comments.setdefault(record.model, []).append((record.updated_at, record.comment))
    rows = []
    for model, (up, down) in counts.items():
        newest = sorted(comments.get(model, []), key=lambda pair: pair[0], reverse=True)
        latest = tuple(one_line(comment) for _, comment in newest[:LATEST_COMMENTS])
        rows.append(ModelFeedback(model, up, down, latest))
    return sorted(rows, key=lambda row: (-row.count, row.model))


FEEDBACK_CSV_COLUMNS = ("updated_at_utc", "user_id", "user_email", "model", "rating", "comment", "message_id")


def feedback_csv(records: Iterable[FeedbackRecord], emails: Mapping[str, str | None]) -> str:
    """Every verdict as CSV, one line each in the order given; `emails` names the users."""
    rows = (
        [r.updated_at, r.user_id, emails.get(r.user_id), r.model, r.rating, r.comment, r.message_id]
        for r in records
    )
    return csv_text(FEEDBACK_CSV_COLUMNS, rows)
