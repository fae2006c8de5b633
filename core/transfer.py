"""One conversation exported as Markdown (to read) or JSON (to import back), and a strict import:
a wrong or hostile file is refused with a message saying what and where, and changes nothing.

The JSON format is the pydantic models of core.export_schema (documented in
docs/export-format.md). Before they see the file, the raw text is checked for what a JSON
parser would choke on or let through: invalid UTF-8, nesting deep enough to exhaust the stack,
NaN and Infinity; after parsing, every string for lone surrogates and NUL characters, which no
database stores. Inline images go through the same checks as uploads and are re-encoded, so
their metadata (EXIF, GPS, text chunks) is gone."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from pydantic import ValidationError

from core.answer_notes import STATUS_LABELS, usage_line
from core.branches import ConversationTree
from core.conversation import ChatParams, ImageAttachment, Message, Status, Timing, Usage
from core.export_schema import (
    FORMAT,
    HTTPS_URL_PATTERN,
    MAX_DEPTH,
    NAME_PATTERN,
    VERSION,
    ConversationExport,
    ExportImage,
    ExportMessage,
    ExportParams,
    ExportTiming,
    ExportUsage,
)
from core.gateway.request import MODEL_ID_PATTERN
from core.images import ImageLimits, ImageRejected, format_bytes, prepare_image

MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_INT_DIGITS = 18
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|-?Infinity|NaN|"', re.S)
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class ImportRejected(ValueError):
    """The file cannot be imported; the message says what is wrong, where, and what to do."""


@dataclass
class Imported:
    title: str
    params: ChatParams
    tree: ConversationTree


def export_json(title: str, params: ChatParams, tree: ConversationTree) -> str:
    """Every message of every branch, with images inline, and the path on show."""
    export = ConversationExport.model_construct(
        format=FORMAT,
        version=VERSION,
        title=title,
        exported_at=datetime.now(UTC).isoformat(),
        params=ExportParams.model_construct(**asdict(params)),
        leaf_id=tree.leaf_id,
        messages=[_export_message(m) for m in tree.messages.values()],
    )
    # Built unvalidated: whatever is stored can be exported (the import is where checks belong).
    return json.dumps(export.model_dump(mode="json", warnings=False), ensure_ascii=False, indent=1)


def _export_message(message: Message) -> ExportMessage:
    return ExportMessage.model_construct(
        id=message.id,
        parent_id=message.parent_id,
        role=message.role,
        text=message.text,
        name=message.name,
        model=message.model,
        status=message.status.value,
        finish_reason=message.finish_reason,
        usage=ExportUsage.model_construct(**asdict(message.usage)) if message.usage else None,
        usage_reported=message.usage_reported,
        timing=ExportTiming.model_construct(**asdict(message.timing)),
        created_at=message.created_at,
        images=[_export_image(image) for image in message.images],
    )


def _export_image(image: ImageAttachment) -> ExportImage:
    common: dict[str, Any] = {
        "name": image.name,
        "mime": image.mime,
        "width": image.width,
        "height": image.height,
    }
    if image.url:
        return ExportImage.model_construct(**common, url=image.url)
    return ExportImage.model_construct(**common, data=base64.b64encode(image.data).decode("ascii"))


def export_markdown(title: str, params: ChatParams, path: list[Message]) -> str:
    """The conversation on show, as a readable Markdown document."""
    lines = [f"# {title}", "", f"- Model: `{params.model}`"]
    if params.max_completion_tokens:
        lines.append(f"- max_completion_tokens: {params.max_completion_tokens}")
    if params.instructions:
        lines += [f"- Instructions ({params.instructions_role}):", "", _quote(params.instructions)]
    lines.append("")
    for message in path:
        if message.role == "user":
            who = f"You ({message.name})" if message.name else "You"
            lines += [f"## {who}", "", message.text]
            lines += [f"*[image: {image.url or image.name}]*" for image in message.images]
        else:
            lines += [f"## {message.model or 'Assistant'}", "", message.text or "_(no text)_", ""]
            note = STATUS_LABELS.get(message.status)
            if note and message.status != Status.COMPLETE:
                lines.append(f"*{note}*")
            lines.append(f"<sub>{usage_line(message)}</sub>")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


def import_json(raw: bytes, image_limits: ImageLimits | None = None) -> Imported:
    """Parse and check an export; every id is replaced so nothing can collide with stored rows.
    Inline images are checked and re-encoded with `image_limits` (the upload limits)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRejected(
            f"The file is {format_bytes(len(raw))}; the limit is {format_bytes(MAX_IMPORT_BYTES)}. "
            "Export a shorter conversation."
        )
    data = checked_document(
        _parse(_text_of(raw)), FORMAT, VERSION, "conversation export", "the Conversations page"
    )
    try:
        export = ConversationExport.model_validate(data)
    except ValidationError as error:
        raise ImportRejected(_describe(error.errors(include_url=False, include_input=False))) from None
    return _conversation(export, image_limits or ImageLimits())


def checked_document(data: object, fmt: str, version: int, what: str, where_from: str) -> dict[str, Any]:
    """`data` if it is a GPTProto Chat `what` of this `fmt` and `version`; otherwise
    ImportRejected saying what the file is not and where a good one comes from."""
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ImportRejected(
            f'This file is not a GPTProto Chat {what} (its "format" is not "{fmt}"). '
            f"Pick a file exported from {where_from}."
        )
    found = data.get("version")
    if type(found) is not int or found != version:  # true == 1 in Python
        raise ImportRejected(
            f"{what[0].upper()}{what[1:]} version {found!r} is not supported (expected {version}); "
            "export it again from this app."
        )
    return data


