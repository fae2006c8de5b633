"""What the stand-in answers with: scripted replies, error replies and hang-ups, one per request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WORD = re.compile(r"\s*\S+\s*")


@dataclass(frozen=True)
class Reply:
    """A successful answer, streamed or not depending on the request's `stream` flag.

    Faults are counted in content chunks: `cut_after=k` ends the stream cleanly after k chunks
    with no finish chunk (and `[DONE]` only if `send_done`), `drop_after=k` closes the socket
    mid-body, `stall_after=k` goes silent for `stall_seconds`, `garbage_after=k` sends a chunk that
    is not JSON and `error_event_after=k` sends an `error` event. `text=None` makes a demo answer
    from the conversation.
    """

    text: str | None = None
    finish_reason: str = "stop"
    model: str | None = None
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_words: int = 1
    cut_after: int | None = None
    send_done: bool = True
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0
    garbage_after: int | None = None
    error_event_after: int | None = None
    error_message: str = "The model backend failed mid-stream."

    def chunks(self, text: str) -> list[str]:
        """The text split into content chunks of `chunk_words` words, whitespace kept."""
        words = WORD.findall(text)
        if not words:
            return [text] if text else []
        leading = text[: len(text) - len("".join(words))]
        words[0] = leading + words[0]
        size = max(1, self.chunk_words)
        return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI-shaped body, as the gateway's error table describes."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    @classmethod
    def unauthorized(cls, presented_key: str | None = None) -> ErrorReply:
        """A 401; given the key the request presented, its message quotes it back in full, as some
        real gateways do (the stand-in answers a wrong key this way)."""
        if presented_key is None:
            message = "Invalid API key provided."
        elif presented_key:
            message = f"Incorrect API key provided: {presented_key}."
        else:
            message = "You didn't provide an API key."
        return cls(401, message, "authentication_error", "invalid_api_key")

    @classmethod
    def forbidden(cls) -> ErrorReply:
        return cls(403, "Your key has no permission for this model.", "permission_error", "forbidden")

    @classmethod
    def insufficient_balance(cls) -> ErrorReply:
        return cls(
            403, "Insufficient balance for this request.", "insufficient_quota", "insufficient_balance"
        )

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> ErrorReply:
        headers = {} if retry_after is None else {"retry-after": _seconds(retry_after)}
        return cls(
            429, "Rate limit exceeded, slow down.", "rate_limit_error", "rate_limit_exceeded", None, headers
        )

    @classmethod
    def server_error(cls) -> ErrorReply:
        return cls(500, "The gateway failed to process the request.", "server_error", "internal_error")

    @classmethod
    def content_policy(cls) -> ErrorReply:
        return cls(400, "Content policy violation", "invalid_request_error", "content_policy_violation")

    @classmethod
    def not_found_model(cls, model: str) -> ErrorReply:
        return cls(
            404, f"The model `{model}` does not exist.", "invalid_request_error", "model_not_found", "model"
        )

    @classmethod
    def unsupported_parameter(cls, name: str, model: str) -> ErrorReply:
        """OpenAI's 400 for a parameter the model does not take (e.g. temperature on o3)."""
        return cls(
            400,
            f"Unsupported parameter: '{name}' is not supported with this model ({model}).",
            "invalid_request_error",
            "unsupported_parameter",
            name,
        )

    @classmethod
    def no_vision(cls, model: str) -> ErrorReply:
        return cls(
            400,
            f"Model {model} does not support image inputs.",
            "invalid_request_error",
            "image_not_supported",
        )


@dataclass(frozen=True)
class HangUp:
    """Read the request, then close the connection without answering (a connection error)."""

    delay: float = 0.0


@dataclass(frozen=True)
class Garbled:
    """Read the request, then answer with a status line that is not HTTP and quotes the request's
    key, as a broken proxy can, and hang up: the client fails with a connection (protocol) error
    whose own text contains the key."""

    delay: float = 0.0


Script = Reply | ErrorReply | HangUp | Garbled


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
