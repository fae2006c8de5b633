"""The one seam between the UI and GPTProto: a request body in, typed events out."""

from __future__ import annotations

import contextlib
import functools
import random
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from core.conversation import Usage
from core.gateway.errors import (
    ErrorKind,
    GatewayError,
    classify_exception,
    stall_error,
    total_timeout_error,
)
from core.gateway.events import (
    Accepted,
    Event,
    Failure,
    Finish,
    RetryWait,
    TextDelta,
    UsageReport,
    UsageUnavailable,
)
from core.settings import Settings

_DEFAULTS = Settings()


@dataclass(frozen=True)
class GatewayConfig:
    """Timeouts and retry policy; the defaults are the settings' own."""

    connect_timeout: float = _DEFAULTS.connect_timeout
    stall_timeout: float = _DEFAULTS.stall_timeout
    total_timeout: float = _DEFAULTS.total_timeout
    max_retries: int = _DEFAULTS.max_retries
    retry_base_delay: float = _DEFAULTS.retry_base_delay
    retry_max_delay: float = _DEFAULTS.retry_max_delay

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayConfig:
        """The gateway's part of the app's settings."""
        return cls(**{item.name: getattr(settings, item.name) for item in fields(cls)})


class UsageSupportMemo:
    """Remembers, per base URL, gateways that reject `stream_options` (thread-safe)."""

    def __init__(self) -> None:
        self._rejected: set[str] = set()
        self._lock = threading.Lock()

    def supports(self, base_url: str) -> bool:
        """False once the gateway at base_url has rejected stream_options."""
        with self._lock:
            return base_url not in self._rejected

    def mark_rejected(self, base_url: str) -> None:
        """Stop asking base_url for streamed usage."""
        with self._lock:
            self._rejected.add(base_url)


USAGE_SUPPORT = UsageSupportMemo()
# The body (core/gateway/request.py) is plain JSON already, so it goes to the client's `post` as it is:
# `chat.completions.create` would first walk every message against its typed parameters, about
# 0.2 ms a message on the gateway thread (55 ms for a 300-message conversation, more while the
# page is drawn), for a body it leaves unchanged.
COMPLETIONS_PATH = "/chat/completions"
RETRY_TICK_S = 0.25
MAX_RETRY_WAIT_S = 120.0


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every client, built as the client builds its own (the system's CA
    certificates, or SSL_CERT_FILE / SSL_CERT_DIR): loading the certificates takes ~25 ms, once
    per process instead of once per API key."""
    import httpcore2

    return httpcore2.default_ssl_context()


# The call whose request this thread is sending, so that the transport can say when it is out.
_sending = threading.local()


def _report_when_written(request: httpx2.Request) -> None:
    """httpx's request hook: have the transport set the sending call's `request_sent` once the
    request's body is written to the socket."""
    sent: threading.Event | None = getattr(_sending, "event", None)
    if sent is None:
        return

    def trace(name: str, info: Any) -> None:
        if name.endswith(".send_request_body.complete"):  # http11. or http2.
            sent.set()

    request.extensions["trace"] = trace


def make_client(base_url: str, api_key: str) -> openai.OpenAI:
    """An openai client for the gateway; retries are ours, so the client's own are off."""
    http_client = openai.DefaultHttpxClient(
        verify=shared_tls_context(), event_hooks={"request": [_report_when_written]}
    )
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, http_client=http_client)


def warm() -> None:
    """Load now what a process's first request would: the HTTP transport and the TLS context."""
    shared_tls_context()


