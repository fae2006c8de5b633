"""Who the user is, decided once per run at the top of the app; everything else asks here.

The mode follows the configuration: an [auth] section in secrets means Streamlit's OIDC sign-in
(required, with no further setting); GPTPROTO_IDENTITY_HEADER means an authenticating proxy names
the user; neither means the single local user, served only to a browser visibly on the server's
own machine unless the operator accepts anonymous use."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.plumbing import routes
from components.plumbing.config import app_secrets
from core.identity import (
    SIGN_IN,
    GroupRules,
    Identity,
    IdentityConfigError,
    Refusal,
    anonymous_refusal,
    header_identity,
    identity_mode,
    is_loopback,
    local_identity,
    oidc_identity,
    proxy_refusal,
)
from core.local_browser import RequestHeaders, header_values, why_not_local
from core.safe_text import literal
from core.settings import Settings


def auth_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section (Streamlit's OIDC sign-in)."""
    return "auth" in app_secrets()


def resolve_identity(settings: Settings) -> Identity | Refusal:
    """This session's user, or why nobody may be served."""
    try:
        mode = identity_mode(auth_configured(), settings.identity_header, settings.groups_header)
    except IdentityConfigError as exc:
        return Refusal("The app's sign-in configuration needs fixing", str(exc))
    rules = GroupRules(settings.groups_claim, settings.groups_header, settings.admin_groups)
    if mode == "oidc":
        return oidc_identity(st.user.to_dict(), settings.admins, rules) or SIGN_IN
    headers = request_headers()
    if mode == "header" and settings.identity_header:
        values = header_values(headers or (), settings.identity_header)
        groups = header_values(headers or (), settings.groups_header) if settings.groups_header else []
        found = header_identity(values, settings.identity_header, settings.admins, groups, rules)
        if found is None and len(values) == 1 and len(groups) > 1:
            return proxy_refusal(settings.identity_header, 1, settings.groups_header)
        return found or proxy_refusal(settings.identity_header, len(values))
    address = st.get_option("server.address")
    refusal = anonymous_refusal(address, settings.allow_anonymous, headers)
    visibly_local = is_loopback(address) and (headers is None or why_not_local(headers) is None)
    return refusal or local_identity(settings.admins, visibly_local)


def request_headers() -> RequestHeaders | None:
    """Every header of the request that opened this session, repeats included (dict-like access
    to st.context.headers keeps one value of each); None when no browser made one (AppTest)."""
    received = st.context.headers
    if not received:
        return None  # a websocket handshake always carries headers
    return [(name, value) for name in received for value in received.get_all(name)]


def client_address() -> str | None:
    """The address this session's browser connected from, as the server saw it (a proxy's, when
    one forwards the request); None when the browser is on this machine's localhost."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # AppTest's stand-in context is no str


def current_identity(settings: Settings) -> Identity | None:
    """The signed-in user, or None when this session may not be served."""
    resolved = resolve_identity(settings)
    return resolved if isinstance(resolved, Identity) else None


def require_identity(settings: Settings) -> Identity:
    """The user; otherwise the page says why (with a sign-in button where one helps) and stops,
    before any chat, key or stored data is touched."""
    resolved = resolve_identity(settings)
    if isinstance(resolved, Identity):
        return resolved
    routes.only(partial(_render_refusal, resolved), resolved.title)
    st.stop()


def _render_refusal(refusal: Refusal) -> None:
    st.title(literal(refusal.title))
    st.write(literal(refusal.message))  # it can name the configured header
    if refusal.can_sign_in and st.button("Sign in", type="primary", icon=":material/login:"):
        st.login()
