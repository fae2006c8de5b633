"""Checks a request body against the gateway's documented fields (`model`, `messages`,
`max_completion_tokens`, `stream`; see devtools/standin/__init__.py); returns the error to
answer with."""

from __future__ import annotations

from typing import Any

from devtools.standin.replies import ErrorReply

DOCUMENTED_FIELDS = frozenset({"model", "messages", "max_completion_tokens", "stream"})
ROLES = frozenset({"developer", "user", "system", "assistant"})


def invalid(message: str, param: str) -> ErrorReply:
    return ErrorReply(400, message, "invalid_request_error", "invalid_request", param)


def check_body(body: Any, *, rejected: set[str], strict: bool) -> ErrorReply | None:
    """None when the body is acceptable; otherwise a 400 that names the offending field."""
    if not isinstance(body, dict):
        return invalid("The request body must be a JSON object.", "body")
    for name in body:
        if name in rejected or (strict and name not in DOCUMENTED_FIELDS):
            return invalid(f"Unrecognized request argument supplied: {name}", name)
    if not isinstance(body.get("model"), str) or not body["model"]:
        return invalid("`model` is required and must be a string.", "model")
    limit = body.get("max_completion_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        return invalid("`max_completion_tokens` must be a positive integer or null.", "max_completion_tokens")
    if "stream" in body and not isinstance(body["stream"], bool):
        return invalid("`stream` must be a boolean.", "stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return invalid("`messages` must be a non-empty array.", "messages")
    for index, message in enumerate(messages):
        problem = _check_message(message)
        if problem:
            return invalid(problem, f"messages[{index}]")
    return None


def _check_message(message: Any) -> str | None:
    if not isinstance(message, dict):
        return "Each message must be an object."
    if message.get("role") not in ROLES:
        return f"Unknown role {message.get('role')!r}."
    if "name" in message and not isinstance(message["name"], str):
        return "`name` must be a string."
    content = message.get("content")
    if isinstance(content, str):
        return None
    if not isinstance(content, list) or not content:
        return "`content` must be a string or a non-empty array of parts."
    for part in content:
        problem = _check_part(part)
        if problem:
            return problem
    return None


def _check_part(part: Any) -> str | None:
    if not isinstance(part, dict):
        return "Each content part must be an object."
    if part.get("type") == "text":
        return None if isinstance(part.get("text"), str) else "A text part needs `text`."
    if part.get("type") == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str):
            return "An image_url part needs `image_url.url`."
        if url.startswith("https://") or (url.startswith("data:image/") and ";base64," in url):
            return None
        return "`image_url.url` must be an https URL or a data:image/...;base64 URL."
    return f"Unknown content part type {part.get('type')!r}."


def has_images(body: dict[str, Any]) -> bool:
    return any(
        isinstance(m.get("content"), list) and any(p.get("type") == "image_url" for p in m["content"])
        for m in body["messages"]
    )


def count_tokens(body: dict[str, Any]) -> int:
    """A rough prompt size: words in every text, 85 per image."""
    total = 0
    for message in body["messages"]:
        content = message["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for part in parts:
            total += len(part["text"].split()) + 1 if part["type"] == "text" else 85
    return total
