import httpx2
import openai
import pytest

from core.gateway.errors import ErrorKind, classify_exception, classify_status, parse_retry_after, redact


@pytest.mark.parametrize(
    ("status", "message", "code", "kind", "title_fragment"),
    [
        (401, "Invalid API key provided.", "invalid_api_key", ErrorKind.AUTH, "missing or invalid"),
        (
            403,
            "You do not have permission to use this model.",
            "permission_denied",
            ErrorKind.FORBIDDEN,
            "no permission",
        ),
        (
            403,
            "Your balance is insufficient for this request.",
            None,
            ErrorKind.BALANCE,
            "Insufficient balance",
        ),
        (429, "Rate limit exceeded.", "rate_limit_exceeded", ErrorKind.RATE_LIMIT, "Rate limited"),
        (500, "Internal error", None, ErrorKind.SERVER, "gateway failed"),
        (
            400,
            "Your request was rejected: Content policy violation.",
            "content_policy_violation",
            ErrorKind.CONTENT_POLICY,
            "content policy",
        ),
        (400, "Content policy violation", "503", ErrorKind.CONTENT_POLICY, "content policy"),
        (
            400,
            "The model `o3-mini` does not support image input.",
            "model_not_support_image",
            ErrorKind.NO_VISION,
            "images",
        ),
        (404, "model not found", "model_not_found", ErrorKind.NOT_FOUND, "not found"),
        (400, "max_completion_tokens must be positive", None, ErrorKind.BAD_REQUEST, "rejected"),
        (422, "Unprocessable", None, ErrorKind.CLIENT, "422"),
    ],
)
def test_each_status_has_its_own_message(status, message, code, kind, title_fragment):
    error = classify_status(status, message, code=code, request_id="req_1")
    assert error.kind == kind
    assert title_fragment.lower() in error.title.lower()
    assert error.hint
    assert error.provider_message == message
    assert error.request_id == "req_1"
    assert error.status_code == status


def test_content_policy_is_not_called_bad_request():
    error = classify_status(400, "Content policy violation", code="content_policy_violation")
    assert "bad request" not in (error.title + error.hint).lower()
    assert "blocked" in error.title.lower()


def test_401_says_where_to_set_the_key():
    assert "GPTPROTO_API_KEY" in classify_status(401, "nope").hint


def test_rate_limit_says_when():
    error = classify_status(429, "slow down", headers={"retry-after": "7"})
    assert error.retry_after == 7
    assert "7 seconds" in error.hint
    assert error.retryable
    assert not classify_status(400, "bad").retryable
    assert not classify_status(401, "bad").retryable


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "Wed, 21 Oct"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_redact_known_and_key_shaped_secrets():
    text = "Incorrect API key provided: sk-abcdef123456 and also my-long-secret-token"
    cleaned = redact(text, ["my-long-secret-token"])
    assert cleaned == "Incorrect API key provided: sk-ab…[redacted] and also [redacted key]"


def _request():
    return httpx2.Request("POST", "http://127.0.0.1:1/v1/chat/completions")


def test_status_exception_uses_provider_text_and_request_id():
    response = httpx2.Response(
        401,
        request=_request(),
        headers={"x-request-id": "req_abc"},
        json={
            "error": {
                "message": "Bad key sk-live-1234567890",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    )
    exc = openai.AuthenticationError("Bad key", response=response, body=response.json()["error"])
    error = classify_exception(exc, secrets=["sk-live-1234567890"])
    assert error.kind == ErrorKind.AUTH
    assert error.request_id == "req_abc"
    assert error.provider_message == "Bad key [redacted key]"


def test_connection_error_text_is_redacted_of_the_apps_own_key():
    """A broken proxy can quote the request's key in a response the client cannot parse; the
    connection error's text then carries it. This key does not look like one: only the app's
    knowledge of its own key can take it out."""
    key = "gw-live-0123456789abcdef"
    exc = openai.APIConnectionError(request=_request())
    line = f"illegal status line: bytearray(b'HTTP/1.1 4O1 Bad key {key}')"
    exc.__cause__ = httpx2.RemoteProtocolError(line)
    error = classify_exception(exc, secrets=[key])
    assert error.kind == ErrorKind.CONNECTION
    assert error.provider_message == (
        "RemoteProtocolError: illegal status line: bytearray(b'HTTP/1.1 4O1 Bad key [redacted key]')"
    )


def test_connection_and_timeout():
    refused = openai.APIConnectionError(request=_request())
    refused.__cause__ = ConnectionRefusedError("[Errno 111] Connection refused")
    assert classify_exception(refused).title == "The gateway refused the connection"
    dns = openai.APIConnectionError(request=_request())
    dns.__cause__ = OSError("[Errno -2] Name or service not known")
    assert "resolve" in classify_exception(dns).title
    assert classify_exception(openai.APITimeoutError(request=_request())).kind == ErrorKind.TIMEOUT


def test_error_inside_a_stream():
    exc = openai.APIError(
        "Backend failed", _request(), body={"message": "Backend failed", "code": "stream_error"}
    )
    error = classify_exception(exc)
    assert error.kind == ErrorKind.STREAM
    assert error.provider_message == "Backend failed"
