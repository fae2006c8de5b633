"""Settings and gateway objects shared across sessions, resolved once per configuration."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st
from streamlit import config as st_config

from core.safe_text import literal
from core.settings import Settings, SettingsError, load_dotenv_file, resolve_settings

if TYPE_CHECKING:  # openai is imported on the first request, so the first page paints sooner
    import openai

    from core.gateway.client import Gateway
    from core.model_list_cache import ModelListCache, ModelListing

_ENV_PREFIXES = ("GPTPROTO_", "DATABASE_URL")


def app_secrets() -> dict[str, object]:
    """What `.streamlit/secrets.toml` holds; nothing when there is no such file, which is normal."""
    # Without a file, every st.secrets access looks for one again, one session at a time under a
    # lock every session shares, and raises; pages read settings on every redraw of an answer.
    if not any(os.path.exists(path) for path in st_config.get_option("secrets.files")):
        return {}
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def _relevant_env() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)))


@st.cache_resource(show_spinner=False)
def _resolve_cached(secrets: tuple[tuple[str, str], ...], environ: tuple[tuple[str, str], ...]) -> Settings:
    return resolve_settings(dict(secrets), dict(environ), load_dotenv_file(".env"))


def load_settings() -> Settings:
    """Settings for this run; re-resolved only when secrets or environment change."""
    secrets = tuple(sorted((k, str(v)) for k, v in app_secrets().items()))
    return _resolve_cached(secrets, _relevant_env())


REPLICA_WARNING = (
    "DATABASE_URL is set but no fixed cookie secret is: each replica signs its cookies with its "
    "own random secret, so a browser moved to another replica (a restart, a failover) is signed "
    "out and its session cookie rejected. Set server.cookieSecret (STREAMLIT_SERVER_COOKIE_SECRET) "
    "or [auth] cookie_secret to the same value on every replica."
)


def _auth_cookie_secret() -> bool:
    auth = app_secrets().get("auth")
    return isinstance(auth, Mapping) and bool(auth.get("cookie_secret"))


@st.cache_resource(show_spinner=False)
def _warned_about_replicas(database_url: str, cookie_secret_fixed: bool) -> bool:
    # Once per process and configuration: replicas share one database but need one secret too.
    if not cookie_secret_fixed:
        logging.getLogger("gptproto").warning(REPLICA_WARNING)
    return not cookie_secret_fixed


def warn_about_replica_settings(settings: Settings) -> bool:
    """Log (once) when a shared database is configured without a fixed cookie secret; True then."""
    if not settings.database_url:
        return False
    fixed = st_config.is_manually_set("server.cookieSecret") or _auth_cookie_secret()
    return _warned_about_replicas(settings.database_url, fixed)


def require_settings() -> Settings:
    """This run's settings; a configuration the app cannot use stops the page, saying what to fix."""
    try:
        return load_settings()
    except SettingsError as exc:
        st.error(f"The app's configuration needs fixing: {literal(exc)}", icon=":material/settings:")
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=256)
def _client(base_url: str, api_key: str) -> openai.OpenAI:
    from core.gateway.client import make_client

    return make_client(base_url, api_key)


GATEWAY_MODULE = "core.gateway.client"  # with the openai client: about 0.6 s of imports
PRELOAD_THREAD = "gateway-preload"
_preload_lock = threading.Lock()
_preloading = False


def preload_gateway() -> None:
    """Once a page is drawn: load the HTTP client on a background thread, once per process, so
    that the first prompt, whose request leaves before the page is drawn, does not wait for it.
    A page's first paint never loads it."""
    global _preloading
    with _preload_lock:
        if _preloading or GATEWAY_MODULE in sys.modules:
            return
        _preloading = True
    threading.Thread(target=_load_gateway, name=PRELOAD_THREAD, daemon=True).start()


def _load_gateway() -> None:
    importlib.import_module(GATEWAY_MODULE).warm()  # and its transport and TLS context (~70 ms)


def gateway_for(settings: Settings, api_key: str) -> Gateway:
    """A gateway over a shared, thread-safe client for this base URL and key."""
    from core.gateway.client import Gateway, GatewayConfig

    return Gateway(_client(settings.base_url, api_key), GatewayConfig.from_settings(settings))


# The pickers wait this long at most for the gateway's model list (less when the connect timeout
# is shorter): the sidebar is drawn while it waits, once per key every few minutes.
MODEL_LIST_TIMEOUT_S = 3.0


@st.cache_resource(show_spinner=False)
def _model_lists(timeout: float) -> ModelListCache:
    from core.gateway.model_list import fetch_model_list
    from core.model_list_cache import ModelListCache

    return ModelListCache(lambda base_url, api_key: fetch_model_list(base_url, api_key, timeout))


def model_listing(settings: Settings, api_key: str | None) -> ModelListing | None:
    """The gateway's model list for this key (remembered for a few minutes per key, shared by
    every session), or None without a key."""
    if not api_key:
        return None
    timeout = min(settings.connect_timeout, MODEL_LIST_TIMEOUT_S)
    return _model_lists(timeout).get(settings.base_url, api_key)
