"""The rules for deleting all of one's own data: what the person types to confirm it, and how
what was deleted is told."""

from __future__ import annotations

from typing import Protocol

ERASE_WORD = "delete"


class ErasedCounts(Protocol):
    """What deleting everything removed (core/storage/own_data.Erased)."""

    @property
    def chats(self) -> int: ...

    @property
    def comparisons(self) -> int: ...

    @property
    def prompt_sets(self) -> int: ...

    @property
    def shares(self) -> int: ...

    @property
    def votes(self) -> int: ...

    @property
    def presets(self) -> int: ...


def erase_confirmation(email: str | None) -> str:
    """What the person types to confirm: their email when the sign-in gave one, else "delete"."""
    return email.strip() if email and email.strip() else ERASE_WORD


def erase_confirmed(typed: str | None, expected: str) -> bool:
    """True when `typed` is `expected` (any case, spaces around it ignored)."""
    return typed is not None and typed.strip().casefold() == expected.casefold()


def erased_summary(erased: ErasedCounts) -> str:
    """One sentence: how many of each went."""
    return (
        f"Deleted all your data: {erased.chats} conversation(s), {erased.comparisons} comparison(s), "
        f"{erased.prompt_sets} prompt set(s), {erased.presets} preset(s), {erased.shares} share link(s) "
        f"and {erased.votes} Compare vote(s)."
    )
