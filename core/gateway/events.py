"""What a gateway call yields, in order: acceptance, text, usage, a retry countdown, then Finish or Failure.
Kept apart from the client so drawing a page never imports it."""

from __future__ import annotations

from dataclasses import dataclass

from core.conversation import Usage
from core.gateway.errors import GatewayError


@dataclass(frozen=True)
class Accepted:
    """The gateway accepted the request; its id (x-request-id) names it in the usage records."""

    request_id: str | None


@dataclass(frozen=True)
class TextDelta:
    """A piece of visible answer text."""

    text: str


@dataclass(frozen=True)
class UsageReport:
    """Token usage exactly as the gateway reported it."""

    usage: Usage


@dataclass(frozen=True)
class UsageUnavailable:
    """The gateway will not report usage for streamed answers from this base URL."""


@dataclass(frozen=True)
class Finish:
    """The answer ended; reason None means the stream closed without saying why."""

    reason: str | None


@dataclass(frozen=True)
class Failure:
    """The request failed; any text already delivered stays valid."""

    error: GatewayError


@dataclass(frozen=True)
class RetryWait:
    """Waiting before an automatic retry; sent repeatedly as the countdown runs."""

    attempt: int
    attempts: int
    remaining_s: float
    error: GatewayError


Event = Accepted | TextDelta | UsageReport | UsageUnavailable | Finish | Failure | RetryWait
