"""One conversation exported as Markdown (to read) or JSON (to import back), and a strict import:
a wrong or hostile file is refused with a message and changes nothing."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from core.branches import ConversationTree
from core.conversation import ChatParams, ImageAttachment, Message, Status, Timing, Usage
from core.images import ImageRejected, inspect_image
from core.presentation import STATUS_LABELS, usage_line

FORMAT = "gptproto-chat.conversation"
VERSION = 1
MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_MESSAGES = 5000
MAX_TEXT = 1_000_000
IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


class ImportRejected(ValueError):
    """The file cannot be imported; the message says why and what to do."""


@dataclass
class Imported:
    title: str
    params: ChatParams
    tree: ConversationTree


def export_json(title: str, params: ChatParams, tree: ConversationTree) -> str:
    """Every message of every branch, with images inline, and the path on show."""
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "title": title,
            "exported_at": datetime.now(UTC).isoformat(),
            "params": asdict(params),
            "leaf_id": tree.leaf_id,
            "messages": [_message_json(m) for m in tree.messages.values()],
        },
        ensure_ascii=False,
        indent=1,
    )


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role,
        "text": message.text,
        "name": message.name,
        "model": message.model,
        "status": message.status.value,
        "finish_reason": message.finish_reason,
        "usage": asdict(message.usage) if message.usage else None,
        "usage_reported": message.usage_reported,
        "timing": asdict(message.timing),
        "created_at": message.created_at,
        "images": [
            {
                "name": image.name,
                "mime": image.mime,
                "width": image.width,
                "height": image.height,
                **(
                    {"url": image.url}
                    if image.url
                    else {"data": base64.b64encode(image.data).decode("ascii")}
                ),
            }
            for image in message.images
        ],
    }


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


def import_json(raw: bytes) -> Imported:
    """Parse and check an export; every id is replaced so nothing can collide with stored rows."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRejected(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImportRejected("The file is not JSON. Pick a .json file exported from this app.") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRejected("This JSON is not a GPTProto Chat conversation export.")
    if data.get("version") != VERSION:
        raise ImportRejected(f"Export version {data.get('version')!r} is not supported (expected {VERSION}).")
    title = _text(data.get("title"), "title", limit=200) or "Imported chat"
    params = _params(data.get("params"))
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise ImportRejected("The export has no messages.")
    if len(raw_messages) > MAX_MESSAGES:
        raise ImportRejected(f"The export has more than {MAX_MESSAGES} messages.")
    new_ids: dict[str, str] = {}
    messages: list[Message] = []
    for index, item in enumerate(raw_messages, start=1):
        message = _message(item, index, new_ids)
        messages.append(message)
    leaf = data.get("leaf_id")
    leaf_id = new_ids.get(leaf) if isinstance(leaf, str) else None
    return Imported(title, params, ConversationTree.of(messages, leaf_id))


def _message(item: Any, index: int, new_ids: dict[str, str]) -> Message:
    where = f"message {index}"
    if not isinstance(item, dict):
        raise ImportRejected(f"{where} is not an object.")
    old_id = _text(item.get("id"), f"{where} id", limit=64)
    if not old_id or old_id in new_ids:
        raise ImportRejected(f"{where} has a missing or repeated id.")
    parent = item.get("parent_id")
    if parent is not None and parent not in new_ids:
        raise ImportRejected(f"{where} follows a message that is not before it in the file.")
    role = item.get("role")
    if role not in ("user", "assistant"):
        raise ImportRejected(f"{where} has an unknown role {role!r}.")
    status = item.get("status", "complete")
    if status not in {s.value for s in Status}:
        raise ImportRejected(f"{where} has an unknown status {status!r}.")
    new_ids[old_id] = uuid.uuid4().hex
    return Message(
        role=role,
        text=_text(item.get("text"), f"{where} text", limit=MAX_TEXT),
        id=new_ids[old_id],
        name=_text(item.get("name"), f"{where} name", limit=64) or None,
        images=[_image(image, where) for image in _list(item.get("images"), f"{where} images")],
        created_at=_number(item.get("created_at"), f"{where} created_at") or datetime.now(UTC).timestamp(),
        parent_id=new_ids[parent] if parent is not None else None,
        model=_text(item.get("model"), f"{where} model", limit=200) or None,
        status=Status.INCOMPLETE if status == Status.STREAMING else Status(status),
        finish_reason=_text(item.get("finish_reason"), f"{where} finish_reason", limit=32) or None,
        usage=_usage(item.get("usage"), where),
        usage_reported=bool(item.get("usage_reported", True)),
        timing=_timing(item.get("timing"), where),
    )


def _image(item: Any, where: str) -> ImageAttachment:
    if not isinstance(item, dict):
        raise ImportRejected(f"An image of {where} is not an object.")
    name = _text(item.get("name"), f"{where} image name", limit=255) or "image"
    url = item.get("url")
    if url is not None:
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 4096:
            raise ImportRejected(f"An image link of {where} is not an https URL.")
        return ImageAttachment(name=name, mime="", data=b"", url=url)
    mime = item.get("mime")
    if mime not in IMAGE_MIMES:
        raise ImportRejected(f"An image of {where} has an unsupported type {mime!r}.")
    try:
        data = base64.b64decode(str(item.get("data", "")), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImportRejected(f"An image of {where} is not valid base64.") from error
    try:
        mime, width, height = inspect_image(name, data)
    except ImageRejected as error:
        raise ImportRejected(f"In {where}: {error}") from error
    return ImageAttachment(name=name, mime=mime, data=data, width=width, height=height)


def _params(value: Any) -> ChatParams:
    if not isinstance(value, dict):
        raise ImportRejected("The export has no parameters.")
    model = _text(value.get("model"), "params model", limit=200)
    if not model:
        raise ImportRejected("The export does not name its model.")
    limit = value.get("max_completion_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ImportRejected("max_completion_tokens in the export must be a positive integer or null.")
    role = value.get("instructions_role", "developer")
    if role not in ("developer", "system"):
        raise ImportRejected("instructions_role in the export must be developer or system.")
    return ChatParams(
        model=model,
        max_completion_tokens=limit,
        stream=bool(value.get("stream", True)),
        instructions=_text(value.get("instructions"), "params instructions", limit=MAX_TEXT),
        instructions_role=role,
        user_name=_text(value.get("user_name"), "params user_name", limit=64) or None,
    )


def _usage(value: Any, where: str) -> Usage | None:
    if value is None:
        return None
    names = {f.name for f in fields(Usage)}
    if not isinstance(value, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in value.items() if k in names
    ):
        raise ImportRejected(f"The usage of {where} must be whole token counts.")
    return Usage(**{k: v for k, v in value.items() if k in names})


def _timing(value: Any, where: str) -> Timing:
    if value is None:
        return Timing()
    if not isinstance(value, dict):
        raise ImportRejected(f"The timing of {where} is not an object.")
    return Timing(
        _number(value.get("first_token_s"), f"{where} first_token_s"),
        _number(value.get("total_s"), f"{where} total_s"),
    )


def _text(value: Any, what: str, *, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportRejected(f"The {what} must be text.")
    if len(value) > limit:
        raise ImportRejected(f"The {what} is longer than {limit:,} characters.")
    return value


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ImportRejected(f"The {what} must be a non-negative number.")
    return float(value)


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportRejected(f"The {what} must be a list.")
    return value
