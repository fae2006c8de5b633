"""Presets (personas): a name, instructions with their role, a model, sampling parameters and a
few starter prompts, so a new chat or comparison starts the same way each time. Checked before
they are saved, stored per person, and published by an admin for everyone. Their file format is
core.formats.preset's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from core.formats.checks import ImportRejected
from core.gateway.request import InputError, validate_model_id
from core.input_length import too_long_message
from core.models import RoleChoice
from core.safe_text import one_line
from core.sampling import Sampling, SamplingError, sampling_from_dict

MAX_NAME_CHARS = 100
MAX_STARTERS = 4
MAX_STARTER_CHARS = 300
MAX_PRESETS_PER_FILE = 200
ROLE_CHOICES: tuple[RoleChoice, ...] = get_args(RoleChoice)


class PresetRejected(ImportRejected):
    """A preset that cannot be saved or imported; the message says what is wrong and what to do."""


class NotAllowed(PermissionError):
    """The person may use this preset but not do what was asked; the message says why."""


@dataclass(frozen=True)
class Preset:
    """What a new chat starts from; `id` once stored, `published` when everyone sees it."""

    name: str
    model: str
    instructions: str = ""
    instructions_role: RoleChoice = "auto"
    sampling: Sampling = field(default_factory=Sampling)
    starters: tuple[str, ...] = ()
    id: str | None = None
    published: bool = False


def check_preset(preset: Preset, max_instructions_chars: int = 20_000) -> Preset:
    """The preset with its name, model and starters tidied, or PresetRejected naming the first
    problem and how to fix it."""
    name = one_line(preset.name)
    if not name:
        raise PresetRejected("Give the preset a name.")
    if len(name) > MAX_NAME_CHARS:
        raise PresetRejected(
            f"The name is {len(name)} characters long; the limit is {MAX_NAME_CHARS}. Shorten it."
        )
    if not preset.model.strip():
        raise PresetRejected("Pick the model the preset starts with.")
    try:
        model = validate_model_id(preset.model)
    except InputError as exc:
        raise PresetRejected(str(exc)) from None
    if preset.instructions_role not in ROLE_CHOICES:
        raise PresetRejected(
            f"The instructions role must be one of {', '.join(ROLE_CHOICES)}, "
            f"not {preset.instructions_role!r}."
        )
    too_long = too_long_message("instructions", len(preset.instructions), max_instructions_chars)
    if too_long:
        raise PresetRejected(too_long)
    starters = _checked_starters(preset.starters)
    return Preset(
        name,
        model,
        preset.instructions,
        preset.instructions_role,
        preset.sampling,
        starters,
        preset.id,
        preset.published,
    )


def _checked_starters(starters: Sequence[str]) -> tuple[str, ...]:
    kept = tuple(text.strip() for text in starters if text.strip())
    if len(kept) > MAX_STARTERS:
        raise PresetRejected(
            f"A preset has at most {MAX_STARTERS} starter prompts; this one has {len(kept)}. Remove some."
        )
    for number, text in enumerate(kept, start=1):
        if len(text) > MAX_STARTER_CHARS:
            raise PresetRejected(
                f"Starter prompt {number} is {len(text):,} characters long; the limit is "
                f"{MAX_STARTER_CHARS}. A starter is a short suggestion: shorten it."
            )
    return kept


def starters_from_text(text: str) -> tuple[str, ...]:
    """Starter prompts typed one per line (blank lines left out)."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def checked_sampling(raw: Any) -> Sampling:
    """Parameters read from a file or the stored form, strictly; PresetRejected otherwise."""
    try:
        return sampling_from_dict(raw)
    except SamplingError as exc:
        raise PresetRejected(f"parameters: {exc}") from None


# -- the stored form (trusted: written by this module) --------------------------------------------


def preset_to_data(preset: Preset) -> dict[str, Any]:
    """Everything but the name, id and published flag, as JSON-ready data."""
    return {
        "model": preset.model,
        "instructions": preset.instructions,
        "instructions_role": preset.instructions_role,
        "parameters": preset.sampling.as_dict(),
        "starters": list(preset.starters),
    }


def preset_from_data(
    name: str, data: Mapping[str, Any], preset_id: str | None = None, published: bool = False
) -> Preset:
    """A preset back from `preset_to_data`."""
    role = data.get("instructions_role")
    return Preset(
        name=name,
        model=str(data.get("model", "")),
        instructions=str(data.get("instructions", "")),
        instructions_role=role if role in ROLE_CHOICES else "auto",
        sampling=checked_sampling(data.get("parameters")),
        starters=tuple(str(s) for s in data.get("starters") or ()),
        id=preset_id,
        published=published,
    )


def may_edit(published: bool, owned: bool, is_admin: bool) -> bool:
    """Who may change or delete a preset: its owner while it is their own, and only an admin
    once it is published for everyone."""
    return is_admin if published else owned


def describe(preset: Preset) -> str:
    """'o4-mini · effort high · 2 starters': the preset's line in a chooser."""
    parts = [preset.model]
    summary = preset.sampling.summary()
    if summary:
        parts.append(summary)
    if preset.starters:
        parts.append(f"{len(preset.starters)} starter{'s' if len(preset.starters) > 1 else ''}")
    return " · ".join(parts)
