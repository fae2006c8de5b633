"""A replica serves a team, so it does not start without sign-in unless anonymous use was accepted
explicitly, and then it says so in its log.

    python -m core.sign_in_required        # exit 0 (ready), or 2 with what to configure
    python serve.py --require-sign-in ...  # the same check, then the app

Every replica the recipe starts (scripts/fleet.sh, the systemd unit, the container image) runs
`serve.py --require-sign-in`; fleet.sh also runs this module first, so a fleet without sign-in
stops before it starts anything. Behind the recipe's proxy the app would refuse every visitor
anyway (forwarded requests are not a browser on the machine): failing at start says why once,
to the operator, instead of on every visitor's page.

The configuration is read as the app reads it: the `secrets.toml` files Streamlit loads (the
user's, the working directory's, the app folder's), then the environment, then `.env`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from core.identity import CONFIGURE_SIGN_IN, IdentityConfigError, Mode, identity_mode
from core.settings import SettingsError, load_dotenv_file, load_secrets_files, resolve_settings

APP_FOLDER = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StartCheck:
    """Whether a replica may start: why not, or what to log when it serves anonymous users."""

    refusal: str | None = None
    warning: str | None = None


def start_check(mode: Mode, allow_anonymous: bool) -> StartCheck:
    """A replica needs a sign-in mode, or GPTPROTO_ALLOW_ANONYMOUS=true (logged)."""
    if mode != "none":
        return StartCheck()
    if allow_anonymous:
        return StartCheck(
            warning="GPTPROTO_ALLOW_ANONYMOUS=true and no sign-in is configured: every visitor of "
            "this replica is the one local user, sharing its chats and the server's key."
        )
    return StartCheck(
        refusal="Not starting: this is a replica for a team and no sign-in is configured, so every "
        f"visitor would share one user's chats and the server's key. {CONFIGURE_SIGN_IN} To serve "
        "anonymous users anyway, set GPTPROTO_ALLOW_ANONYMOUS=true (it is logged at every start)."
    )


def secrets_files(app_folder: Path = APP_FOLDER) -> list[Path]:
    """The `secrets.toml` files Streamlit reads for the app, in its order (later ones win)."""
    return [
        Path.home() / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
        app_folder / ".streamlit" / "secrets.toml",
    ]


def configured_start_check(app_folder: Path = APP_FOLDER) -> StartCheck:
    """`start_check` for the configuration the app would read from here."""
    try:
        secrets = load_secrets_files(secrets_files(app_folder))
        settings = resolve_settings(secrets, dotenv=load_dotenv_file(".env"))
        mode = identity_mode("auth" in secrets, settings.identity_header)
    except (SettingsError, IdentityConfigError) as exc:
        return StartCheck(refusal=f"Not starting: the configuration needs fixing. {exc}")
    return start_check(mode, settings.allow_anonymous)


def enforce(app_folder: Path = APP_FOLDER) -> None:
    """Exit with status 2 and the reason when a replica may not start; log the warning if any."""
    check = configured_start_check(app_folder)
    if check.refusal:
        sys.stderr.write(f"{check.refusal}\n")
        raise SystemExit(2)
    if check.warning:
        sys.stderr.write(f"WARNING: {check.warning}\n")


if __name__ == "__main__":
    enforce()
