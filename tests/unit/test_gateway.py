"""The gateway seam against the stand-in: events, retries and faults, asserted on what the
stand-in saw."""

from __future__ import annotations

import pytest

from core.conversation import Usage
from core.gateway.client import Gateway, GatewayConfig, UsageSupportMemo, make_client, read_chunk
from core.gateway.errors import ErrorKind
from core.gateway.events import Accepted, Failure, Finish, RetryWait, TextDelta, UsageReport, UsageUnavailable
from core.gateway.pump import EventPump
from devtools.standin import ErrorReply, Garbled, HangUp, Reply, StandIn
from tests.waiting import wait_until


def _gateway(standin, **config) -> Gateway:
    options = {"max_retries": 0, "retry_base_delay": 0.05, "retry_max_delay": 0.2, **config}
    return Gateway(
        make_client(standin.base_url, standin.api_key), GatewayConfig(**options), memo=UsageSupportMemo()
    )


def _body(stream=True, **extra):
    return {"model": "o4-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": stream, **extra}


def _events(gateway, body):
    return list(gateway.chat(body))


def _text(events):
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_stream_yields_text_usage_and_finish(standin):
    standin.enqueue(Reply(text="One two three.", reasoning_tokens=4, cached_tokens=1))
    events = _events(_gateway(standin), _body(stream_options={"include_usage": True}))
    assert _text(events) == "One two three."
    usage = next(e.usage for e in events if isinstance(e, UsageReport))
    assert usage.reasoning_tokens == 4 and usage.cached_tokens == 1
    assert events[-1] == Finish("stop")
    assert events[0] == Accepted("req_standin_000001")  # read from the stream's x-request-id


def test_non_stream_yields_the_same_kinds(standin):
    standin.enqueue(Reply(text="Whole answer.", finish_reason="length"))
    events = _events(_gateway(standin), _body(stream=False))
    assert [type(e) for e in events] == [Accepted, TextDelta, UsageReport, Finish]
    assert events[0] == Accepted("req_standin_000001")  # the stand-in numbers its requests from 1
    assert events[-1] == Finish("length")


def test_stream_options_rejection_retries_once_and_is_remembered(standin):
    standin.reject_params = {"stream_options"}
    gateway = _gateway(standin)
    events = _events(gateway, _body(stream_options={"include_usage": True}))
    assert UsageUnavailable() in events and events[-1] == Finish("stop")
    assert [r.response_status for r in standin.requests] == [400, 200]
    assert not gateway.wants_usage()


@pytest.mark.parametrize(
    "reply",
    [ErrorReply.rate_limited(), ErrorReply.server_error(), HangUp()],
)
def test_retryable_failures_are_retried_then_succeed(standin, reply):
    standin.enqueue(reply, reply, Reply(text="Finally."))
    events = _events(_gateway(standin, max_retries=2), _body())
    assert _text(events) == "Finally."
    assert len(standin.requests) == 3
    waits = [e for e in events if isinstance(e, RetryWait)]
    assert {w.attempt for w in waits} == {2, 3}
    # One user message per attempt, never duplicated.
    assert all(r.body["messages"] == [{"role": "user", "content": "Hi"}] for r in standin.requests)


def test_retries_are_bounded(standin):
    standin.enqueue(*[ErrorReply.server_error()] * 5)
    events = _events(_gateway(standin, max_retries=2), _body())
    assert isinstance(events[-1], Failure) and events[-1].error.kind == ErrorKind.SERVER
    assert len(standin.requests) == 3


def test_retry_after_is_honoured(standin):
    standin.enqueue(ErrorReply.rate_limited(retry_after=0.4), Reply(text="ok"))
    _events(_gateway(standin, max_retries=1, retry_base_delay=0.01), _body())
    first, second = standin.requests
    assert second.received_at - first.received_at >= 0.4


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (ErrorReply(status=400, message="bad"), ErrorKind.BAD_REQUEST),
        (ErrorReply.unauthorized(), ErrorKind.AUTH),
        (ErrorReply.forbidden(), ErrorKind.FORBIDDEN),
        (ErrorReply.not_found_model("x"), ErrorKind.NOT_FOUND),
        (ErrorReply(status=422, message="no"), ErrorKind.CLIENT),
        (ErrorReply.content_policy(), ErrorKind.CONTENT_POLICY),
    ],
)
def test_client_errors_are_never_retried(standin, reply, kind):
    standin.enqueue(reply, Reply(text="should not be reached"))
    events = _events(_gateway(standin, max_retries=3), _body())
    assert [type(e) for e in events] == [Failure]
    assert events[0].error.kind == kind
    assert events[0].error.request_id
    assert len(standin.requests) == 1


