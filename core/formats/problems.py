"""A pydantic validation failure as the message an import shows: the first problem as
`where: what`, in words a person who edited the file can act on, and how many more there are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.formats.parts import PATTERN_WORDS


def describe(errors: Sequence[Any]) -> str:
    """The first of pydantic's `errors` as `where: what.`, and how many more there are."""
    first = errors[0]
    where = _location(first["loc"]) or "the file"
    more = len(errors) - 1
    tail = f" ({more} more problem{'s' if more > 1 else ''} in the file)" if more else ""
    return f"{where}: {_what(first)}.{tail}"


def _location(loc: Sequence[Any]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


_KINDS = {
    "missing": "is missing",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "finite_number": "must be a finite number",
}


def _what(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).rstrip(".")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return PATTERN_WORDS.get(pattern, f"must match {pattern}")
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']:,} characters"
    if kind == "too_long":
        return f"has more than {ctx['max_length']:,} items"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "literal_error":
        return f"must be {ctx['expected']}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    return _KINDS.get(kind, str(error["msg"]).lower())
