"""One log line per gateway request, for the operator's log collector.

`GPTPROTO_LOG_FORMAT=json` makes every line the app logs a JSON object on a line of its own
(Loki, Elasticsearch and Cloud Logging parse them without a pattern); `text` (the default) keeps
them readable in a terminal. A request's line carries who sent it (the user id, never an email),
the model, status, timings, tokens and the gateway's request id: never the prompt, the answer or
a key, because the line is built from the request's recorded outcome, which holds none of them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from core.usage_report import RequestOutcome

APP_LOGGER = "gptproto"
log = logging.getLogger(f"{APP_LOGGER}.requests")
FIELDS = "fields"  # the LogRecord attribute that carries a line's structured fields


def request_fields(
    user_id: str | None, page: str, model: str | None, outcome: RequestOutcome
) -> dict[str, Any]:
    """What the line about one settled request says."""
    usage = outcome.usage
    return {
        "event": "gateway_request",
        "user_id": user_id,
        "page": page,
        "model": model,
        "status": outcome.status,
        "latency_s": _rounded(outcome.latency_s),
        "first_token_s": _rounded(outcome.first_token_s),
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "request_id": outcome.request_id,
        "error_kind": outcome.error_kind,
    }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def log_request(user_id: str | None, page: str, model: str | None, outcome: RequestOutcome) -> None:
    """Log the line for one settled gateway request."""
    log.info("gateway request", extra={FIELDS: request_fields(user_id, page, model, outcome)})


class JsonLines(logging.Formatter):
    """Each record as one JSON object: time, level, logger, message, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, FIELDS, {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """Each record as `time level logger: message key=value ...`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS, {})
        pairs = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
        return f"{super().format(record)} {pairs}".rstrip()


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter for GPTPROTO_LOG_FORMAT's value ('json' or 'text')."""
    return JsonLines() if log_format == "json" else TextLines()


def configure_logging(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """Send the app's log records (the `gptproto` loggers, INFO and up) to `stream` (stderr) in
    `log_format`; called once when the server starts."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    app = logging.getLogger(APP_LOGGER)
    for old in list(app.handlers):
        app.removeHandler(old)
    app.addHandler(handler)
    app.setLevel(logging.INFO)
    app.propagate = False  # Streamlit's own handlers would print each line a second time
    return handler
