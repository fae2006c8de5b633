"""What operators read: the Prometheus figures of settled requests (core/metrics.py), the log
line per gateway request (core/request_log.py) and the settings behind both."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core import metrics
from core.conversation import Message, Status, Timing, Usage
from core.gateway.errors import ErrorKind, GatewayError
from core.metrics import REGISTRY, model_label, observe_request
from core.request_log import configure_logging, log_request
from core.settings import SettingsError, resolve_settings
from core.usage_report import RequestOutcome, outcome_of

OUTCOME = RequestOutcome(
    status="complete",
    usage=Usage(
        prompt_tokens=120, completion_tokens=80, total_tokens=200, reasoning_tokens=30, cached_tokens=64
    ),
    first_token_s=0.4,
    latency_s=2.5,
    request_id="req_42",
)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_settled_request_is_counted_with_its_timings_and_tokens():
    model = "metrics-test-model"
    observe_request(model, OUTCOME)
    assert _value("gptproto_requests_total", model=model, status="complete") == 1
    assert _value("gptproto_first_token_seconds_count", model=model) == 1
    assert _value("gptproto_first_token_seconds_bucket", model=model, le="0.5") == 1
    assert _value("gptproto_first_token_seconds_bucket", model=model, le="0.25") == 0
    assert _value("gptproto_answer_seconds_sum", model=model) == 2.5
    assert _value("gptproto_answer_seconds_bucket", model=model, le="2.0") == 0
    assert _value("gptproto_answer_seconds_bucket", model=model, le="5.0") == 1
    tokens = {
        kind: _value("gptproto_tokens_total", model=model, kind=kind)
        for kind in ("prompt", "completion", "reasoning", "cached")
    }
    assert tokens == {"prompt": 120, "completion": 80, "reasoning": 30, "cached": 64}


def test_a_failed_request_counts_its_error_kind():
    before = _value("gptproto_errors_total", kind="rate_limit")
    observe_request(
        "metrics-test-failing", RequestOutcome(status="failed", latency_s=0.2, error_kind="rate_limit")
    )
    assert _value("gptproto_errors_total", kind="rate_limit") == before + 1
    assert _value("gptproto_requests_total", model="metrics-test-failing", status="failed") == 1
    assert _value("gptproto_first_token_seconds_count", model="metrics-test-failing") == 0


def test_model_labels_stop_growing_after_the_cap(monkeypatch):
    # Anyone may type a model id: past the cap, a new id is counted as "other".
    monkeypatch.setattr(metrics, "_models_seen", set())
    monkeypatch.setattr(metrics, "MAX_MODEL_LABELS", 2)
    assert [model_label(m) for m in ("a", "b", "c", "a", None)] == ["a", "b", "other", "a", "other"]


def test_refusals_and_database_errors_are_counted_by_kind():
    before = (
        _value("gptproto_limit_refusals_total", limit="tokens_per_day"),
        _value("gptproto_database_errors_total", error="TimeoutError"),
        _value("gptproto_import_refusals_total", format="prompt_set"),
    )
    metrics.count_limit_refusal("tokens_per_day")
    metrics.count_database_error(TimeoutError("slow"))
    metrics.count_import_refusal("prompt_set")
    after = (
        _value("gptproto_limit_refusals_total", limit="tokens_per_day"),
        _value("gptproto_database_errors_total", error="TimeoutError"),
        _value("gptproto_import_refusals_total", format="prompt_set"),
    )
    assert after == tuple(b + 1 for b in before)


@pytest.fixture
def log_lines():
    """What the app's loggers write, as configured for json, read back line by line."""
    stream = io.StringIO()
    handler = configure_logging("json", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger("gptproto").removeHandler(handler)


def test_one_json_line_per_request_with_no_prompt_answer_or_key(log_lines):
    answer = Message(
        role="assistant",
        text="The secret plan is in the answer",
        model="gpt-4o",
        status=Status.COMPLETE,
        usage=Usage(prompt_tokens=9, completion_tokens=7, total_tokens=16),
        timing=Timing(first_token_s=0.25, total_s=1.5),
        request_id="req_standin_000007",
    )
    log_request("user-7f3a", "chat", "gpt-4o", outcome_of(answer, {"gpt-4o": (2.5, 10.0)}))
    [line] = log_lines()
    assert line["level"] == "info" and line["logger"] == "gptproto.requests"
    assert {key: line[key] for key in line if key not in ("time", "level", "logger", "message")} == {
        "event": "gateway_request",
        "user_id": "user-7f3a",
        "page": "chat",
        "model": "gpt-4o",
        "status": "complete",
        "latency_s": 1.5,
        "first_token_s": 0.25,
        "prompt_tokens": 9,
        "completion_tokens": 7,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
        "request_id": "req_standin_000007",
        "error_kind": None,
    }
    assert "secret plan" not in json.dumps(line)


def test_a_failed_request_logs_its_kind_and_the_gateways_request_id_but_not_its_message(log_lines):
    error = GatewayError(
        ErrorKind.AUTH, "Invalid key", "Incorrect API key provided: sk-live-abc123.", request_id="req_9"
    )
    answer = Message(
        role="assistant", model="o3", status=Status.FAILED, error=error, timing=Timing(total_s=0.3)
    )
    log_request("user-1", "compare", "o3", outcome_of(answer, {}))
    [line] = log_lines()
    assert (line["status"], line["error_kind"], line["request_id"]) == ("failed", "auth", "req_9")
    assert "sk-live-abc123" not in json.dumps(line)


def test_text_lines_name_the_fields():
    stream = io.StringIO()
    handler = configure_logging("text", stream)
    try:
        log_request("user-1", "chat", "o3", OUTCOME)
    finally:
        logging.getLogger("gptproto").removeHandler(handler)
    line = stream.getvalue().strip()
    assert (
        "INFO gptproto.requests: gateway request event=gateway_request user_id=user-1 page=chat model=o3"
        in line
    )
    assert "request_id=req_42" in line and "error_kind" not in line


def test_operating_settings_parse_and_default():
    defaults = resolve_settings({}, {}, {})
    assert (
        defaults.shutdown_grace,
        defaults.metrics_port,
        defaults.metrics_address,
        defaults.log_format,
    ) == (
        20.0,
        None,
        "127.0.0.1",
        "text",
    )
    given = resolve_settings(
        {},
        {
            "GPTPROTO_SHUTDOWN_GRACE": "0",
            "GPTPROTO_METRICS_PORT": "9464",
            "GPTPROTO_METRICS_ADDRESS": "0.0.0.0",
            "GPTPROTO_LOG_FORMAT": "JSON",
        },
        {},
    )
    assert (given.shutdown_grace, given.metrics_port, given.metrics_address, given.log_format) == (
        0.0,
        9464,
        "0.0.0.0",
        "json",
    )
    assert resolve_settings({}, {"GPTPROTO_METRICS_PORT": "off"}, {}).metrics_port is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "GPTPROTO_SHUTDOWN_GRACE",
            "soon",
            "GPTPROTO_SHUTDOWN_GRACE must be a number of seconds, got 'soon'.",
        ),
        (
            "GPTPROTO_SHUTDOWN_GRACE",
            "-1",
            "GPTPROTO_SHUTDOWN_GRACE must be from 0 (stop at once) to 3600 seconds",
        ),
        (
            "GPTPROTO_METRICS_PORT",
            "70000",
            "GPTPROTO_METRICS_PORT must be a port number from 1 to 65535 (or 'off')",
        ),
        ("GPTPROTO_LOG_FORMAT", "xml", "GPTPROTO_LOG_FORMAT must be text or json, got 'xml'."),
    ],
)
def test_bad_operating_settings_say_what_to_write(name, value, message):
    with pytest.raises(SettingsError) as raised:
        resolve_settings({}, {name: value}, {})
    assert message in str(raised.value)
