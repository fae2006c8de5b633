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
)

SIGNED_IN = {
    "is_logged_in": True,
    "iss": "https://login.example.com",
    "sub": "248289761001",
    "email": "Alice@Example.com",
    "name": "Alice Doe",
}


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


def test_header_identity_reads_the_named_header_only():
    headers = {"x-forwarded-email": "carol@example.com", "x-forwarded-user": "mallory"}
    carol = header_identity(headers, "X-Forwarded-Email", admins=())
    assert carol is not None and carol.email == "carol@example.com" and carol.mode == "header"
    assert header_identity({"x-forwarded-user": "mallory"}, "X-Forwarded-Email", admins=()) is None
    assert header_identity({"x-forwarded-email": "  "}, "X-Forwarded-Email", admins=()) is None
    shouting = header_identity({"X-Forwarded-Email": "CAROL@example.com"}, "x-forwarded-email", ())
    assert shouting is not None and shouting.user_id == carol.user_id  # one person, however spelled


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
    refusal = anonymous_refusal("0.0.0.0", allow_anonymous=False)
    assert refusal is not None and refusal.title == "Sign-in is not configured"
    assert "[auth]" in refusal.message and "GPTPROTO_IDENTITY_HEADER" in refusal.message
    assert "GPTPROTO_ALLOW_ANONYMOUS=true" in refusal.message
    assert anonymous_refusal(None, allow_anonymous=False) is not None  # Streamlit's default: all interfaces
    assert anonymous_refusal("0.0.0.0", allow_anonymous=True) is None
    assert anonymous_refusal("127.0.0.1", allow_anonymous=False) is None


def test_the_local_user_administers_only_their_own_machine():
    assert local_identity((), on_loopback=True).is_admin
    assert not local_identity((), on_loopback=False).is_admin
    assert local_identity(("local",), on_loopback=False).is_admin
    assert local_identity((), on_loopback=True).user_id == LOCAL_USER
