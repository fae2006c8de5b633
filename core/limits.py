"""The three caps on one person's gateway use and how layers of them combine, with no other
import: the settings' parsers (core.settings) and the group policies (core.policies) read them
as well as the quotas (core.quotas).

In a layer (an admin's per-person override, a group's policy) a field left as None means "not set
here: ask the layer below"; the value 0 (UNLIMITED) means "no limit". After `merge_limits`, None
means no limit and every other value is a real cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UNLIMITED = 0  # in an override, a group's policy or a setting: no limit at all

LimitName = Literal["requests_per_minute", "tokens_per_day", "cost_per_month_usd"]
LIMIT_NAMES: tuple[LimitName, ...] = ("requests_per_minute", "tokens_per_day", "cost_per_month_usd")


@dataclass(frozen=True)
class Limits:
    """Caps on one user's use; see the module docstring for what None and 0 mean."""

    requests_per_minute: int | None = None
    tokens_per_day: int | None = None
    cost_per_month_usd: float | None = None

    def is_empty(self) -> bool:
        """True when every field is None: as an override, nothing differs from the defaults."""
        return all(getattr(self, name) is None for name in LIMIT_NAMES)


def merge_limits(defaults: Limits, override: Limits | None) -> Limits:
    """The limits in force: each field of `override` unless None, else the default; 0 becomes None
    (no limit), so the result holds only real caps."""
    merged: dict[str, float | None] = {}
    for name in LIMIT_NAMES:
        value = getattr(override, name) if override is not None else None
        if value is None:
            value = getattr(defaults, name)
        merged[name] = None if value is None or value <= UNLIMITED else value
    rpm, tokens, cost = (merged[name] for name in LIMIT_NAMES)
    return Limits(None if rpm is None else int(rpm), None if tokens is None else int(tokens), cost)
