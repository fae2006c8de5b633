"""Every request to the gateway goes through here: its models are checked against the user's
group policies and the user's limits are checked, and the request recorded, before anything is sent
(in the database, so every replica counts the same), and the outcome recorded when the answer
settles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from components.plumbing import identity as identity_door
from components.plumbing.policy import allowance_of
from components.plumbing.storage import RunStore, current_backoff, guarded, safely
from core.admission import Hold, hold_for
from core.backoff import StoreBackoff
from core.conversation import ChatParams, Message, Usage
from core.metrics import count_limit_refusal, observe_request
from core.policies import models_refusal
from core.pricing import Prices
from core.quotas import LimitRefusal, Limits
from core.request_log import log_request
from core.settings import Settings
from core.usage_report import outcome_of

if TYPE_CHECKING:
    from components.plumbing.storage import UsageStore

DATABASE_DOWN = (
    "Not sent: your usage limits cannot be checked while the database is unreachable. "
    "Try again in a moment; your prompt is kept."
)


@dataclass
class Reservation:
    """Requests recorded as sent, one per model, each holding what its answer may use; each is
    completed when its answer settles."""

    store: UsageStore | None
    row_ids: list[int]
    prices: Prices
    holds: list[Hold] = field(default_factory=list)
    backoff: StoreBackoff | None = None  # taken along: settling may come after the page has gone
    user_id: str | None = None  # for the request's log line
    page: str = ""

    def settle(
        self, index: int, answer: Message, prior_usage: Usage | None = None, prior_chars: int = 0
    ) -> None:
        """Record how request `index` ended (tokens, cost, status, latency, request id), in place
        of its hold: the reported usage, else an estimate from its prompt and the text after the
        first `prior_chars` (a Continue's earlier text). Touches no st state, so it also records
        an answer whose tab was closed mid-stream (the stopped script raises at every st call).
        The metrics and the log line count it too, whether or not the database answers."""
        outcome = outcome_of(answer, self.prices, prior_usage=prior_usage)
        observe_request(answer.model, outcome)
        log_request(self.user_id, self.page, answer.model, outcome)
        store = self.store
        if store is None or index >= len(self.row_ids):
            return
        row_id = self.row_ids[index]
        hold = self.holds[index] if index < len(self.holds) else None
        guarded(
            lambda: store.finish_answer(
                row_id, answer, self.prices, prior_usage=prior_usage, hold=hold, prior_chars=prior_chars
            ),
            self.backoff,
        )


def reserve(
    run_store: RunStore,
    settings: Settings,
    requests: Sequence[tuple[Sequence[Message], ChatParams]],
    page: str,
) -> Reservation | str:
    """Check the models of `requests` (each the history to send and its options: one per model)
    against the signed-in user's policy and their limits, and record them as sent, each holding
    what its answer may use; otherwise the message to show instead (which models they may use, or
    which limit and when it resets)."""
    user = identity_door.current_identity(settings)
    allowed = allowance_of(settings, run_store, user)
    models = [params.model for _, params in requests]
    refused = models_refusal(models, allowed.models)
    if refused is not None:
        return refused
    defaults = allowed.limits  # the settings' defaults under the user's groups' limits
    usage = run_store.usage()
    holds = [hold_for(history, params, settings) for history, params in requests]
    result = None
    if usage is not None and user is not None:
        result = safely(
            lambda: usage.reserve(user.user_id, models, page=page, defaults=defaults, holds=holds)
        )
    if isinstance(result, LimitRefusal):
        count_limit_refusal(result.limit)
        return result.message
    user_id = user.user_id if user is not None else None
    if result is None:  # no database, no count: refuse only where the operator set limits
        if defaults != Limits():
            return DATABASE_DOWN
        return Reservation(None, [], dict(settings.prices), user_id=user_id, page=page)
    return Reservation(usage, result, dict(settings.prices), holds, current_backoff(), user_id, page)
