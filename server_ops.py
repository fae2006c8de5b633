"""What serve.py sets up for the operator once Streamlit has read its configuration and before
its server starts: the app's settings (read the way the pages read them), the log format, the
Prometheus endpoint on a port of its own, SIGTERM as a drain (server_drain.py), and the daily
retention purge when one is configured.

The metrics listen on GPTPROTO_METRICS_ADDRESS:GPTPROTO_METRICS_PORT (off unless a port is set),
not on Streamlit's port: the proxy (Caddy, nginx) and the Kubernetes Ingress forward only that
one, so people using the chat can never read the replica's figures; Prometheus scrapes the
replica directly.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from core.request_log import FIELDS, JsonLines, configure_logging
from core.settings import Settings, SettingsError, load_dotenv_file, resolve_settings
from server_drain import drain_on_sigterm

log = logging.getLogger("gptproto.server")


class StartupError(RuntimeError):
    """The replica cannot start as configured; the message says what to change."""


def operate_replica() -> None:
    """Run `prepare_replica` when `streamlit run` has loaded its configuration (its options,
    and where secrets.toml is, depend on it), just before the server starts."""
    from streamlit.web import bootstrap

    run: Callable[..., None] = bootstrap.run
    if getattr(run, "operated", False):
        return

    def run_operated(*args: Any, **kwargs: Any) -> None:
        try:
            prepare_replica()
        except StartupError as exc:
            sys.exit(str(exc))
        run(*args, **kwargs)

    run_operated.operated = True  # type: ignore[attr-defined]
    bootstrap.run = run_operated


def prepare_replica() -> Settings:
    """Logs, metrics and the drain, as the settings say; the settings."""
    settings = replica_settings()
    use_log_format(settings.log_format)
    serve_metrics(settings)
    drain_on_sigterm(settings.shutdown_grace)
    start_retention(settings)
    return settings


def start_retention(settings: Settings) -> None:
    """The daily retention purge in a thread of this process, when GPTPROTO_RETENTION_DAYS is set
    (core/storage/retention.py; replicas take turns through a database lock)."""
    if settings.retention_days is None:
        return  # SQLAlchemy stays unloaded until a page needs it
    from core.storage.retention import start_daily

    start_daily(settings)


def replica_settings() -> Settings:
    """The settings the pages will see: secrets.toml, then the environment, then `.env`."""
    from components.plumbing.config import app_secrets

    try:
        return resolve_settings(app_secrets(), os.environ, load_dotenv_file(".env"))
    except SettingsError as exc:
        raise StartupError(f"The app's configuration needs fixing: {exc}") from None


def use_log_format(log_format: str) -> None:
    """The app's log lines in `log_format`; with json, Streamlit's and uvicorn's too, so a log
    collector reads every line the same way."""
    configure_logging(log_format)
    if log_format != "json":
        return
    from streamlit import logger as streamlit_logger

    setup = streamlit_logger.setup_formatter
    if getattr(setup, "json_lines", False):
        return

    def setup_json(logger: logging.Logger) -> None:
        setup(logger)
        handler: Any = getattr(logger, "streamlit_console_handler", None)
        if handler is not None:
            handler.setFormatter(JsonLines())

    setup_json.json_lines = True  # type: ignore[attr-defined]
    streamlit_logger.setup_formatter = setup_json
    streamlit_logger.update_formatter()


def serve_metrics(settings: Settings) -> tuple[str, int] | None:
    """Start the Prometheus endpoint (a thread of this process) when a port is set; the address
    and port it listens on, or None when it is off."""
    if settings.metrics_port is None:
        return None
    from prometheus_client import start_http_server

    from core.metrics import REGISTRY

    address, port = settings.metrics_address, settings.metrics_port
    try:
        server, _thread = start_http_server(port, addr=address, registry=REGISTRY)
    except OSError as exc:
        raise StartupError(
            f"The metrics endpoint cannot listen on {address}:{port} ({exc.strerror}): set "
            "GPTPROTO_METRICS_PORT to a free port (or off) and GPTPROTO_METRICS_ADDRESS to an address "
            "of this machine."
        ) from None
    listening: tuple[str, int] = server.server_address[:2]  # type: ignore[assignment]
    log.info(
        "metrics at http://%s:%s/metrics",
        *listening,
        extra={FIELDS: {"event": "metrics_listening", "address": listening[0], "port": listening[1]}},
    )
    return listening
