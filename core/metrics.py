"""What an operator's Prometheus scrapes from a replica (served by server_metrics.py on a port of
its own, which the proxy and the ingress never expose).

Request figures are counted once, where a settled request is recorded (components/usage.py);
sessions where the server accepts a browser's websocket; answers streaming from the drain's own
counter, so the gauge and the drain can never disagree. Labels stay bounded: error kinds, limit
names and import formats are fixed lists, and a model id (anyone may type one) is a label only
for the first MAX_MODEL_LABELS models this process sees, "other" after that.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.process_collector import ProcessCollector

from core.drain import REPLICA
from core.usage_report import RequestOutcome

MAX_MODEL_LABELS = 50
OTHER_MODEL = "other"

# The *_created series (a timestamp per label set) would double what every scrape carries, and
# Prometheus computes rates without them.
disable_created_metrics()
# A registry of our own rather than the library's global one: nothing else in the process adds
# to it, and the server serves exactly this.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory, CPU and open files of the replica

SESSIONS_OPEN = Gauge(
    "gptproto_sessions_open", "Browser sessions (websockets) open on this replica", registry=REGISTRY
)
ANSWERS_STREAMING = Gauge(
    "gptproto_answers_streaming", "Answers streaming from the gateway right now", registry=REGISTRY
)
ANSWERS_STREAMING.set_function(lambda: REPLICA.streaming)
DRAINING = Gauge("gptproto_draining", "1 while this replica drains before it stops", registry=REGISTRY)
DRAINING.set_function(lambda: 1 if REPLICA.draining else 0)

REQUESTS = Counter(
    "gptproto_requests",
    "Gateway requests settled, by model and final status",
    ["model", "status"],
    registry=REGISTRY,
)
# The user waits for the first token: most answers start within seconds, reasoning models later.
FIRST_TOKEN = Histogram(
    "gptproto_first_token_seconds",
    "From sending a request to its first token, by model",
    ["model"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120),
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "gptproto_answer_seconds",
    "From sending a request to its answer's end, by model",
    ["model"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
# As the gateway reports them: reasoning tokens are part of the completion, cached of the prompt.
TOKENS = Counter(
    "gptproto_tokens", "Tokens the gateway reported, by model and kind", ["model", "kind"], registry=REGISTRY
)
ERRORS = Counter(
    "gptproto_errors", "Gateway requests that ended in an error, by kind", ["kind"], registry=REGISTRY
)
LIMIT_REFUSALS = Counter(
    "gptproto_limit_refusals",
    "Requests not sent because a person's limit refused them",
    ["limit"],
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "gptproto_database_errors",
    "Database calls that failed (the page went on unsaved)",
    ["error"],
    registry=REGISTRY,
)
IMPORT_REFUSALS = Counter(
    "gptproto_import_refusals",
    "Uploaded files an import refused, by what was imported",
    ["format"],
    registry=REGISTRY,
)

_models_seen: set[str] = set()
_models_lock = threading.Lock()


def model_label(model: str | None) -> str:
    """The model's id as a label, or "other" once MAX_MODEL_LABELS ids have been seen."""
    name = model or "unknown"
    with _models_lock:
        if name in _models_seen:
            return name
        if len(_models_seen) < MAX_MODEL_LABELS:
            _models_seen.add(name)
            return name
    return OTHER_MODEL


def observe_request(model: str | None, outcome: RequestOutcome) -> None:
    """Count one settled gateway request: its status, timings, tokens and error kind."""
    label = model_label(model)
    REQUESTS.labels(label, outcome.status).inc()
    if outcome.first_token_s is not None:
        FIRST_TOKEN.labels(label).observe(outcome.first_token_s)
    if outcome.latency_s is not None:
        ANSWER_SECONDS.labels(label).observe(outcome.latency_s)
    usage = outcome.usage
    if usage is not None:
        for kind, count in (
            ("prompt", usage.prompt_tokens),
            ("completion", usage.completion_tokens),
            ("reasoning", usage.reasoning_tokens),
            ("cached", usage.cached_tokens),
        ):
            if count > 0:
                TOKENS.labels(label, kind).inc(count)
    if outcome.error_kind:
        ERRORS.labels(outcome.error_kind).inc()


def count_limit_refusal(limit: str) -> None:
    """A request was refused by a person's limit (requests_per_minute, tokens_per_day...)."""
    LIMIT_REFUSALS.labels(limit).inc()


def count_database_error(error: BaseException) -> None:
    """A database call failed; labelled by the error's class (OperationalError, TimeoutError...)."""
    DATABASE_ERRORS.labels(type(error).__name__).inc()


def count_import_refusal(what: str) -> None:
    """An import refused an uploaded file: 'conversation', 'comparison', 'prompt_set', 'preset' or
    'archive'."""
    IMPORT_REFUSALS.labels(what).inc()