def test_stream_without_finish_reason_is_incomplete(standin):
    standin.enqueue(Reply(text="a b c d e f", cut_after=3))
    events = _events(_gateway(standin, max_retries=2), _body())
    assert events[-1] == Finish(None)
    assert _text(events) and len(standin.requests) == 1


def test_dropped_stream_keeps_text_and_is_not_restarted(standin):
    standin.enqueue(Reply(text="a b c d e f", drop_after=2), Reply(text="never"))
    events = _events(_gateway(standin, max_retries=2), _body())
    assert isinstance(events[-1], Failure)
    assert "dropped" in events[-1].error.title
    assert _text(events) and "never" not in _text(events)
    assert len(standin.requests) == 1


def test_stall_ends_the_wait(standin):
    standin.enqueue(Reply(text="a b c d", stall_after=2, stall_seconds=5))
    events = _events(_gateway(standin, stall_timeout=0.3), _body())
    assert isinstance(events[-1], Failure) and events[-1].error.kind == ErrorKind.STALL
    assert _text(events)


def test_garbage_chunk_and_error_event_fail_with_a_message(standin):
    standin.enqueue(Reply(text="a b c d", garbage_after=2), Reply(text="a b c d", error_event_after=1))
    garbage = _events(_gateway(standin), _body())
    assert isinstance(garbage[-1], Failure) and garbage[-1].error.kind == ErrorKind.STREAM
    event = _events(_gateway(standin), _body())
    assert isinstance(event[-1], Failure)
    assert event[-1].error.provider_message == "The model backend failed mid-stream."


def test_total_timeout(standin):
    standin.enqueue(Reply(text=" ".join(["w"] * 50), chunk_delay=0.02))
    events = _events(_gateway(standin, total_timeout=0.2), _body())
    assert isinstance(events[-1], Failure) and events[-1].error.kind == ErrorKind.TIMEOUT


def test_cancel_closes_the_http_stream(standin):
    standin.enqueue(Reply(text=" ".join(["word"] * 400), chunk_delay=0.01))
    gateway = _gateway(standin)
    with EventPump({"only": (gateway, _body())}) as pump:
        for tick in pump.ticks():
            if tick is not None and isinstance(tick[1], TextDelta):
                break  # leaving the block cancels the call
    pump.join(timeout=5)
    request = standin.wait_for_requests(1)[0]
    assert wait_until(lambda: standin.requests[0].client_disconnected, timeout=5.0)
    assert request.chunks_sent < 400


def test_request_sent_is_set_when_the_request_is_written_not_when_the_call_ends(standin):
    standin.enqueue(Reply(text="late", first_token_delay=30))
    gateway = _gateway(standin)
    with EventPump({"only": (gateway, _body())}).start(head_start_s=0):
        assert gateway.request_sent.wait(timeout=10)  # the answer is still 30 s away
        assert standin.wait_for_requests(1)[0].client_disconnected is False


def test_start_returns_with_the_request_written_out(standin):
    standin.enqueue(Reply(text="late", first_token_delay=30))
    gateway = _gateway(standin)
    with EventPump({"only": (gateway, _body())}).start(head_start_s=10):
        assert gateway.request_sent.is_set()  # no waiting here: start() did it


def test_a_call_that_never_sends_does_not_hold_start_up():
    gateway = Gateway(make_client("http://127.0.0.1:9/v1", "sk-x"), GatewayConfig(max_retries=0))
    with EventPump({"only": (gateway, _body())}).start(head_start_s=60) as pump:
        assert gateway.request_sent.is_set()  # set as the refused call ended, not by the 60 s
        events = [tick[1] for tick in pump.ticks() if tick is not None]
    assert len(events) == 1 and isinstance(events[0], Failure)
    assert events[0].error.kind == ErrorKind.CONNECTION


