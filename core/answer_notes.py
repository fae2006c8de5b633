"""Words and figures shown around an answer (its usage line, status note and timings), decided
without a browser."""

from __future__ import annotations

from dataclasses import dataclass

from core.conversation import Message, Status

STATUS_LABELS = {
    Status.CUT_OFF: "cut off by max_completion_tokens",
    Status.STOPPED: "stopped",
    Status.INCOMPLETE: "incomplete",
    Status.FAILED: "failed",
}


@dataclass(frozen=True)
class AnswerMetrics:
    """The figures shown under an answer."""

    first_token_s: float | None
    total_s: float | None
    tokens_per_s: float | None


def answer_metrics(answer: Message) -> AnswerMetrics:
    """Tokens per second over the generation time, from reported usage only."""
    timing = answer.timing
    rate: float | None = None
    if answer.usage is not None and answer.usage_reported and timing.total_s:
        generating = timing.total_s - (timing.first_token_s or 0.0)
        if generating <= 0:
            generating = timing.total_s
        if answer.usage.completion_tokens and generating > 0:
            rate = answer.usage.completion_tokens / generating
    return AnswerMetrics(timing.first_token_s, timing.total_s, rate)


def reasoning_spent_limit(answer: Message) -> bool:
    """Cut off with no visible text but reasoning tokens used: the limit went on thinking."""
    return (
        answer.status == Status.CUT_OFF
        and not answer.text.strip()
        and answer.usage is not None
        and answer.usage.reasoning_tokens > 0
    )


def format_waited(seconds: float) -> str:
    """' 3 s' for a wait shown while it lasts: whole seconds (nothing in the first second), so the
    line changes, and is redrawn, once a second."""
    return f" {int(seconds)} s" if seconds >= 1 else ""


def format_seconds(seconds: float | None) -> str:
    """'850 ms' below a second, '2.4 s' above; an en dash when unknown."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def usage_line(answer: Message, *, with_model: bool = True) -> str:
    """Model (unless a blind round hides it), tokens from the reported usage, time to first
    token, total time, tokens per second, and how the answer ended if not simply complete."""
    parts = [answer.model or "unknown model"] if with_model else []
    usage = answer.usage
    if usage is not None and answer.usage_reported:
        parts.append(f"{usage.prompt_tokens:,} prompt")
        parts.append(f"{usage.completion_tokens:,} completion")
        parts.append(f"{usage.reasoning_tokens:,} reasoning")
        parts.append(f"{usage.cached_tokens:,} cached tokens")
    else:
        parts.append("usage not reported")
    metrics = answer_metrics(answer)
    parts.append(f"first token {format_seconds(metrics.first_token_s)}")
    parts.append(f"total {format_seconds(metrics.total_s)}")
    if metrics.tokens_per_s is not None:
        parts.append(f"{metrics.tokens_per_s:.1f} tokens/s")
    label = STATUS_LABELS.get(answer.status)
    if label:
        parts.append(label)
    return " · ".join(parts)


def status_note(answer: Message) -> str | None:
    """A one-line explanation for any answer that did not simply complete."""
    if reasoning_spent_limit(answer):
        return (
            "No visible answer: the whole max_completion_tokens budget was spent on reasoning. "
            "Raise the limit (or turn it off) and Continue or Retry."
        )
    if answer.status == Status.CUT_OFF:
        return "Cut off by max_completion_tokens. Continue asks the model for the rest."
    if answer.status == Status.STOPPED:
        return "Stopped. The partial answer is kept: Continue or Retry."
    if answer.finish_reason == "content_filter":
        return "The gateway's content filter ended this answer early."
    return None
