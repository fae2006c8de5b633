"""Build the `POST /v1/chat/completions` body from the conversation, and validate sidebar input."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from typing import Any

from core.conversation import ChatParams, DocumentAttachment, ImageAttachment, Message, Status

CONTINUE_PROMPT = (
    "Continue your previous answer exactly where it stopped. "
    "Do not repeat anything you already wrote and do not add a preamble."
)

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MODEL_ID_CHARS = 100
MODEL_ID_PATTERN = r"^[A-Za-z0-9._:/-]{1,100}$"
_MODEL_ID_CHAR = re.compile(r"[A-Za-z0-9._:/-]")


class InputError(ValueError):
    """User input the app cannot send; the message says how to fix it."""


def parse_max_completion_tokens(raw: str) -> int | None:
    """Empty or 'off' means no limit; otherwise a positive whole number."""
    text = raw.strip().replace("_", "").replace(",", "")
    if text == "" or text.lower() == "off":
        return None
    if not text.lstrip("+-").isdigit():
        raise InputError(
            f"Max completion tokens must be a whole number, got {raw.strip()!r}. Leave it empty for no limit."
        )
    value = int(text)
    if value <= 0:
        raise InputError(
            f"Max completion tokens must be at least 1, got {value}. Leave it empty for no limit."
        )
    return value


def validate_participant_name(raw: str) -> str | None:
    """The optional `messages[].name`: letters, digits, _ and -, up to 64 characters."""
    name = raw.strip()
    if not name:
        return None
    if not _NAME_PATTERN.match(name):
        raise InputError(
            "Your name may use only letters, digits, '_' and '-' (no spaces), up to 64 characters."
        )
    return name


def validate_model_id(raw: str) -> str:
    """A model id as typed, trimmed: 1 to 100 letters, digits and . _ : / - (no spaces)."""
    model = raw.strip()
    if not model:
        raise InputError("Type a model id, e.g. o4-mini, or pick one from the list.")
    if len(model) > MAX_MODEL_ID_CHARS:
        raise InputError(
            f"The model id is {len(model):,} characters long; the limit is {MAX_MODEL_ID_CHARS}. "
            "Check that you pasted only the id."
        )
    bad = sorted({char for char in model if not _MODEL_ID_CHAR.fullmatch(char)})
    if bad:
        shown = " ".join("space" if char == " " else repr(char) for char in bad[:5])
        raise InputError(
            f"A model id may use only letters, digits and . _ : / - (no spaces); remove {shown}."
        )
    return model


def data_url(image: ImageAttachment) -> str:
    """The image as a `data:image/...;base64,...` URL, or its https link."""
    if image.url:
        return image.url
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def document_text(document: DocumentAttachment) -> str:
    """A document's text as the model reads it: framed and named by its file, so a prompt can
    refer to "report.pdf" and several files stay apart."""
    return f'<file name="{html.escape(document.name, quote=True)}">\n{document.text}\n</file>'


def message_payload(message: Message) -> dict[str, Any]:
    """One conversation message in the gateway's shape; text-only stays a plain string. With
    attachments: the typed text, then one text part per document, then the images."""
    payload: dict[str, Any] = {"role": message.role}
    if message.role == "user" and (message.images or message.documents):
        parts: list[dict[str, Any]] = []
        if message.text:
            parts.append({"type": "text", "text": message.text})
        parts.extend({"type": "text", "text": document_text(document)} for document in message.documents)
        parts.extend({"type": "image_url", "image_url": {"url": data_url(image)}} for image in message.images)
        payload["content"] = parts
    else:
        payload["content"] = message.text
    if message.role == "user" and message.name:
        payload["name"] = message.name
    return payload


def sendable(message: Message) -> bool:
    """Failed answers and empty ones are not part of what the model is shown."""
    if message.role == "user":
        return True
    return message.status != Status.FAILED and bool(message.text)


def build_messages(history: Sequence[Message], params: ChatParams) -> list[dict[str, Any]]:
    """Instructions first (developer or system role), then the sendable history."""
    messages: list[dict[str, Any]] = []
    if params.instructions.strip():
        messages.append({"role": params.instructions_role, "content": params.instructions.strip()})
    messages.extend(message_payload(m) for m in history if sendable(m))
    return messages


def build_request(
    history: Sequence[Message], params: ChatParams, *, include_usage: bool = False
) -> dict[str, Any]:
    """The request body: the documented fields, the optional parameters the person set (and
    only those), plus `stream_options` when usage is wanted."""
    body: dict[str, Any] = {
        "model": params.model,
        "messages": build_messages(history, params),
        "stream": params.stream,
    }
    if params.max_completion_tokens is not None:
        body["max_completion_tokens"] = params.max_completion_tokens
    body.update(params.sampling.to_body())
    if params.stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    return body


def continuation_history(history: Sequence[Message], name: str | None = None) -> list[Message]:
    """The history plus a hidden user message asking the model to go on from the cut-off answer."""
    return [*history, Message(role="user", text=CONTINUE_PROMPT, name=name)]
