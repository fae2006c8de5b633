"""What the usage limits hold for an answer until it ends, and what an answer is taken to have
used when the gateway never said.

The gateway reports usage in a stream's last chunk, so an answer stopped, closed with its tab or
cut short reports none. Counting those as 0 let anyone walk past the token and cost budgets, so
they count an estimate instead: the prompt as sent plus the text received, at
core.context_fit's characters-per-token rule (no tokenizer: none can be downloaded where the app
runs, and the rule leans high).

Tokens are known only once an answer ends, so admission holds a figure for every answer still
streaming: its prompt's estimate plus its max_completion_tokens, or the configured default. Answers
started together can then not all pass a budget that only one of them fits; a budget is passed
by at most one answer's hold (or by an answer allowed no max_completion_tokens that runs past the
default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from core.context_fit import ContextTooLong, context_window, fit_context, text_tokens
from core.conversation import ChatParams, Message, Status, Usage
from core.pricing import estimate_cost
from core.settings import Settings

# How long past the total timeout a request may still be streaming: connecting, an automatic
# retry's wait and the final write of its outcome all come on top of the answer itself.
STREAM_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class Hold:
    """What one answer may use, counted against the limits from admission until it ends."""

    prompt_tokens: int = 0  # estimated from what is sent
    completion_tokens: int = 0  # its max_completion_tokens, else the configured default
    cost_usd: float | None = None  # both at the model's price; None when the model has none

    @property
    def tokens(self) -> int:
        """The prompt and the answer together."""
        return self.prompt_tokens + self.completion_tokens


def hold_for(history: Sequence[Message], params: ChatParams, settings: Settings) -> Hold:
    """The hold for sending `history` with `params`: the prompt as fit_context estimates what is
    sent, and max_completion_tokens or `settings.limit_reserve_tokens`; nothing when the prompt
    cannot be sent at all (the answer then says why, and no request leaves)."""
    try:
        fit = fit_context(history, params, context_window(settings.context_windows, params.model))
    except ContextTooLong:
        return Hold()
    completion = params.max_completion_tokens or settings.limit_reserve_tokens
    usage = Usage(fit.estimated_tokens, completion, fit.estimated_tokens + completion)
    cost = estimate_cost(params.model, usage, settings.prices)
    return Hold(fit.estimated_tokens, completion, None if cost is None else cost.usd)


def estimated_usage(answer: Message, prompt_tokens: int, prior_chars: int = 0) -> Usage | None:
    """What an answer whose gateway reported no usage is taken to have used: `prompt_tokens` (the
    prompt's estimate) plus the text received by this request (after the first `prior_chars`,
    which a Continue had already). None for a request that failed before any text arrived: the
    gateway refused it or never answered, and nothing was generated."""
    received = answer.text[prior_chars:]
    if answer.status == Status.FAILED and not received:
        return None
    completion = text_tokens(received)
    return Usage(prompt_tokens, completion, prompt_tokens + completion)


def streaming_bound(total_timeout_s: float) -> timedelta:
    """How long after it was sent a request can still be streaming: a whole answer's timeout
    (GPTPROTO_TOTAL_TIMEOUT) plus STREAM_GRACE. A request still marked as sent after that was left
    by a process that died mid-answer."""
    return timedelta(seconds=total_timeout_s) + STREAM_GRACE
