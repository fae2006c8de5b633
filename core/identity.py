"""Who is using the app, decided from what the deployment configured: Streamlit's OIDC sign-in,
a header set by an authenticating proxy, or nobody (the single local user)."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Mode = Literal["oidc", "header", "none"]

LOCAL_USER = "local"
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


@dataclass(frozen=True)
class Identity:
    """The person behind this session: a stable id for their rows, and what to show of them."""

    user_id: str
    name: str
    email: str | None
    mode: Mode
    is_admin: bool = False
    issuer: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Refusal:
    """Why nothing is served to this session, and what to do about it."""

    title: str
    message: str
    can_sign_in: bool = False  # show the sign-in button (OIDC)


class IdentityConfigError(ValueError):
    """The deployment configured two ways of signing in; the message says which to keep."""


def identity_mode(auth_configured: bool, identity_header: str | None) -> Mode:
    """OIDC when an [auth] section exists, the proxy header when one is named, else nobody."""
    if auth_configured and identity_header:
        raise IdentityConfigError(
            "Both an [auth] section (OIDC sign-in) and GPTPROTO_IDENTITY_HEADER are configured. "
            "Keep one: [auth] when the app signs people in itself, the header when a proxy does."
        )
    if auth_configured:
        return "oidc"
    return "header" if identity_header else "none"


def _hashed(prefix: str, *parts: str) -> str:
    # Ids fit the users.id column whatever the provider's ids look like, and stay stable.
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
    return f"{prefix}-{digest}"


def oidc_identity(claims: Mapping[str, object], admins: tuple[str, ...]) -> Identity | None:
    """The signed-in user from Streamlit's `st.user`; None when nobody is signed in."""
    if not claims.get("is_logged_in"):
        return None
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not subject:
        return None
    email = _text(claims.get("email"))
    name = _text(claims.get("name")) or email or subject
    user_id = _hashed("oidc", issuer, subject)
    return Identity(user_id, name, email, "oidc", _is_admin(admins, user_id, email, subject), issuer, subject)


def header_identity(headers: Mapping[str, str], header: str, admins: tuple[str, ...]) -> Identity | None:
    """The user an authenticating proxy named in `header`; None when the header is missing."""
    value = next((v for k, v in headers.items() if k.lower() == header.lower()), "").strip()
    if not value:
        return None
    user_id = _hashed("hdr", header.lower(), value.lower())
    email = value if "@" in value else None
    return Identity(user_id, value, email, "header", _is_admin(admins, user_id, email, value), None, value)


def local_identity(admins: tuple[str, ...], on_loopback: bool) -> Identity:
    """The single user of an install with no sign-in: they administer their own machine (on a
    network, with anonymous use accepted, only if GPTPROTO_ADMINS names 'local')."""
    return Identity(LOCAL_USER, "Local user", None, "none", on_loopback or _is_admin(admins, LOCAL_USER))


def _is_admin(admins: tuple[str, ...], *ids: str | None) -> bool:
    wanted = {admin.lower() for admin in admins}
    return any(value is not None and value.lower() in wanted for value in ids)


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def is_loopback(address: str | None) -> bool:
    """True when the server listens only on this machine (127.0.0.0/8, ::1, localhost)."""
    if not address:
        return False  # Streamlit's default: every interface
    host = address.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def anonymous_refusal(address: str | None, allow_anonymous: bool) -> Refusal | None:
    """With no sign-in configured, refuse to serve chats to other machines unless the operator
    explicitly accepted anonymous use."""
    if allow_anonymous or is_loopback(address):
        return None
    where = f"server.address = {address}" if address else "every network interface (no server.address set)"
    return Refusal(
        "Sign-in is not configured",
        f"This server listens on {where}, so other people can reach it, and no sign-in is configured: "
        "everyone would share one user's chats and the server's key. To host it for a team, configure "
        "sign-in: an [auth] section in .streamlit/secrets.toml (OIDC: Google, Microsoft Entra, Okta, "
        "Keycloak...), or GPTPROTO_IDENTITY_HEADER behind an authenticating proxy. To keep it on this "
        "machine only, run it with --server.address 127.0.0.1 (scripts/start.sh does). To accept "
        "anonymous use anyway, set GPTPROTO_ALLOW_ANONYMOUS=true.",
    )


SIGN_IN = Refusal(
    "Sign in to GPTProto Chat",
    "Your conversations, usage and limits are your own: sign in with your organisation's account.",
    can_sign_in=True,
)


def proxy_refusal(header: str) -> Refusal:
    """A request that reached the app without the proxy's identity header."""
    return Refusal(
        "Sign-in required",
        f"This app expects your sign-in proxy to name you in the {header} header, and this request "
        "had none. Open the app through your organisation's sign-in address; if you did, ask the "
        "administrator to check the proxy's configuration.",
    )
