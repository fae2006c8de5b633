"""PLACEHOLDER until the real identity module lands: who the user is. Everyone is the local user,
an admin. The admin page relies only on `current_identity(settings)` and the four fields below."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings


@dataclass(frozen=True)
class Identity:
    user_id: str
    name: str
    email: str | None
    is_admin: bool


def current_identity(settings: Settings) -> Identity | None:
    """The signed-in user, or None when this session may not be served (placeholder: local admin)."""
    return Identity("local", "Local user", None, True)
