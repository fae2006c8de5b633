"""Every request to the gateway goes through here: the user's limits are checked and the
request recorded before anything is sent (in the database, so every replica counts the same),
and the outcome recorded when the answer settles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.plumbing.identity import current_identity
from components.plumbing.storage import RunStore, safely
from core.conversation import Message, Usage
from core.pricing import Prices
from core.quotas import LimitRefusal, Limits, default_limits
from core.settings import Settings

if TYPE_CHECKING:
    from components.plumbing.storage import UsageStore

DATABASE_DOWN = (
    "Not sent: your usage limits cannot be checked while the database is unreachable. "
    "Try again in a moment; your prompt is kept."
)


@dataclass
class Reservation:
    """Requests recorded as sent, one per model; each is completed when its answer settles."""

    store: UsageStore | None
    row_ids: list[int]
    prices: Prices

    def settle(self, index: int, answer: Message, prior_usage: Usage | None = None) -> None:
        """Record how request `index` ended (tokens, cost, status, latency, request id)."""
        store = self.store
        if store is None or index >= len(self.row_ids):
            return
        row_id = self.row_ids[index]
        safely(lambda: store.finish_answer(row_id, answer, self.prices, prior_usage=prior_usage))


def reserve(run_store: RunStore, settings: Settings, models: Sequence[str], page: str) -> Reservation | str:
    """Check the signed-in user's limits for one request per model and record them as sent;
    over a limit, the message to show instead (which limit, when it resets)."""
    defaults = default_limits(settings)
    user = current_identity(settings)
    usage = run_store.usage()
    result = None
    if usage is not None and user is not None:
        result = safely(lambda: usage.reserve(user.user_id, list(models), page=page, defaults=defaults))
    if isinstance(result, LimitRefusal):
        return result.message
    if result is None:  # no database, no count: refuse only where the operator set limits
        return DATABASE_DOWN if defaults != Limits() else Reservation(None, [], dict(settings.prices))
    return Reservation(usage, result, dict(settings.prices))
