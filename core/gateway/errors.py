"""Turn every failure of a gateway call into one specific, actionable, key-free message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from core.sampling import label as sampling_label
from core.sampling import names as sampling_names

if TYPE_CHECKING:  # the client is imported when a request is made, not to draw a page
    import openai

KEY_SETTING_HINT = (
    "Enter your GPTProto key in the sidebar, or set GPTPROTO_API_KEY in .streamlit/secrets.toml, "
    "the environment or a .env file."
)
NO_KEY_PROBLEM = f"No API key. {KEY_SETTING_HINT}"


class ErrorKind(StrEnum):
    """The distinct failures the user is told apart."""

    AUTH = "auth"
    FORBIDDEN = "forbidden"
    BALANCE = "balance"
    RATE_LIMIT = "rate_limit"
    SERVER = "server"
    CONTENT_POLICY = "content_policy"
    NO_VISION = "no_vision"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    UNSUPPORTED_PARAMETER = "unsupported_parameter"
    CLIENT = "client"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    STALL = "stall"
    STREAM = "stream"
    INCOMPLETE = "incomplete"
    SETTINGS = "settings"
    LIMIT = "limit"


# Whether to retry automatically: connection trouble, 429 and 5xx only.
RETRYABLE = frozenset({ErrorKind.RATE_LIMIT, ErrorKind.SERVER, ErrorKind.CONNECTION, ErrorKind.TIMEOUT})


@dataclass(frozen=True)
class GatewayError:
    """A classified failure: what happened, what to do, and the provider's own words."""

    kind: ErrorKind
    title: str
    hint: str
    provider_message: str | None = None
    request_id: str | None = None
    status_code: int | None = None
    retry_after: float | None = None
    param: str | None = None  # the request parameter the gateway refused (one the app can leave out)

    @property
    def retryable(self) -> bool:
        """True for failures worth an automatic retry."""
        return self.kind in RETRYABLE


_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*.]{4,}")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove any API key (known or key-shaped) from text meant for the page or logs."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted key]")
    return _KEY_PATTERN.sub(r"\1…[redacted]", text)


def classify_exception(exc: Exception, secrets: Iterable[str | None] = ()) -> GatewayError:
    """Map an exception from the openai client to a GatewayError."""
    import openai

    secrets = tuple(secrets)
    if isinstance(exc, openai.APITimeoutError):
        return _timeout_error()
    if isinstance(exc, openai.APIConnectionError):
        return _connection_error(exc, secrets)
    if isinstance(exc, openai.APIStatusError):
        return classify_status(
            exc.status_code,
            _provider_text(exc, secrets),
            code=exc.code,
            param=exc.param,
            request_id=exc.request_id,
            headers=exc.response.headers,
        )
    if isinstance(exc, openai.APIError):
        # An error event inside an otherwise successful stream.
        return GatewayError(
            kind=ErrorKind.STREAM,
            title="The gateway reported an error in the middle of the answer",
            hint="The partial answer is kept. Retry to ask again.",
            provider_message=_provider_text(exc, secrets),
        )
    return GatewayError(
        kind=ErrorKind.STREAM,
        title="The gateway sent a reply the app could not read",
        hint="The partial answer is kept. Retry to ask again.",
        provider_message=redact(f"{type(exc).__name__}: {exc}", secrets),
    )


