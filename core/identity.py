"""Who is using the app, decided from what the deployment configured: Streamlit's OIDC sign-in,
a header set by an authenticating proxy, or nobody (the single local user)."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from core.local_browser import RequestHeaders, why_not_local
from core.policies import in_any, parse_groups

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
    # Only a verified email may name an admin or pick whose chats a command moves: a provider that
    # lets anyone type an address without confirming it says so with email_verified false.
    email_verified: bool = False
    # The groups the sign-in named (an ID token claim, or the proxy's groups header): they pick the
    # person's models and limits (core.policies), and GPTPROTO_ADMIN_GROUPS's members administer.
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRules:
    """Where a sign-in names a person's groups, and which groups administer."""

    claim: str = "groups"
    header: str | None = None  # behind an authenticating proxy only
    admin_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """Why nothing is served to this session, and what to do about it."""

    title: str
    message: str
    can_sign_in: bool = False  # show the sign-in button (OIDC)


class IdentityConfigError(ValueError):
    """The deployment configured two ways of signing in; the message says which to keep."""


def identity_mode(
    auth_configured: bool, identity_header: str | None, groups_header: str | None = None
) -> Mode:
    """OIDC when an [auth] section exists, the proxy header when one is named, else nobody."""
    if auth_configured and identity_header:
        raise IdentityConfigError(
            "Both an [auth] section (OIDC sign-in) and GPTPROTO_IDENTITY_HEADER are configured. "
            "Keep one: [auth] when the app signs people in itself, the header when a proxy does."
        )
    if groups_header and not identity_header:
        # Without a proxy that names the user, nothing stops a browser from sending the header.
        raise IdentityConfigError(
            "GPTPROTO_GROUPS_HEADER is set, but no GPTPROTO_IDENTITY_HEADER: a groups header is only "
            "trusted from the authenticating proxy that also names the user. Set both, or remove "
            "GPTPROTO_GROUPS_HEADER (with OIDC sign-in, groups come from the GPTPROTO_GROUPS_CLAIM claim)."
        )
    if auth_configured:
        return "oidc"
    return "header" if identity_header else "none"


def _hashed(prefix: str, *parts: str) -> str:
    # Ids fit the users.id column whatever the provider's ids look like, and stay stable.
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
    return f"{prefix}-{digest}"


def oidc_identity(
    claims: Mapping[str, object], admins: tuple[str, ...], rules: GroupRules = GroupRules()
) -> Identity | None:
    """The signed-in user from Streamlit's `st.user`; None when nobody is signed in. Their groups
    are the `rules.claim` claim's (a list, or names separated by commas)."""
    if not claims.get("is_logged_in"):
        return None
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not subject:
        return None
    email = _text(claims.get("email"))
    verified = email is not None and _is_true(claims.get("email_verified"))
    name = _text(claims.get("name")) or email or subject
    user_id = _hashed("oidc", issuer, subject)
    groups = parse_groups(claims.get(rules.claim))
    is_admin = _is_admin(admins, user_id, email if verified else None, subject) or in_any(
        groups, rules.admin_groups
    )
    return Identity(user_id, name, email, "oidc", is_admin, issuer, subject, verified, groups)


def header_identity(
    values: list[str],
    header: str,
    admins: tuple[str, ...],
    group_values: list[str] | None = None,
    rules: GroupRules = GroupRules(),
) -> Identity | None:
    """The user an authenticating proxy named in `header` (every value the request carried for
    it); None unless it carried exactly one: a second value is a client's attempt to be someone
    else that the proxy passed along, and neither value can be trusted over the other. The same
    holds for the groups header (`group_values`, every value of `rules.header`): none means no
    group, two are refused."""
    if len(values) != 1 or not values[0].strip():
        return None
    group_values = group_values or []
    if len(group_values) > 1:
        return None
    value = values[0].strip()
    user_id = _hashed("hdr", header.lower(), value.lower())
    email = value if "@" in value else None  # the proxy signed this person in: it vouches for it
    groups = parse_groups(group_values[0]) if group_values else ()
    is_admin = _is_admin(admins, user_id, email, value) or in_any(groups, rules.admin_groups)
    return Identity(user_id, value, email, "header", is_admin, None, value, email is not None, groups)


def local_identity(admins: tuple[str, ...], visibly_local: bool) -> Identity:
    """The single user of an install with no sign-in: they administer their own machine, from a
    browser visibly on it (otherwise, with anonymous use accepted, only if GPTPROTO_ADMINS names
    'local')."""
    return Identity(LOCAL_USER, "Local user", None, "none", visibly_local or _is_admin(admins, LOCAL_USER))


def _is_admin(admins: tuple[str, ...], *ids: str | None) -> bool:
    wanted = {admin.lower() for admin in admins}
    return any(value is not None and value.lower() in wanted for value in ids)


def _is_true(claim: object) -> bool:
    # Some providers send the boolean claims of the ID token as strings.
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


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


CONFIGURE_SIGN_IN = (
    "To host it for a team, configure sign-in: an [auth] section in .streamlit/secrets.toml (OIDC: "
    "Google, Microsoft Entra, Okta, Keycloak...), or GPTPROTO_IDENTITY_HEADER behind an "
    "authenticating proxy."
)


def anonymous_refusal(
    address: str | None, allow_anonymous: bool, headers: RequestHeaders | None
) -> Refusal | None:
    """With no sign-in configured, serve chats only to a browser visibly on this machine (a server
    on loopback, opened by a loopback name, with no proxy in between) unless the operator
    explicitly accepted anonymous use. `headers` is None when no browser made the request (a
    script run with no server, as in tests)."""
    if allow_anonymous:
        return None
    if not is_loopback(address):
        where = f"server.address = {address}" if address else "every network interface"
        reason = f"this server listens on {where}, so other people can reach it"
        stay_local = "To keep it on this machine only, run it with --server.address 127.0.0.1"
        stay_local += " (scripts/start.sh does)."
    else:
        not_local = why_not_local(headers) if headers is not None else None
        if not_local is None:
            return None
        reason = not_local
        stay_local = "To use it alone, open http://localhost:<port> in a browser on the server's own machine."
    return Refusal(
        "Sign-in is not configured",
        f"No sign-in is configured, and {reason}: everyone who can reach it would share one user's "
        f"chats, the Admin page and the server's key. {CONFIGURE_SIGN_IN} {stay_local} To accept "
        "anonymous use anyway, set GPTPROTO_ALLOW_ANONYMOUS=true.",
    )


SIGN_IN = Refusal(
    "Sign in to GPTProto Chat",
    "Your conversations, usage and limits are your own: sign in with your organisation's account.",
    can_sign_in=True,
)


def proxy_refusal(header: str, values: int = 0, groups_header: str | None = None) -> Refusal:
    """A request that reached the app without exactly one value of the proxy's identity header
    (or, `groups_header`, with its groups header more than once)."""
    if groups_header is not None:
        return Refusal(
            "Sign-in required",
            f"This request carried the {groups_header} header (your groups) more than once, so it "
            "names no groups the app can trust. Open the app through your organisation's sign-in "
            "address; if you did, ask the administrator to check the proxy's configuration (it must "
            f"replace any {groups_header} a browser sends, not add to it).",
        )
    had = f"carried it {values} times, so it names no one the app can trust" if values > 1 else "had none"
    return Refusal(
        "Sign-in required",
        f"This app expects your sign-in proxy to name you in the {header} header, and this request "
        f"{had}. Open the app through your organisation's sign-in address; if you did, ask the "
        "administrator to check the proxy's configuration (it must replace any "
        f"{header} a browser sends, not add to it).",
    )
