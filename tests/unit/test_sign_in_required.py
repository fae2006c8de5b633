"""A replica does not start without sign-in unless anonymous use was accepted, and says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.sign_in_required import configured_start_check, start_check
from tests.conftest import ROOT


def test_a_sign_in_mode_lets_a_replica_start_quietly():
    assert start_check("oidc", allow_anonymous=False).refusal is None
    assert start_check("header", allow_anonymous=False).warning is None


def test_no_sign_in_is_refused_with_what_to_configure():
    check = start_check("none", allow_anonymous=False)
    assert check.refusal is not None and check.warning is None
    assert check.refusal.startswith("Not starting: this is a replica for a team and no sign-in is configured")
    assert "[auth] section in .streamlit/secrets.toml" in check.refusal
    assert "GPTPROTO_IDENTITY_HEADER" in check.refusal and "GPTPROTO_ALLOW_ANONYMOUS=true" in check.refusal


def test_anonymous_use_accepted_starts_with_a_warning():
    check = start_check("none", allow_anonymous=True)
    assert check.refusal is None
    assert check.warning == (
        "GPTPROTO_ALLOW_ANONYMOUS=true and no sign-in is configured: every visitor of this replica is "
        "the one local user, sharing its chats and the server's key."
    )


@pytest.fixture
def app_folder(tmp_path, monkeypatch) -> Path:
    """An app folder of its own, and no user-wide secrets from the machine running the tests."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = tmp_path / "app"
    (folder / ".streamlit").mkdir(parents=True)
    return folder


def test_the_configuration_is_read_as_the_app_reads_it(app_folder, monkeypatch):
    assert configured_start_check(app_folder).refusal is not None
    (app_folder / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "chat"\n')
    assert configured_start_check(app_folder).refusal is None  # OIDC sign-in

    (app_folder / ".streamlit" / "secrets.toml").write_text('GPTPROTO_ALLOW_ANONYMOUS = "true"\n')
    assert configured_start_check(app_folder).warning is not None  # a setting in secrets.toml
    (app_folder / ".streamlit" / "secrets.toml").unlink()
    monkeypatch.setenv("GPTPROTO_IDENTITY_HEADER", "X-Forwarded-Email")
    assert configured_start_check(app_folder) == start_check("header", allow_anonymous=False)


def test_a_broken_configuration_is_refused_with_its_reason(app_folder, monkeypatch):
    (app_folder / ".streamlit" / "secrets.toml").write_text("[auth\n")
    refusal = configured_start_check(app_folder).refusal
    assert refusal is not None and "secrets.toml is not valid TOML" in refusal
    (app_folder / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "chat"\n')
    monkeypatch.setenv("GPTPROTO_IDENTITY_HEADER", "X-Forwarded-Email")
    refusal = configured_start_check(app_folder).refusal
    assert refusal is not None and "Keep one" in refusal


def test_serve_py_with_require_sign_in_does_not_start_without_it(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "serve.py"), "--require-sign-in", "--server.port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Not starting: this is a replica for a team and no sign-in is configured")
    assert "Traceback" not in done.stderr