def classify_status(
    status: int,
    provider_message: str | None,
    *,
    code: str | None = None,
    param: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> GatewayError:
    """Map an HTTP error status (and the provider's words) to a GatewayError."""
    refused = refused_parameter(provider_message, code, param) if status == 400 else None
    if refused is not None:
        return unsupported_parameter_error(refused, provider_message, code, request_id)
    retry_after = parse_retry_after(headers or {}) if status == 429 or status >= 500 else None
    kind, title, hint = _describe_status(status, (provider_message or "").lower(), (code or "").lower())
    if kind is ErrorKind.RATE_LIMIT:
        when = f"in about {retry_after:g} seconds" if retry_after is not None else "in a little while"
        hint = f"Too many requests. Try again {when}."
    return GatewayError(
        kind,
        title,
        hint,
        provider_message=provider_message,
        request_id=request_id,
        status_code=status,
        retry_after=retry_after,
    )


def _describe_status(status: int, text: str, code: str) -> tuple[ErrorKind, str, str]:
    if status == 401:
        return ErrorKind.AUTH, "The API key is missing or invalid", KEY_SETTING_HINT
    if status == 403 and (code.startswith("insufficient") or any(w in text for w in _BALANCE_WORDS)):
        return (
            ErrorKind.BALANCE,
            "Insufficient balance for this request",
            "Top up the GPTProto account behind this key, or pick a cheaper model.",
        )
    if status == 403:
        return (
            ErrorKind.FORBIDDEN,
            "This key has no permission for that model or resource",
            "Pick another model, or ask the key's owner to enable this one.",
        )
    if status == 429:
        return ErrorKind.RATE_LIMIT, "Rate limited by the gateway", ""
    if status >= 500:
        return (
            ErrorKind.SERVER,
            f"The gateway failed ({status})",
            "This is on the gateway's side. Retry in a moment.",
        )
    if status == 400 and _is_content_policy(text, code):
        return (
            ErrorKind.CONTENT_POLICY,
            "Blocked by the content policy",
            "The gateway refused this content for safety reasons. Rephrase the message and send it again.",
        )
    if status == 400 and _is_no_vision(text, code):
        return (
            ErrorKind.NO_VISION,
            "This model does not accept images",
            "Pick a model with vision support, or send the message without images.",
        )
    if status == 404:
        return (
            ErrorKind.NOT_FOUND,
            "Model or endpoint not found",
            "Check the model id and GPTPROTO_BASE_URL (it should end in /v1).",
        )
    if status == 400:
        return (
            ErrorKind.BAD_REQUEST,
            "The gateway rejected the request",
            "Check the model and the settings in the sidebar, then retry.",
        )
    return (
        ErrorKind.CLIENT,
        f"The gateway refused the request ({status})",
        "Check the settings in the sidebar, then retry.",
    )


_BALANCE_WORDS = ("balance", "quota", "credit", "insufficient")

# "Unsupported parameter: 'temperature' is not supported with this model." (OpenAI's words), and
# the older "Unrecognized request argument supplied: temperature".
_REFUSED_NAME = re.compile(
    r"(?:unsupported (?:parameter|value)|unrecognized request argument supplied)\W+([a-z_]+)", re.IGNORECASE
)
_REFUSAL_CODES = frozenset({"unsupported_parameter", "unsupported_value", "unknown_parameter"})


def refused_parameter(provider_message: str | None, code: str | None, param: str | None) -> str | None:
    """The optional parameter (reasoning effort, temperature, ...) a 400 says the model does not
    take: named by `param`, or by the message; None when the refusal is about anything else."""
    text = provider_message or ""
    named = _REFUSED_NAME.search(text)
    if (code or "").lower() not in _REFUSAL_CODES and named is None:
        return None
    for candidate in (param, named.group(1) if named else None):
        if candidate and candidate.strip().lower() in sampling_names():
            return candidate.strip().lower()
    return None


def refused_parameter_of(error: GatewayError | None) -> str | None:
    """The parameter to send an answer again without, when the gateway refused it."""
    if error is None or error.kind is not ErrorKind.UNSUPPORTED_PARAMETER:
        return None
    return error.param


def unsupported_parameter_error(
    name: str, provider_message: str | None, code: str | None, request_id: str | None
) -> GatewayError:
    """The gateway refused one of the optional parameters: say which, and that it can go."""
    what = sampling_label(name).lower()
    message = (provider_message or "").lower()
    value = (code or "").lower() == "unsupported_value" or "unsupported value" in message
    title = f"The model does not accept this {what} value" if value else f"The model does not accept {what}"
    return GatewayError(
        ErrorKind.UNSUPPORTED_PARAMETER,
        title,
        f"Send it again without {what} (it is then unset), or pick another model. "
        "Your messages and answers are kept.",
        provider_message=provider_message,
        request_id=request_id,
        status_code=400,
        param=name,
    )


def with_vision_models(error: GatewayError, vision_models: Iterable[str]) -> GatewayError:
    """A no-vision error that names the models configured as accepting images."""
    models = ", ".join(vision_models)
    if error.kind is not ErrorKind.NO_VISION or not models:
        return error
    return replace(
        error, hint=f"Pick a model with vision support ({models}), or send the message without images."
    )


def settings_error(problems: Iterable[str]) -> GatewayError:
    """The message was not sent because the sidebar needs fixing first."""
    return GatewayError(
        ErrorKind.SETTINGS,
        "Not sent: fix the sidebar first",
        " ".join(problems) + " Then press Retry: your message is kept.",
    )


def limit_error(refusal: str) -> GatewayError:
    """Not sent: one of the user's usage limits (requests, tokens, cost) was reached."""
    return GatewayError(ErrorKind.LIMIT, "Not sent: a usage limit was reached", refusal)


def context_error(problem: str) -> GatewayError:
    """Not sent: the conversation cannot be made to fit the model's context window."""
    return GatewayError(
        ErrorKind.SETTINGS, "Not sent: too long for the model", f"{problem} Your message is kept."
    )


def stall_error(seconds: float) -> GatewayError:
    """No chunk arrived for the stall timeout."""
    return GatewayError(
        ErrorKind.STALL,
        f"The answer stalled: nothing arrived for {seconds:g} seconds",
        "The partial answer is kept. Continue or retry; raise GPTPROTO_STALL_TIMEOUT for slow models.",
    )


def total_timeout_error(seconds: float) -> GatewayError:
    """The whole answer took longer than the total timeout."""
    return GatewayError(
        ErrorKind.TIMEOUT,
        f"The answer took longer than {seconds:g} seconds",
        "The partial answer is kept. Raise GPTPROTO_TOTAL_TIMEOUT for very long answers.",
    )


def incomplete_error() -> GatewayError:
    """The stream ended with no finish reason."""
    return GatewayError(
        ErrorKind.INCOMPLETE,
        "The answer ended early",
        "The stream closed without saying it was finished. The partial answer is kept: Continue or Retry.",
    )


def interrupted_error() -> GatewayError:
    """A stored answer whose stream never finished: the server stopped while it was streaming."""
    return GatewayError(
        ErrorKind.INCOMPLETE,
        "The answer was interrupted",
        "The server stopped while this answer was streaming; what arrived before is kept. Continue or Retry.",
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `retry-after-ms` or `retry-after` (seconds); None if absent."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue
        if 0 <= value < 3600:
            return value
    return None


def _timeout_error() -> GatewayError:
    return GatewayError(
        ErrorKind.TIMEOUT,
        "The gateway did not answer in time",
        "Retry in a moment; raise GPTPROTO_CONNECT_TIMEOUT or GPTPROTO_STALL_TIMEOUT for slow models.",
    )


def _connection_error(exc: openai.APIConnectionError, secrets: tuple[str | None, ...]) -> GatewayError:
    cause = exc.__cause__
    detail = f"{type(cause).__name__}: {cause}" if cause else str(exc)
    lowered = detail.lower()
    if "name or service not known" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
        title = "Cannot resolve the gateway's host name"
    elif "refused" in lowered:
        title = "The gateway refused the connection"
    else:
        title = "Cannot reach the gateway"
    return GatewayError(
        ErrorKind.CONNECTION,
        title,
        "Check the network and GPTPROTO_BASE_URL, then retry.",
        provider_message=redact(detail, secrets),
    )


def _provider_text(exc: openai.APIError, secrets: tuple[str | None, ...]) -> str:
    body = exc.body
    message: object = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    return redact(str(message or exc.message), secrets)


def _is_content_policy(text: str, code: str) -> bool:
    return (
        code in {"content_policy_violation", "content_filter", "503"}
        or "content policy" in text
        or "content_policy" in text
        or "safety system" in text
    )


def _is_no_vision(text: str, code: str) -> bool:
    if "image" in code and ("support" in code or "vision" in code):
        return True
    return "image" in text and any(w in text for w in ("not support", "does not accept", "vision"))
