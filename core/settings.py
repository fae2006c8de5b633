"""Settings resolution: Streamlit secrets, then environment (and `.env`), then defaults."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from core.gateway.request import InputError, validate_model_id
from core.limits import Limits
from core.policies import ANY_MODEL, parse_group_limits, parse_group_models, parse_patterns
from core.pricing import Prices, parse_prices

DEFAULT_BASE_URL = "https://gptproto.com/v1"
DEFAULT_MODELS = ("o4-mini", "gpt-4o", "gpt-4o-mini", "o3")
DEFAULT_MODEL = "o4-mini"
DEFAULT_VISION_MODELS = ("gpt-4o", "gpt-4o-mini", "o4-mini", "o3")
# Tokens each model takes in (prompt and answer together); "*" is any model not listed.
DEFAULT_CONTEXT_WINDOWS = {
    "o4-mini": 200_000,
    "o3": 200_000,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "*": 128_000,
}


T = TypeVar("T")


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its configuration, resolved once."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    models: tuple[str, ...] = DEFAULT_MODELS
    default_model: str = DEFAULT_MODEL
    # The gateway's own list, as the pickers offer it: ids (or `*` patterns) never offered, and
    # ids offered even when the list leaves them out or they look like no chat model.
    models_hidden: tuple[str, ...] = ()
    models_extra: tuple[str, ...] = ()
    vision_models: tuple[str, ...] = DEFAULT_VISION_MODELS
    connect_timeout: float = 10.0
    stall_timeout: float = 60.0
    total_timeout: float = 600.0
    max_retries: int = 2
    retry_base_delay: float = 1.0
    retry_max_delay: float = 30.0
    data_dir: str = "./data"
    database_url: str | None = field(default=None, repr=False)
    image_max_bytes: int = 10 * 1024 * 1024
    image_max_count: int = 4
    image_long_side: int = 2048
    image_short_side: int = 768
    document_max_bytes: int = 10 * 1024 * 1024
    document_max_pages: int = 100
    document_max_count: int = 5
    document_max_chars: int = 400_000
    prices: Prices = field(default_factory=dict)
    # Hosting for a team: who the user is, who administers, whose key, and per-user limits.
    identity_header: str | None = None
    allow_anonymous: bool = False
    admins: tuple[str, ...] = ()
    require_user_key: bool = False
    limit_requests_per_minute: int | None = None
    limit_tokens_per_day: int | None = None
    limit_cost_per_month: float | None = None
    # Held against the token and cost limits for an answer still streaming that has no
    # max_completion_tokens (the same room core.context_fit keeps for such an answer's context).
    limit_reserve_tokens: int = 4_096
    # Running it for an organisation: a person's groups (from the sign-in) pick their models and limits.
    groups_claim: str = "groups"
    groups_header: str | None = None
    group_models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_limits: Mapping[str, Limits] = field(default_factory=dict)
    default_models_allowed: tuple[str, ...] = ANY_MODEL
    admin_groups: tuple[str, ...] = ()
    max_prompt_chars: int = 100_000
    max_instructions_chars: int = 20_000
    context_windows: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CONTEXT_WINDOWS))
    allowed_image_hosts: tuple[str, ...] = ()
    # Operating replicas (serve.py): the drain on SIGTERM, the Prometheus endpoint, the log lines.
    shutdown_grace: float = 20.0
    metrics_port: int | None = None
    metrics_address: str = "127.0.0.1"
    log_format: str = "text"
    # Retention: conversations and comparisons untouched this many days are deleted (None: kept).
    retention_days: int | None = None
    retention_pinned: bool = False

    @property
    def has_server_key(self) -> bool:
        """True when the deployment lets users chat on its own key, so they need not type one."""
        return bool(self.api_key) and not self.require_user_key

    @property
    def server_key(self) -> str | None:
        """The key users chat on when they type none (never when each must bring their own)."""
        return self.api_key if self.has_server_key else None


# Each setting: (name in secrets/env, field, parser). One table keeps the order of lookup
# identical for every setting.
def _split_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _seconds(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}.") from None


def _positive_float(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = _seconds(name, raw)
        if value <= 0:
            raise SettingsError(f"{name} must be greater than zero, got {raw!r}.")
        return value

    return parse


def _non_negative_int(name: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}.") from None
        if value < 0:
            raise SettingsError(f"{name} must be zero or more, got {raw!r}.")
        return value

    return parse


def _grace_seconds(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = _seconds(name, raw)
        if not 0 <= value <= 3600:
            raise SettingsError(f"{name} must be from 0 (stop at once) to 3600 seconds, got {raw!r}.")
        return value

    return parse


def _positive_int(name: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = _non_negative_int(name)(raw)
        if value == 0:
            raise SettingsError(f"{name} must be at least 1, got {raw!r}.")
        return value

    return parse


def _port(name: str) -> Callable[[str], int | None]:
    """A TCP port; 'off' (or 'none') leaves the listener out."""

    def parse(raw: str) -> int | None:
        if raw.strip().lower() in ("none", "off"):
            return None
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= 65535:
            raise SettingsError(f"{name} must be a port number from 1 to 65535 (or 'off'), got {raw!r}.")
        return value

    return parse


LOG_FORMATS = ("text", "json")


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in LOG_FORMATS:
        raise SettingsError(f"GPTPROTO_LOG_FORMAT must be text or json, got {raw!r}.")
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(name: str) -> Callable[[str], bool]:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value not in _TRUE | _FALSE:
            raise SettingsError(f"{name} must be true or false, got {raw!r}.")
        return value in _TRUE

    return parse


def _limit_int(name: str) -> Callable[[str], int | None]:
    """A per-user limit: a whole number above zero; 'none' or 'off' means no limit."""

    def parse(raw: str) -> int | None:
        if raw.strip().lower() in ("none", "off"):
            return None
        value = _non_negative_int(name)(raw)
        if value == 0:
            raise SettingsError(f"{name} must be at least 1 (or 'off' for no limit), got {raw!r}.")
        return value

    return parse


def _limit_usd(name: str) -> Callable[[str], float | None]:
    """A cost limit in USD; 'none' or 'off' means no limit."""

    def parse(raw: str) -> float | None:
        if raw.strip().lower() in ("none", "off"):
            return None
        try:
            value = float(raw.strip().lstrip("$"))
        except ValueError:
            raise SettingsError(
                f"{name} must be an amount in USD such as 25 or 25.50, got {raw!r}."
            ) from None
        if value <= 0:
            raise SettingsError(f"{name} must be above zero (or 'off' for no limit), got {raw!r}.")
        return value

    return parse


_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,100}$")


def _header_name(setting: str, example: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        name = raw.strip()
        if not _HEADER_NAME.match(name):
            raise SettingsError(f"{setting} must be an HTTP header name such as {example}, got {raw!r}.")
        return name

    return parse


def _claim_name(raw: str) -> str:
    name = raw.strip()
    if not re.match(r"^[A-Za-z0-9_:./-]{1,200}$", name):
        raise SettingsError(
            f"GPTPROTO_GROUPS_CLAIM must be an ID token claim's name such as groups, got {raw!r}."
        )
    return name


def _model_ids(raw: str) -> tuple[str, ...]:
    ids = _split_list(raw)
    for model in ids:
        try:
            validate_model_id(model)
        except InputError as error:
            raise SettingsError(f"GPTPROTO_MODELS_EXTRA entry {model!r}: {error}") from None
    return ids


def _raising_settings_error(parse: Callable[[str], T]) -> Callable[[str], T]:
    def checked(raw: str) -> T:
        try:
            return parse(raw)
        except ValueError as error:
            raise SettingsError(str(error)) from None

    return checked


def _default_models_allowed(raw: str) -> tuple[str, ...]:
    patterns = parse_patterns(raw, "GPTPROTO_DEFAULT_MODELS_ALLOWED")
    if not patterns:
        raise ValueError("GPTPROTO_DEFAULT_MODELS_ALLOWED names no model: list at least one, or * for any.")
    return patterns


def _prices(raw: str) -> Prices:
    try:
        return parse_prices(_split_list(raw))
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _context_windows(raw: str) -> dict[str, int]:
    """Parse `model=tokens,...` over the defaults; `*=tokens` sets it for unlisted models."""
    windows = dict(DEFAULT_CONTEXT_WINDOWS)
    for item in _split_list(raw):
        model, _, tokens = item.partition("=")
        try:
            value = int(tokens.strip().replace("_", ""))
        except ValueError:
            value = 0
        if not model.strip() or value <= 0:
            raise SettingsError(
                f"GPTPROTO_CONTEXT_WINDOWS entry {item!r} must look like model=tokens "
                "(a whole number above zero), e.g. gpt-4o=128000 or *=32000."
            )
        windows[model.strip()] = value
    return windows


_SETTINGS_TABLE: tuple[tuple[str, str, Callable[[str], object]], ...] = (
    ("GPTPROTO_API_KEY", "api_key", str.strip),
    ("GPTPROTO_BASE_URL", "base_url", lambda raw: raw.strip().rstrip("/")),
    ("GPTPROTO_MODELS", "models", _split_list),
    ("GPTPROTO_DEFAULT_MODEL", "default_model", str.strip),
    ("GPTPROTO_MODELS_HIDDEN", "models_hidden", _split_list),
    ("GPTPROTO_MODELS_EXTRA", "models_extra", _model_ids),
    ("GPTPROTO_VISION_MODELS", "vision_models", _split_list),
    ("GPTPROTO_CONNECT_TIMEOUT", "connect_timeout", _positive_float("GPTPROTO_CONNECT_TIMEOUT")),
    ("GPTPROTO_STALL_TIMEOUT", "stall_timeout", _positive_float("GPTPROTO_STALL_TIMEOUT")),
    ("GPTPROTO_TOTAL_TIMEOUT", "total_timeout", _positive_float("GPTPROTO_TOTAL_TIMEOUT")),
    ("GPTPROTO_MAX_RETRIES", "max_retries", _non_negative_int("GPTPROTO_MAX_RETRIES")),
    ("GPTPROTO_RETRY_BASE_DELAY", "retry_base_delay", _positive_float("GPTPROTO_RETRY_BASE_DELAY")),
    ("GPTPROTO_RETRY_MAX_DELAY", "retry_max_delay", _positive_float("GPTPROTO_RETRY_MAX_DELAY")),
    ("GPTPROTO_DATA_DIR", "data_dir", str.strip),
    ("DATABASE_URL", "database_url", str.strip),
    ("GPTPROTO_IMAGE_MAX_BYTES", "image_max_bytes", _non_negative_int("GPTPROTO_IMAGE_MAX_BYTES")),
    ("GPTPROTO_IMAGE_MAX_COUNT", "image_max_count", _non_negative_int("GPTPROTO_IMAGE_MAX_COUNT")),
    ("GPTPROTO_IMAGE_LONG_SIDE", "image_long_side", _non_negative_int("GPTPROTO_IMAGE_LONG_SIDE")),
    (
        "GPTPROTO_IMAGE_SHORT_SIDE",
        "image_short_side",
        _non_negative_int("GPTPROTO_IMAGE_SHORT_SIDE"),
    ),
    ("GPTPROTO_DOCUMENT_MAX_BYTES", "document_max_bytes", _non_negative_int("GPTPROTO_DOCUMENT_MAX_BYTES")),
    ("GPTPROTO_DOCUMENT_MAX_PAGES", "document_max_pages", _non_negative_int("GPTPROTO_DOCUMENT_MAX_PAGES")),
    ("GPTPROTO_DOCUMENT_MAX_COUNT", "document_max_count", _non_negative_int("GPTPROTO_DOCUMENT_MAX_COUNT")),
    ("GPTPROTO_DOCUMENT_MAX_CHARS", "document_max_chars", _non_negative_int("GPTPROTO_DOCUMENT_MAX_CHARS")),
    ("GPTPROTO_PRICES", "prices", _prices),
    (
        "GPTPROTO_IDENTITY_HEADER",
        "identity_header",
        _header_name("GPTPROTO_IDENTITY_HEADER", "X-Forwarded-Email"),
    ),
    ("GPTPROTO_ALLOW_ANONYMOUS", "allow_anonymous", _flag("GPTPROTO_ALLOW_ANONYMOUS")),
    ("GPTPROTO_ADMINS", "admins", lambda raw: tuple(item.lower() for item in _split_list(raw))),
    ("GPTPROTO_REQUIRE_USER_KEY", "require_user_key", _flag("GPTPROTO_REQUIRE_USER_KEY")),
    (
        "GPTPROTO_LIMIT_REQUESTS_PER_MINUTE",
        "limit_requests_per_minute",
        _limit_int("GPTPROTO_LIMIT_REQUESTS_PER_MINUTE"),
    ),
    ("GPTPROTO_LIMIT_TOKENS_PER_DAY", "limit_tokens_per_day", _limit_int("GPTPROTO_LIMIT_TOKENS_PER_DAY")),
    ("GPTPROTO_LIMIT_COST_PER_MONTH", "limit_cost_per_month", _limit_usd("GPTPROTO_LIMIT_COST_PER_MONTH")),
    ("GPTPROTO_LIMIT_RESERVE_TOKENS", "limit_reserve_tokens", _positive_int("GPTPROTO_LIMIT_RESERVE_TOKENS")),
    ("GPTPROTO_MAX_PROMPT_CHARS", "max_prompt_chars", _non_negative_int("GPTPROTO_MAX_PROMPT_CHARS")),
    (
        "GPTPROTO_MAX_INSTRUCTIONS_CHARS",
        "max_instructions_chars",
        _non_negative_int("GPTPROTO_MAX_INSTRUCTIONS_CHARS"),
    ),
    ("GPTPROTO_CONTEXT_WINDOWS", "context_windows", _context_windows),
    ("GPTPROTO_ALLOWED_IMAGE_HOSTS", "allowed_image_hosts", _split_list),
    ("GPTPROTO_GROUPS_CLAIM", "groups_claim", _claim_name),
    ("GPTPROTO_GROUPS_HEADER", "groups_header", _header_name("GPTPROTO_GROUPS_HEADER", "X-Forwarded-Groups")),
    ("GPTPROTO_GROUP_MODELS", "group_models", _raising_settings_error(parse_group_models)),
    ("GPTPROTO_GROUP_LIMITS", "group_limits", _raising_settings_error(parse_group_limits)),
    (
        "GPTPROTO_DEFAULT_MODELS_ALLOWED",
        "default_models_allowed",
        _raising_settings_error(_default_models_allowed),
    ),
    ("GPTPROTO_ADMIN_GROUPS", "admin_groups", _split_list),
    ("GPTPROTO_SHUTDOWN_GRACE", "shutdown_grace", _grace_seconds("GPTPROTO_SHUTDOWN_GRACE")),
    ("GPTPROTO_METRICS_PORT", "metrics_port", _port("GPTPROTO_METRICS_PORT")),
    ("GPTPROTO_METRICS_ADDRESS", "metrics_address", str.strip),
    ("GPTPROTO_LOG_FORMAT", "log_format", _log_format),
    ("GPTPROTO_RETENTION_DAYS", "retention_days", _limit_int("GPTPROTO_RETENTION_DAYS")),
    ("GPTPROTO_RETENTION_PINNED", "retention_pinned", _flag("GPTPROTO_RETENTION_PINNED")),
)


def load_dotenv_file(path: str | os.PathLike[str] = ".env") -> dict[str, str]:
    """Read a `.env` file into a dict (missing file: empty); never touches os.environ."""
    if not Path(path).is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def load_secrets_files(paths: Iterable[str | os.PathLike[str]]) -> dict[str, object]:
    """What Streamlit would read from these `secrets.toml` files, for code that runs without it
    (later files win, as in Streamlit); a missing file adds nothing."""
    secrets: dict[str, object] = {}
    for path in paths:
        if not Path(path).is_file():
            continue
        try:
            secrets.update(tomllib.loads(Path(path).read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML ({exc}): fix it.") from None
    return secrets


def resolve_settings(
    secrets: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: secrets first, then the environment, then `.env`, then defaults."""
    sources: list[Mapping[str, object]] = [
        secrets or {},
        os.environ if environ is None else environ,
        dotenv or {},
    ]
    values: dict[str, object] = {}
    for name, attribute, parse in _SETTINGS_TABLE:
        raw = _first_value(name, sources)
        if raw is not None:
            values[attribute] = parse(raw)
    settings = Settings(**values)  # type: ignore[arg-type]
    if not settings.models:
        raise SettingsError("GPTPROTO_MODELS is empty: list at least one model id.")
    return settings


def _first_value(name: str, sources: list[Mapping[str, object]]) -> str | None:
    for source in sources:
        value = source.get(name)
        if value is not None and str(value).strip() != "":
            return str(value)
    return None


def model_choices(settings: Settings) -> list[str]:
    """The curated list with the default model first-class even if it is not listed."""
    choices = list(settings.models)
    if settings.default_model not in choices:
        choices.insert(0, settings.default_model)
    return choices