def test_cancel_interrupts_a_retry_countdown(standin):
    standin.enqueue(ErrorReply.rate_limited(retry_after=30), Reply(text="x"))
    gateway = _gateway(standin, max_retries=1)
    events = gateway.chat(_body())
    first = next(events)
    assert isinstance(first, RetryWait) and first.remaining_s > 25
    gateway.cancel()
    assert list(events) == []
    assert len(standin.requests) == 1


# One key the key-shaped pattern catches, and one it does not: only the app's knowledge of its own
# key can keep the second off the page.
KEYS = ["sk-live-0123456789abcdef", "gw-live-0123456789abcdef"]


@pytest.mark.parametrize("key", KEYS)
def test_a_401_that_quotes_the_key_reaches_the_user_without_it(key):
    with StandIn(["sk-the-right-key-000000"]) as standin:
        gateway = Gateway(make_client(standin.base_url, key), GatewayConfig(max_retries=0))
        events = _events(gateway, _body())
    assert key in standin.requests[0].sent.decode()  # the stand-in did quote it
    assert [type(e) for e in events] == [Failure]
    error = events[0].error
    assert error.kind == ErrorKind.AUTH
    assert error.provider_message == "Incorrect API key provided: [redacted key]."
    assert key not in repr(error)


@pytest.mark.parametrize("key", KEYS)
def test_a_connection_error_whose_text_quotes_the_key_reaches_the_user_without_it(key):
    with StandIn([key]) as standin:
        standin.enqueue(Garbled())
        events = _events(Gateway(make_client(standin.base_url, key), GatewayConfig(max_retries=0)), _body())
    assert key in standin.requests[0].sent.decode()  # the stand-in did quote it
    assert [type(e) for e in events] == [Failure]
    error = events[0].error
    assert error.kind == ErrorKind.CONNECTION
    assert "illegal status line" in (error.provider_message or "")
    assert key not in repr(error)


def test_clients_for_different_keys_share_one_tls_context(monkeypatch):
    import httpcore2

    import core.gateway.client

    built: list[object] = []
    original = httpcore2.default_ssl_context

    def counting(**kwargs):
        context = original(**kwargs)
        built.append(context)
        return context

    monkeypatch.setattr(httpcore2, "default_ssl_context", counting)
    core.gateway.client.shared_tls_context.cache_clear()
    make_client("http://127.0.0.1:9/v1", "sk-first")
    make_client("http://127.0.0.1:9/v1", "sk-second")
    core.gateway.client.warm()
    assert len(built) == 1  # loaded once, not once per key
    core.gateway.client.shared_tls_context.cache_clear()


# Chunks as gateways send them, read from their JSON.
ROLE_ONLY = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
USAGE_ONLY = {
    "choices": [],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 30,
        "total_tokens": 42,
        "completion_tokens_details": {"reasoning_tokens": 20},
        "prompt_tokens_details": {"cached_tokens": 8},
    },
}


@pytest.mark.parametrize(
    ("chunk", "expected"),
    [
        (ROLE_ONLY, (None, [], None)),
        (USAGE_ONLY, (Usage(12, 30, 42, reasoning_tokens=20, cached_tokens=8), [], None)),
        ({"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]}, (None, ["Hi"], None)),
        ({"choices": [{"delta": {"content": None}, "finish_reason": "length"}]}, (None, [], "length")),
        ({"choices": [{"delta": {"content": "a"}}, {"delta": {"content": "b"}}]}, (None, ["a", "b"], None)),
        ({"choices": [{"delta": {}}], "usage": None}, (None, [], None)),
        ({"usage": {"total_tokens": "many"}, "choices": "none"}, (Usage(0, 0, 0), [], None)),
        (["not", "a", "chunk"], (None, [], None)),
    ],
)
def test_read_chunk(chunk, expected):
    assert read_chunk(chunk) == expected
