"""JSON read strictly: nesting is bounded before the parser recurses, NaN and Infinity are
refused with where they are, numbers stay finite and short, a key may appear once in an object,
and every string is text a database can store."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, NoReturn

from core.formats.checks import (
    MAX_DEPTH,
    ImportRejected,
    check_text,
    not_finite,
    position,
    repeated_key,
    too_many_digits,
)

_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|-?Infinity|NaN|"', re.S)


class _RepeatedKey(dict[str, Any]):
    """An object in which `key` appeared twice: kept until the walk that knows its path."""

    def __init__(self, pairs: list[tuple[str, Any]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def parse_json(text: str) -> Any:
    """The document in `text`, or ImportRejected saying what is wrong, where, and what to do."""
    _prescan(text)
    try:
        data = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as error:
        raise ImportRejected(
            f"line {error.lineno}, column {error.colno}: the file is not valid JSON ({error.msg}). "
            "Pick a .json file exported from this app."
        ) from None
    _walk(data, "")
    return data


def _prescan(text: str) -> None:
    """Refuse deep nesting before json.loads recurses into it, and NaN/Infinity with where they are."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        first = token.group(0)[0]
        if first == '"':
            if len(token.group(0)) == 1:
                return  # an unterminated string: json.loads says where
        elif first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = position(text, token.start())
                raise ImportRejected(
                    f"line {line}, column {column}: the JSON nests deeper than {MAX_DEPTH} levels "
                    "(a file this app writes nests at most 6). Pick a file exported from this app."
                )
        elif first in "]}":
            depth -= 1
        else:
            line, column = position(text, token.start())
            raise ImportRejected(
                f"line {line}, column {column}: {token.group(0)} is not a number JSON allows; "
                "every number in a file this app writes is finite. Pick a file exported from this app."
            )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    counts = Counter(key for key, _ in pairs)
    return _RepeatedKey(pairs, next(key for key, count in counts.items() if count > 1))


def _refuse_constant(name: str) -> NoReturn:
    raise ImportRejected(
        f"{name} is not a number JSON allows; every number in a file this app writes is finite. "
        "Pick a file exported from this app."
    )


def _finite_float(literal: str) -> float:
    value = float(literal)
    problem = not_finite(literal, value)
    if problem:
        raise ImportRejected(problem)
    return value


def _bounded_int(literal: str) -> int:
    problem = too_many_digits(literal)
    if problem:
        raise ImportRejected(problem)
    return int(literal)


def _walk(value: Any, where: str) -> None:
    """Every string and key checked with `check_text`, and repeated keys refused, by path."""
    if isinstance(value, str):
        check_text(value, where or "the file")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        if isinstance(value, _RepeatedKey):
            raise ImportRejected(repeated_key(value.key, where))
        for key, item in value.items():
            check_text(key, f"a key in {where or 'the file'}")
            _walk(item, f"{where}.{key}" if where else key)
