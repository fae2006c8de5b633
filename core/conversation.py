"""The conversation model shared by the pages, the gateway seam and storage."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from core.gateway.errors import GatewayError
from core.sampling import Sampling

Role = Literal["user", "assistant"]
InstructionsRole = Literal["developer", "system"]


class Status(StrEnum):
    """Where an answer ended up; every assistant message has exactly one."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    CUT_OFF = "cut_off"
    STOPPED = "stopped"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


@dataclass(frozen=True)
class Usage:
    """Token counts exactly as the gateway reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


@dataclass
class Timing:
    """Seconds measured by the app around one request."""

    first_token_s: float | None = None
    total_s: float | None = None


@dataclass(frozen=True)
class ImageAttachment:
    """An image ready to send and to show: checked, re-encoded bytes, or an https link the
    user chose to send as an image (then data is empty and url is set)."""

    name: str
    mime: str
    data: bytes = field(repr=False)
    width: int = 0
    height: int = 0
    url: str | None = None


DocumentKind = Literal["pdf", "docx", "text"]


@dataclass(frozen=True)
class DocumentAttachment:
    """A file the user attached whose text is sent: a PDF, a Word document or a text file, as
    extracted on the server (`pages` for PDFs only; `size` is the uploaded file's bytes)."""

    name: str
    kind: DocumentKind
    text: str = field(repr=False)
    pages: int | None = None
    size: int = 0


def image_link(url: str) -> ImageAttachment:
    """An https image link sent as an image part, by the user's choice."""
    return ImageAttachment(name=url.rsplit("/", 1)[-1].split("?", 1)[0] or url, mime="", data=b"", url=url)


@dataclass(frozen=True)
class ChatParams:
    """What the user chose in the sidebar for the next request."""

    model: str
    max_completion_tokens: int | None = None
    stream: bool = True
    instructions: str = ""
    instructions_role: InstructionsRole = "developer"
    user_name: str | None = None
    sampling: Sampling = field(default_factory=Sampling)


@dataclass
class Message:
    """One bubble: a user prompt or an assistant answer with everything measured about it."""

    role: Role
    text: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    name: str | None = None
    images: list[ImageAttachment] = field(default_factory=list)
    documents: list[DocumentAttachment] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    parent_id: str | None = None  # the message it follows; siblings are branches or alternatives
    # Answers only.
    model: str | None = None
    status: Status = Status.COMPLETE
    finish_reason: str | None = None
    usage: Usage | None = None
    usage_reported: bool = True
    timing: Timing = field(default_factory=Timing)
    error: GatewayError | None = None
    request_id: str | None = None  # the gateway's id for the request that produced it

    @property
    def is_answer(self) -> bool:
        """True for assistant messages."""
        return self.role == "assistant"


def user_message(
    text: str,
    name: str | None = None,
    images: Sequence[ImageAttachment] | None = None,
    documents: Sequence[DocumentAttachment] | None = None,
) -> Message:
    """A new user message, as typed, with what was attached."""
    return Message(
        role="user", text=text, name=name or None, images=list(images or []), documents=list(documents or [])
    )


def pending_answer(model: str) -> Message:
    """An empty answer about to be streamed into."""
    return Message(role="assistant", model=model, status=Status.STREAMING)
