"""Who the user is, from what the deployment configured."""

from __future__ import annotations

import pytest

from core.identity import (
    LOCAL_USER,
    IdentityConfigError,
    anonymous_refusal,
    header_identity,
    identity_mode,
    is_loopback,
    local_identity,
    oidc_identity,
    proxy_refusal,
)

SIGNED_IN = {
    "is_logged_in": True,
    "iss": "https://login.example.com",
    "sub": "248289761001",
    "email": "Alice@Example.com",
    "email_verified": True,
    "name": "Alice Doe",
}
LOCAL_BROWSER = [("Host", "127.0.0.1:8501"), ("Origin", "http://127.0.0.1:8501")]


@pytest.mark.parametrize(
    ("auth", "header", "mode"),
    [(True, None, "oidc"), (False, "X-Forwarded-Email", "header"), (False, None, "none")],
)
def test_the_configuration_picks_the_mode(auth, header, mode):
    assert identity_mode(auth, header) == mode


def test_two_ways_of_signing_in_at_once_is_a_configuration_error():
    with pytest.raises(IdentityConfigError, match="Keep one"):
        identity_mode(True, "X-Forwarded-Email")


def test_oidc_user_id_is_stable_per_issuer_and_subject_and_fits_the_column():
    first = oidc_identity(SIGNED_IN, admins=())
    again = oidc_identity({**SIGNED_IN, "email": "new@example.com", "name": "Renamed"}, admins=())
    other_issuer = oidc_identity({**SIGNED_IN, "iss": "https://other.example.com"}, admins=())
    assert first is not None and again is not None and other_issuer is not None
    assert first.user_id == again.user_id  # email and name may change; the id does not
    assert first.user_id != other_issuer.user_id  # the same sub at another provider is someone else
    assert first.user_id.startswith("oidc-") and len(first.user_id) == 45
    assert (first.name, first.email, first.subject) == ("Alice Doe", "Alice@Example.com", "248289761001")


def test_signed_out_or_subjectless_claims_are_nobody():
    assert oidc_identity({"is_logged_in": False}, admins=()) is None
    assert oidc_identity({}, admins=()) is None  # st.user without an [auth] section
    assert oidc_identity({**SIGNED_IN, "sub": ""}, admins=()) is None


def test_admins_are_matched_by_email_or_subject_case_insensitively():
    assert oidc_identity(SIGNED_IN, admins=("alice@example.com",)).is_admin  # type: ignore[union-attr]
    assert oidc_identity(SIGNED_IN, admins=("248289761001",)).is_admin  # type: ignore[union-attr]
    assert not oidc_identity(SIGNED_IN, admins=("bob@example.com",)).is_admin  # type: ignore[union-attr]


def admin_by(claims: dict[str, object], *admins: str) -> bool:
    identity = oidc_identity(claims, admins=admins)
    assert identity is not None
    return identity.is_admin


def test_an_unverified_email_never_names_an_admin():
    unverified = {**SIGNED_IN, "email_verified": False}
    assert not admin_by(unverified, "alice@example.com")
    assert not admin_by({**SIGNED_IN, "email_verified": "false"}, "alice@example.com")
    assert not admin_by({k: v for k, v in SIGNED_IN.items() if k != "email_verified"}, "alice@example.com")
    assert admin_by({**SIGNED_IN, "email_verified": "true"}, "alice@example.com")  # a string claim
    # The subject and the stable user id still name the admin, whatever the email says.
    assert admin_by(unverified, "248289761001")
    user_id = oidc_identity(unverified, admins=()).user_id  # type: ignore[union-attr]
    assert admin_by(unverified, user_id)


def test_whether_the_email_was_verified_travels_with_the_identity():
    assert oidc_identity(SIGNED_IN, admins=()).email_verified  # type: ignore[union-attr]
    shown = oidc_identity({**SIGNED_IN, "email_verified": False}, admins=())
    assert shown is not None and shown.email == "Alice@Example.com" and not shown.email_verified


