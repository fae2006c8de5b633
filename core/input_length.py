"""How long a prompt or instructions may be, in characters, and when to show a counter."""

from __future__ import annotations

COUNTER_FROM = 0.8  # show "12,345 / 100,000 characters" once past this share of the limit


def too_long_message(what: str, length: int, limit: int) -> str | None:
    """None when `length` characters fit `limit` (0: no limit); otherwise what is wrong and what to do."""
    if not limit or length <= limit:
        return None
    return (
        f"The {what} is {length:,} characters long; the limit is {limit:,}. "
        f"Shorten it by {length - limit:,} characters, or split it over several messages."
    )


def length_counter(length: int, limit: int) -> str | None:
    """'12,345 / 100,000 characters' once `length` passes 80% of `limit`; None below (or no limit)."""
    if not limit or length < COUNTER_FROM * limit:
        return None
    return f"{length:,} / {limit:,} characters"
