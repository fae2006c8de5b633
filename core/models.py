"""What the app knows about a model from its id alone: reasoning models and the instructions role."""

from __future__ import annotations

from typing import Literal

from core.conversation import InstructionsRole

RoleChoice = Literal["auto", "developer", "system"]


def is_reasoning_model(model: str) -> bool:
    """o-series ids (o1, o3, o4-mini, ...) take the `developer` role and spend reasoning tokens."""
    head = model.strip().lower().split("/")[-1]
    return len(head) >= 2 and head[0] == "o" and head[1].isdigit()


def instructions_role(choice: RoleChoice, model: str) -> InstructionsRole:
    """The role the instructions are sent with: the user's pick, or by model when automatic."""
    if choice == "auto":
        return "developer" if is_reasoning_model(model) else "system"
    return choice