def _text_of(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = error.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)  # the codec counts after a BOM
        line, column = raw.count(b"\n", 0, at) + 1, at - (raw.rfind(b"\n", 0, at) + 1) + 1
        raise ImportRejected(
            f"line {line}, byte {column}: the file is not UTF-8 text (a byte that is not valid "
            "UTF-8, or an encoded lone surrogate). Pick a .json file exported from this app."
        ) from None


def _parse(text: str) -> Any:
    _prescan(text)
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except json.JSONDecodeError as error:
        raise ImportRejected(
            f"line {error.lineno}, column {error.colno}: the file is not valid JSON ({error.msg}). "
            "Pick a .json file exported from this app."
        ) from None
    _check_strings(data, "")
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
                line, column = _position(text, token.start())
                raise ImportRejected(
                    f"line {line}, column {column}: the JSON nests deeper than {MAX_DEPTH} levels "
                    "(an export nests 5). This is not a GPTProto Chat export."
                )
        elif first in "]}":
            depth -= 1
        else:
            line, column = _position(text, token.start())
            raise ImportRejected(
                f"line {line}, column {column}: {token.group(0)} is not a number JSON allows; "
                "every number in an export is finite."
            )


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _refuse_constant(name: str) -> NoReturn:
    raise ImportRejected(f"{name} is not a number JSON allows; every number in an export is finite.")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ImportRejected(f"The number {literal[:40]} is too large to be finite.")
    return value


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise ImportRejected(f"The number {literal[:40]}… has more than {MAX_INT_DIGITS} digits.")
    return int(literal)


def _check_strings(value: Any, where: str) -> None:
    """Refuse lone surrogates (\\ud800 alone is valid JSON, but not text) and NUL characters."""
    if isinstance(value, str):
        _check_string(value, where or "the file")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, f"a key in {where or 'the file'}")
            _check_strings(item, f"{where}.{key}" if where else key)


def _check_string(text: str, where: str) -> None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    char = found.group(0)
    what = "a NUL character (\\u0000)" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    raise ImportRejected(
        f"{where}: contains {what} at character {found.start() + 1}, which is not text that can be "
        "stored. Remove it from the file, or export the conversation again."
    )


_PATTERNS = {
    NAME_PATTERN: "must be 1 to 64 letters, digits, '_' or '-' (no spaces), the API's name pattern",
    MODEL_ID_PATTERN: "must be a model id: 1 to 100 letters, digits and . _ : / - (no spaces)",
    HTTPS_URL_PATTERN: "must be an https:// link with no spaces",
}


def _describe(errors: Sequence[Any]) -> str:
    """The first problem as `where: what`, and how many more there are."""
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


def _what(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return _PATTERNS.get(pattern, f"must match {pattern}")
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
    return {
        "missing": "is missing",
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "float_type": "must be a number",
        "bool_type": "must be true or false",
        "model_type": "must be an object",
        "dict_type": "must be an object",
        "list_type": "must be a list",
        "finite_number": "must be a finite number",
    }.get(kind, str(error["msg"]).lower())


def _conversation(export: ConversationExport, limits: ImageLimits) -> Imported:
    new_ids: dict[str, str] = {}
    messages = [
        _message(item, f"messages[{index}]", new_ids, limits) for index, item in enumerate(export.messages)
    ]
    leaf_id = new_ids.get(export.leaf_id) if export.leaf_id else None
    params = ChatParams(**export.params.model_dump())
    return Imported(export.title or "Imported chat", params, ConversationTree.of(messages, leaf_id))


def _message(item: ExportMessage, where: str, new_ids: dict[str, str], limits: ImageLimits) -> Message:
    if item.id in new_ids:
        raise ImportRejected(f"{where}.id: repeats the id of an earlier message; ids must be unique.")
    if item.parent_id is not None and item.parent_id not in new_ids:
        raise ImportRejected(
            f"{where}.parent_id: names no message before it in the file; a message follows its parent."
        )
    new_ids[item.id] = uuid.uuid4().hex
    status = Status(item.status)
    return Message(
        role=item.role,
        text=item.text,
        id=new_ids[item.id],
        name=item.name,
        images=[_image(image, f"{where}.images[{n}]", limits) for n, image in enumerate(item.images)],
        created_at=item.created_at if item.created_at is not None else datetime.now(UTC).timestamp(),
        parent_id=new_ids[item.parent_id] if item.parent_id is not None else None,
        model=item.model,
        status=Status.INCOMPLETE if status == Status.STREAMING else status,
        finish_reason=item.finish_reason,
        usage=Usage(**item.usage.model_dump()) if item.usage else None,
        usage_reported=item.usage_reported,
        timing=Timing(**item.timing.model_dump()),
    )


def _image(image: ExportImage, where: str, limits: ImageLimits) -> ImageAttachment:
    name = image.name or "image"
    if image.url is not None:
        return ImageAttachment(name=name, mime="", data=b"", url=image.url)
    try:
        data = base64.b64decode(image.data or "", validate=True)
    except (binascii.Error, ValueError):
        raise ImportRejected(f"{where}.data: is not valid base64.") from None
    try:
        # As for an upload: checked, oriented, downscaled and re-encoded from the pixels alone.
        return prepare_image(name, data, limits)
    except ImageRejected as error:
        raise ImportRejected(f"{where}: {error}") from None