class Gateway:
    """Sends chat requests and yields typed events, retrying what is worth retrying."""

    def __init__(
        self,
        client: openai.OpenAI,
        config: GatewayConfig,
        *,
        memo: UsageSupportMemo = USAGE_SUPPORT,
        wait: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._config = config
        self._memo = memo
        self._wait = wait or self._cancelled_wait
        self._clock = clock
        self._jitter = jitter
        self._base_url = str(client.base_url).rstrip("/")
        self._cancelled = threading.Event()
        self._active: openai.Stream[Any] | None = None
        # Set once the call's first request is written out, or once the call ends without one.
        self.request_sent = threading.Event()

    def cancel(self) -> None:
        """Abandon the call from another thread: no more events, the HTTP stream is closed."""
        self._cancelled.set()
        active = self._active
        if active is not None:
            # Best effort: closing from this thread also wakes a worker blocked on a read.
            with contextlib.suppress(Exception):
                active.close()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._cancelled.is_set()

    def _cancelled_wait(self, seconds: float) -> object:
        return self._cancelled.wait(seconds)

    def wants_usage(self) -> bool:
        """Whether to ask this gateway for streamed usage."""
        return self._memo.supports(self._base_url)

    def chat(self, body: dict[str, Any]) -> Generator[Event, None, None]:
        """Run one request (with retries) and yield its events; closing the iterator closes HTTP."""
        _sending.event = self.request_sent
        try:
            yield from self._attempts(body)
        finally:
            _sending.event = None
            self.request_sent.set()

    def _attempts(self, body: dict[str, Any]) -> Generator[Event, None, None]:
        """The request's attempts, one after another, as the retry policy allows."""
        attempts = self._config.max_retries + 1
        attempt = 1
        while not self.cancelled:
            delivered = False
            failure: GatewayError | None = None
            for event in self._attempt(body):
                if isinstance(event, Failure):
                    failure = event.error
                    break
                delivered = delivered or isinstance(event, TextDelta)
                yield event
            if failure is None:
                return
            if delivered and failure.kind is ErrorKind.CONNECTION:
                failure = replace(
                    failure,
                    title="The connection dropped in the middle of the answer",
                    hint="The partial answer is kept. Continue or Retry.",
                )
            if self._rejects_stream_options(body, failure):
                self._memo.mark_rejected(self._base_url)
                body = {k: v for k, v in body.items() if k != "stream_options"}
                yield UsageUnavailable()
                continue
            if delivered or not failure.retryable or attempt >= attempts:
                yield Failure(failure)
                return
            yield from self._countdown(self._retry_delay(attempt, failure), attempt, attempts, failure)
            attempt += 1

    def _attempt(self, body: dict[str, Any]) -> Iterator[Event]:
        deadline = self._clock() + self._config.total_timeout
        secrets = (self._client.api_key,)
        try:
            if body.get("stream"):
                yield from self._stream(body, deadline)
            else:
                yield from self._complete(body)
        except _Stalled:
            yield Failure(stall_error(self._config.stall_timeout))
        except (openai.OpenAIError, ValueError, httpx2.HTTPError) as exc:
            yield Failure(classify_exception(exc, secrets))
        except _DeadlineExceeded:
            yield Failure(total_timeout_error(self._config.total_timeout))

    def _timeout(self, read: float) -> httpx2.Timeout:
        return httpx2.Timeout(read, connect=self._config.connect_timeout, write=30.0, pool=30.0)

    def _complete(self, body: dict[str, Any]) -> Iterator[Event]:
        response = self._client.post(
            COMPLETIONS_PATH,
            body=body,
            options={"timeout": self._timeout(self._config.total_timeout)},
            cast_to=ChatCompletion,
        )
        yield Accepted(getattr(response, "_request_id", None))
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        if text:
            yield TextDelta(text)
        if response.usage is not None:
            yield UsageReport(usage_from(response.usage))
        yield Finish(choice.finish_reason if choice else None)

    def _stream(self, body: dict[str, Any], deadline: float) -> Iterator[Event]:
        # Chunks are read as the JSON they are, not as typed models: building a
        # ChatCompletionChunk costs ~100 us a chunk, a thousand per long answer, for every
        # session streaming at once.
        stream = self._client.post(
            COMPLETIONS_PATH,
            body=body,
            options={"timeout": self._timeout(self._config.stall_timeout)},
            cast_to=ChatCompletion,
            stream=True,
            stream_cls=openai.Stream[object],
        )
        finish_reason: str | None = None
        self._active = stream
        yield Accepted(stream.response.headers.get("x-request-id"))
        with stream:
            try:
                for chunk in stream:
                    if self.cancelled:
                        return
                    usage, texts, finished = read_chunk(chunk)
                    if usage is not None:
                        yield UsageReport(usage)
                    for text in texts:
                        yield TextDelta(text)
                    finish_reason = finished or finish_reason
                    if self._clock() > deadline:
                        raise _DeadlineExceeded
            except openai.APITimeoutError:
                raise _Stalled from None
            finally:
                self._active = None
        yield Finish(finish_reason)

    def _rejects_stream_options(self, body: dict[str, Any], error: GatewayError) -> bool:
        if "stream_options" not in body or error.status_code != 400:
            return False
        return "stream_options" in (error.provider_message or "")

    def _retry_delay(self, attempt: int, error: GatewayError) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_WAIT_S)
        backoff = min(self._config.retry_max_delay, self._config.retry_base_delay * 2 ** (attempt - 1))
        return backoff * (0.5 + self._jitter() / 2)

    def _countdown(self, delay: float, attempt: int, attempts: int, error: GatewayError) -> Iterator[Event]:
        # Ticks let the UI show a countdown and let a Stop take effect between them.
        end = self._clock() + delay
        while (remaining := end - self._clock()) > 0 and not self.cancelled:
            yield RetryWait(attempt=attempt + 1, attempts=attempts, remaining_s=remaining, error=error)
            self._wait(min(RETRY_TICK_S, remaining))


class _DeadlineExceeded(Exception):
    """The total timeout ran out while the answer was still streaming."""


class _Stalled(Exception):
    """No chunk arrived within the stall timeout once the stream was open."""


def _field(value: Any, name: str) -> Any:
    """`name` of a typed response object or of the JSON mapping it was read from."""
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def usage_from(usage: Any) -> Usage:
    """Convert usage (the client's object or a chunk's JSON), reading the optional detail blocks
    safely."""

    def count(block: Any, name: str) -> int:
        value = _field(block, name)
        return int(value) if isinstance(value, int | float) else 0

    return Usage(
        prompt_tokens=count(usage, "prompt_tokens"),
        completion_tokens=count(usage, "completion_tokens"),
        total_tokens=count(usage, "total_tokens"),
        reasoning_tokens=count(_field(usage, "completion_tokens_details"), "reasoning_tokens"),
        cached_tokens=count(_field(usage, "prompt_tokens_details"), "cached_tokens"),
    )


def read_chunk(chunk: object) -> tuple[Usage | None, list[str], str | None]:
    """A streamed chunk's JSON: its usage (if it carries any), the text of each choice's delta,
    and the finish reason, if one came. Anything not shaped like a chunk gives nothing."""
    if not isinstance(chunk, Mapping):
        return None, [], None
    usage = chunk.get("usage")
    texts: list[str] = []
    finish_reason: str | None = None
    choices = chunk.get("choices")
    for choice in choices if isinstance(choices, list) else ():
        if not isinstance(choice, Mapping):
            continue
        content = _field(choice.get("delta") or {}, "content")
        if isinstance(content, str) and content:
            texts.append(content)
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            finish_reason = reason
    return (usage_from(usage) if isinstance(usage, Mapping) else None), texts, finish_reason