def test_header_identity_reads_the_named_header_only():
    carol = header_identity(["carol@example.com"], "X-Forwarded-Email", admins=())
    assert carol is not None and carol.email == "carol@example.com" and carol.mode == "header"
    assert carol.email_verified  # the proxy signed her in
    assert header_identity([], "X-Forwarded-Email", admins=()) is None
    assert header_identity(["  "], "X-Forwarded-Email", admins=()) is None
    shouting = header_identity(["CAROL@example.com"], "x-forwarded-email", ())
    assert shouting is not None and shouting.user_id == carol.user_id  # one person, however spelled


def test_a_header_sent_twice_names_nobody():
    assert header_identity(["mallory@example.com", "carol@example.com"], "X-Forwarded-Email", ()) is None
    assert header_identity(["carol@example.com", "carol@example.com"], "X-Forwarded-Email", ()) is None
    refusal = proxy_refusal("X-Forwarded-Email", 2)
    assert refusal.title == "Sign-in required"
    assert "carried it 2 times" in refusal.message and "X-Forwarded-Email" in refusal.message
    assert "had none" in proxy_refusal("X-Forwarded-Email", 0).message


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("chat.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


def test_anonymous_use_is_refused_off_loopback_unless_accepted():
    refusal = anonymous_refusal("0.0.0.0", allow_anonymous=False, headers=LOCAL_BROWSER)
    assert refusal is not None and refusal.title == "Sign-in is not configured"
    assert "[auth]" in refusal.message and "GPTPROTO_IDENTITY_HEADER" in refusal.message
    assert "GPTPROTO_ALLOW_ANONYMOUS=true" in refusal.message
    assert "--server.address 127.0.0.1" in refusal.message
    # Streamlit's default: all interfaces.
    assert anonymous_refusal(None, allow_anonymous=False, headers=LOCAL_BROWSER) is not None
    assert anonymous_refusal("0.0.0.0", allow_anonymous=True, headers=LOCAL_BROWSER) is None
    assert anonymous_refusal("127.0.0.1", allow_anonymous=False, headers=LOCAL_BROWSER) is None
    assert anonymous_refusal("127.0.0.1", allow_anonymous=False, headers=None) is None  # no browser


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "127.0.0.1:8501"), ("X-Forwarded-For", "203.0.113.9")],  # Caddy, nginx
        [("Host", "127.0.0.1:8501"), ("Forwarded", "for=203.0.113.9")],
        [("Host", "localhost:8501"), ("X-Real-IP", "203.0.113.9")],
        [("Host", "chat.example.com")],  # socat or a tunnel, opened by the server's name
        [("Host", "192.168.1.20:8501")],
        [("Host", "evil.example"), ("Origin", "http://evil.example")],  # DNS rebinding
        [],  # no Host at all
    ],
)
def test_anonymous_use_on_loopback_is_refused_to_a_browser_not_visibly_on_the_machine(headers):
    refusal = anonymous_refusal("127.0.0.1", allow_anonymous=False, headers=headers)
    assert refusal is not None and refusal.title == "Sign-in is not configured"
    assert "[auth]" in refusal.message and "GPTPROTO_IDENTITY_HEADER" in refusal.message
    assert "GPTPROTO_ALLOW_ANONYMOUS=true" in refusal.message
    assert anonymous_refusal("127.0.0.1", allow_anonymous=True, headers=headers) is None


def test_the_refusal_says_what_gave_the_proxy_away():
    through_caddy = [
        ("Host", "127.0.0.1:8080"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Forwarded-Proto", "http"),
    ]
    refusal = anonymous_refusal("127.0.0.1", allow_anonymous=False, headers=through_caddy)
    assert refusal is not None
    assert "came through a proxy (it carries X-Forwarded-For, X-Forwarded-Proto)" in refusal.message
    by_name = anonymous_refusal("127.0.0.1", False, headers=[("Host", "chat.example.com:8443")])
    assert by_name is not None and "opened as chat.example.com:8443" in by_name.message


def test_the_local_user_administers_only_their_own_machine():
    assert local_identity((), visibly_local=True).is_admin
    assert not local_identity((), visibly_local=False).is_admin
    assert local_identity(("local",), visibly_local=False).is_admin
    assert local_identity((), visibly_local=True).user_id == LOCAL_USER
