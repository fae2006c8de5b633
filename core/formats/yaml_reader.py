"""YAML read in one pass: the parser's events (libyaml's, when PyYAML has it) become values
directly, so the text is parsed once and every check runs before anything is built from it.

Refused, with where: aliases and merge keys (a few lines of them expand to gigabytes), tags other
than the plain types, nesting deeper than MAX_DEPTH, keys that are not text or appear twice,
whole numbers longer than MAX_INT_DIGITS (Python itself refuses past 4,300 digits), numbers that
are not finite, dates that do not exist, more than one document, and text a database cannot
store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from core.formats.checks import (
    MAX_DEPTH,
    ImportRejected,
    not_finite,
    repeated_key,
    too_many_digits,
    unstorable,
)

# libyaml produces the same events about 20 times faster than the pure-Python parser.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()  # its scalar constructors keep no state between calls
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    f"{_TAG}{name}": getattr(_CONSTRUCTOR, f"construct_yaml_{name}")
    for name in ("null", "bool", "int", "float", "binary", "timestamp", "str")
}
_SCALARS[f"{_TAG}value"] = _CONSTRUCTOR.construct_yaml_str  # a lone "=" is text, not a type
_PLAIN_COLLECTIONS = (None, "!", f"{_TAG}seq", f"{_TAG}map")
_INT = f"{_TAG}int"
_NO_KEY = object()
_PLAIN_TYPES = "write plain text, numbers, lists and mappings."
_AGAIN = "Check the file, or export it again from this app."


class _Open:
    """A list or mapping being read: what it holds so far, its place in its parent, and for a
    mapping the key still waiting for its value."""

    __slots__ = ("key", "parent", "slot", "value")

    def __init__(self, value: list[Any] | dict[str, Any], parent: _Open | None, slot: object) -> None:
        self.value, self.parent, self.slot, self.key = value, parent, slot, _NO_KEY

    def where(self) -> str:
        """The path to this collection, as pydantic's errors are shown: prompts[0].images."""
        if self.parent is None:
            return ""
        above = self.parent.where()
        if self.slot is _NO_KEY:  # a list or mapping used as a key: refused once it ends
            return above
        if isinstance(self.slot, int):
            return f"{above}[{self.slot}]"
        return f"{above}.{self.slot}" if above else str(self.slot)

    def next_place(self) -> object:
        """The slot the next value fills: a list index, a mapping key, or _NO_KEY for a key."""
        return len(self.value) if isinstance(self.value, list) else self.key

    def add(self, value: Any, event: yaml.Event) -> None:
        if isinstance(self.value, list):
            self.value.append(value)
        elif self.key is not _NO_KEY:
            self.value[str(self.key)] = value
            self.key = _NO_KEY
        else:
            self.key = _checked_key(value, self, event)


def parse_yaml(text: str) -> Any:
    """The one document in `text`, or ImportRejected saying what is wrong, where, and what to do."""
    try:
        return _build(yaml.parse(text, Loader=_LOADER))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "it could not be read"
        raise ImportRejected(f"{where}the file is not valid YAML ({problem}). {_AGAIN}") from None


def _build(events: Iterable[yaml.Event]) -> Any:
    stack: list[_Open] = []
    root: Any = None
    documents = 0
    for event in events:
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionEndEvent):
            value = _scalar(event, stack) if isinstance(event, yaml.ScalarEvent) else stack.pop().value
            if stack:
                stack[-1].add(value, event)
            else:
                root = value
        elif isinstance(event, yaml.CollectionStartEvent):
            stack.append(_opened(event, stack))
        elif isinstance(event, yaml.AliasEvent):
            raise ImportRejected(
                f"{_at(event)}: YAML aliases (*name) are not accepted; write each value out."
            )
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ImportRejected(
                    f"{_at(event)}: the file holds more than one YAML document (---); "
                    "a file this app writes holds one. Remove the others."
                )
    return root


def _opened(event: yaml.CollectionStartEvent, stack: list[_Open]) -> _Open:
    if event.tag not in _PLAIN_COLLECTIONS:
        raise ImportRejected(
            f"{_at(event)}: the YAML tag {_shown(event.tag)} is not accepted; {_PLAIN_TYPES}"
        )
    if len(stack) >= MAX_DEPTH:
        raise ImportRejected(
            f"{_at(event)}: the YAML nests deeper than {MAX_DEPTH} levels (a file this app writes "
            "nests at most 6). Pick a file exported from this app."
        )
    parent = stack[-1] if stack else None
    empty: list[Any] | dict[str, Any] = [] if isinstance(event, yaml.SequenceStartEvent) else {}
    return _Open(empty, parent, parent.next_place() if parent else None)


def _scalar(event: yaml.ScalarEvent, stack: list[_Open]) -> Any:
    tag, construct = _constructor(event)
    problem = too_many_digits(event.value) if tag == _INT else None
    if problem is None:
        try:
            value = construct(ScalarNode(tag, event.value))
        except ValueError:  # a date that does not exist, such as 2024-02-30
            problem = f"{event.value[:40]} is not a valid date; quote it to keep it as text."
        else:
            if isinstance(value, str):
                problem = unstorable(value)
            elif isinstance(value, float):
                problem = not_finite(event.value, value)
            if problem is None:
                return value
    raise ImportRejected(f"{_value_path(stack)}: {problem}")


def _constructor(event: yaml.ScalarEvent) -> tuple[str, Callable[[ScalarNode], Any]]:
    """The scalar's type as YAML resolves it (its tag), and what builds its value."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)
    construct = _SCALARS.get(tag)
    if construct is not None:
        return tag, construct
    if tag == f"{_TAG}merge":
        raise ImportRejected(
            f"{_at(event)}: YAML merge keys (<<) are not accepted; write each value out "
            '(or quote "<<" to keep it as text).'
        )
    raise ImportRejected(f"{_at(event)}: the YAML tag {_shown(tag)} is not accepted; {_PLAIN_TYPES}")


def _value_path(stack: list[_Open]) -> str:
    if not stack:
        return "the file"
    top = stack[-1]
    place, where = top.next_place(), top.where()
    if place is _NO_KEY:
        return f"a key in {where or 'the file'}"
    if isinstance(place, int):
        return f"{where}[{place}]"
    return f"{where}.{place}" if where else str(place)


def _checked_key(key: Any, mapping: _Open, event: yaml.Event) -> str:
    where = mapping.where()
    if not isinstance(key, str):
        raise ImportRejected(
            f"{where or 'the file'}: the key {key!r} must be text (YAML reads 1, yes or 2024-01-01 as "
            "other types); quote it."
        )
    if key in mapping.value:
        raise ImportRejected(repeated_key(key, where, _at(event)))
    return key


def _at(event: yaml.Event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "the file"


def _shown(tag: str | None) -> str:
    return (tag or "").replace(_TAG, "!!", 1)  # as it is written in a file
