"""The one reader of untrusted files: an uploaded conversation, comparison or prompt set, or a
share link's snapshot. Whatever a file holds, it is refused with a message that says what is
wrong, where, and what to do, or it comes back as its format's pydantic model; nothing is built
or stored from a file that is refused.

In order: the size (YAML is held to less, as even libyaml reads it far slower than JSON), UTF-8,
the syntax with its own checks (core.formats.json_reader, core.formats.yaml_reader: nesting,
numbers, duplicate keys, storable text), the file's `format` and `version`, then the schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from core.formats.checks import ImportRejected, decode
from core.formats.json_reader import parse_json
from core.formats.problems import describe
from core.formats.yaml_reader import parse_yaml
from core.images import format_bytes

__all__ = ["MAX_IMPORT_BYTES", "MAX_YAML_BYTES", "Document", "ImportRejected", "read"]

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# YAML of many small values takes about 0.6 s of CPU per MB even with libyaml, JSON about 0.2 s
# (bench.import_cpu): 5 MB keeps the worst YAML file near 3 s, as the worst JSON file is near 10.
MAX_YAML_BYTES = 5 * 1024 * 1024

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Document(Generic[Model]):
    """One kind of file: its schema, the `format` and `version` it declares, and the words its
    refusals use."""

    model: type[Model]
    format: str
    version: int
    what: str  # "conversation export": named when a file is something else
    where_from: str  # where a good file comes from: "the Conversations page"
    smaller: str  # what to do with a file over the limit: "Export a shorter conversation."


def read(raw: bytes, document: Document[Model], *, yaml: bool = False) -> Model:
    """`raw` as the document's model, read as YAML or JSON; ImportRejected otherwise."""
    _check_size(len(raw), document, yaml)
    text = decode(raw)
    data = _checked(parse_yaml(text) if yaml else parse_json(text), document)
    try:
        return document.model.model_validate(data)
    except ValidationError as error:
        raise ImportRejected(describe(error.errors(include_url=False, include_input=False))) from None


def _check_size(size: int, document: Document[Any], yaml: bool) -> None:
    if size > MAX_YAML_BYTES and yaml:
        raise ImportRejected(
            f"The file is {format_bytes(size)}; a YAML file may be at most {format_bytes(MAX_YAML_BYTES)} "
            f"(YAML takes far longer to read than JSON, which may be {format_bytes(MAX_IMPORT_BYTES)}). "
            f"Export it as JSON from {document.where_from}, or convert it to JSON."
        )
    if size > MAX_IMPORT_BYTES:
        raise ImportRejected(
            f"The file is {format_bytes(size)}; the limit is {format_bytes(MAX_IMPORT_BYTES)}. "
            f"{document.smaller}"
        )


def _checked(data: object, document: Document[Any]) -> dict[str, Any]:
    """`data` if it declares the document's format and version; otherwise what the file is not
    and where a good one comes from."""
    fmt, what = document.format, document.what
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ImportRejected(
            f'This file is not a GPTProto Chat {what} (its "format" is not "{fmt}"). '
            f"Pick a file exported from {document.where_from}."
        )
    found = data.get("version")
    if type(found) is not int or found != document.version:  # true == 1 in Python
        raise ImportRejected(
            f"{what[0].upper()}{what[1:]} version {found!r} is not supported (expected "
            f"{document.version}); export it again from this app."
        )
    return data
