"""The optional request parameters beyond the documented ones: reasoning effort and sampling.

The gateway's page does not say which OpenAI extensions it accepts, so each parameter is sent
only when the person set it; an unset one is absent from the request body, not null.
`Sampling` is the one place that knows their names, ranges and JSON shape: the sidebar, the
Compare columns, presets, stored conversations and exports all go through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

ReasoningEffort = Literal["low", "medium", "high"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = ("low", "medium", "high")
MAX_STOP_SEQUENCES = 4
MAX_STOP_CHARS = 100

# name -> (label, lowest, highest) for the numeric parameters.
_RANGES: dict[str, tuple[str, float, float]] = {
    "temperature": ("Temperature", 0.0, 2.0),
    "top_p": ("Top p", 0.0, 1.0),
    "presence_penalty": ("Presence penalty", -2.0, 2.0),
    "frequency_penalty": ("Frequency penalty", -2.0, 2.0),
}
SEED_LIMIT = 2**63 - 1


class SamplingError(ValueError):
    """A parameter value the app cannot send; the message says how to fix it."""


@dataclass(frozen=True)
class Sampling:
    """Reasoning effort and sampling parameters; None means "not set, not sent"."""

    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: tuple[str, ...] | None = None

    def to_body(self) -> dict[str, Any]:
        """The fields to add to the request body: only those that are set."""
        body: dict[str, Any] = {}
        for name, value in self._set_fields():
            body[name] = list(value) if name == "stop" else value
        return body

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape stored and exported: the set fields only (same as the request body)."""
        return self.to_body()

    def merged(self, own: Sampling) -> Sampling:
        """These parameters with every one set in `own` taking its place (a Compare column's own
        reasoning effort or temperature over the parameters all columns share)."""
        return replace(self, **dict(own._set_fields()))

    def without(self, name: str) -> Sampling:
        """The same parameters with `name` unset (after the gateway refused it)."""
        if name not in names():
            raise KeyError(name)
        return replace(self, **{name: None})

    def is_empty(self) -> bool:
        return not any(True for _ in self._set_fields())

    def summary(self) -> str:
        """A short label such as "effort high · temperature 0.2", empty when nothing is set."""
        parts = []
        for name, value in self._set_fields():
            if name == "reasoning_effort":
                parts.append(f"effort {value}")
            elif name == "stop":
                parts.append(f"stop ×{len(value)}")
            else:
                parts.append(f"{name.replace('_', ' ')} {value:g}")
        return " · ".join(parts)

    def _set_fields(self) -> Any:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                yield item.name, value


def names() -> tuple[str, ...]:
    """Every parameter name, in the order the sidebar shows them."""
    return tuple(item.name for item in fields(Sampling))


def number_range(name: str) -> tuple[float, float]:
    """The lowest and highest value a numeric parameter takes."""
    _, low, high = _RANGES[name]
    return low, high


def label(name: str) -> str:
    """The human name of a parameter, for messages."""
    if name == "reasoning_effort":
        return "Reasoning effort"
    if name == "seed":
        return "Seed"
    if name == "stop":
        return "Stop sequences"
    return _RANGES[name][0]


def sampling_from_dict(raw: Any) -> Sampling:
    """Read the stored/exported/imported JSON shape strictly: unknown keys and bad values are
    refused with a message naming the field; absent or null fields stay unset."""
    if raw is None:
        return Sampling()
    if not isinstance(raw, dict):
        raise SamplingError('Parameters must be an object such as {"temperature": 0.2}.')
    unknown = sorted(set(raw) - set(names()))
    if unknown:
        raise SamplingError(f"Unknown parameter {unknown[0]!r}; the known ones are {', '.join(names())}.")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue
        values[name] = _checked(name, value)
    return Sampling(**values)


def _checked(name: str, value: Any) -> Any:
    if name == "reasoning_effort":
        if value not in REASONING_EFFORTS:
            raise SamplingError(
                f"Reasoning effort must be one of {', '.join(REASONING_EFFORTS)}, got {value!r}."
            )
        return value
    if name == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > SEED_LIMIT:
            raise SamplingError(f"Seed must be a whole number, got {value!r}.")
        return value
    if name == "stop":
        return _checked_stop(value)
    title, low, high = _RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SamplingError(f"{title} must be a number from {low:g} to {high:g}, got {value!r}.")
    if not low <= value <= high:
        raise SamplingError(f"{title} must be from {low:g} to {high:g}, got {value:g}.")
    return float(value)


def _checked_stop(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise SamplingError("Stop sequences must be a list of texts.")
    if not value:
        raise SamplingError("Stop sequences, when given, must hold at least one text.")
    if len(value) > MAX_STOP_SEQUENCES:
        raise SamplingError(f"At most {MAX_STOP_SEQUENCES} stop sequences can be sent; got {len(value)}.")
    for item in value:
        if not item or len(item) > MAX_STOP_CHARS:
            raise SamplingError(f"Each stop sequence must be 1 to {MAX_STOP_CHARS} characters long.")
    return tuple(value)


def format_value(name: str, value: Any) -> str:
    """A set value as the sidebar shows it in its box (stop sequences one per line)."""
    if value is None:
        return ""
    if name == "stop":
        return "\n".join(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_number(name: str, raw: str) -> float | int | None:
    """A number typed in the sidebar: empty means unset; otherwise checked like stored values."""
    text = raw.strip()
    if not text:
        return None
    try:
        number: float | int = int(text) if name == "seed" else float(text)
    except ValueError:
        if name == "seed":
            raise SamplingError(f"Seed must be a whole number, got {text!r}.") from None
        _, low, high = _RANGES[name]
        problem = f"{label(name)} must be a number from {low:g} to {high:g}, got {text!r}."
        raise SamplingError(problem) from None
    return _checked(name, number)


def parse_numbers(name: str, raw: str) -> list[float | int]:
    """Several values typed with commas between them ("0.2, 1"): each checked; empty is none."""
    return [value for part in raw.split(",") if (value := parse_number(name, part)) is not None]


def parse_stop(raw: str) -> tuple[str, ...] | None:
    """Stop sequences typed one per line; empty means unset."""
    lines = [line for line in raw.splitlines() if line != ""]
    if not lines:
        return None
    return _checked_stop(lines)
