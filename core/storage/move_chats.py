"""Give everything stored before sign-in existed (the user "local") to a person who has signed in.

    python -m core.storage.move_chats --to ana@example.com [--database-url URL]
    python -m core.storage.move_chats --to oidc-6f1c... [--database-url URL]

Moves every conversation, Compare vote and usage record of "local" to the user named by --to, in
one transaction: a user id, or an email that exactly one account signed in with *verified* (an
address a provider never confirmed proves nothing about who typed it). Anything else is refused
with the accounts it could mean, so the operator picks one by its id. That person must have signed
in once, so that their user exists.
Without --database-url the app's own settings say where the database is (DATABASE_URL, else the
SQLite file in GPTPROTO_DATA_DIR), read from .streamlit/secrets.toml, the environment and .env.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, update
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit import CHATS_MOVED
from core.settings import SettingsError, load_dotenv_file, load_secrets_files, resolve_settings
from core.storage.audit_store import AuditStore
from core.storage.engine import database_url, make_engine, migrate, writer
from core.storage.schema import ConversationRow, GatewayRequestRow, PromptSetRow, ShareRow, VoteRow
from core.storage.users import LOCAL_USER_ID, UserInfo, find_user, users_with_email

SECRETS_FILE = Path(".streamlit/secrets.toml")
COMMAND = "python -m core.storage.move_chats"  # who the audit log says moved them


class MoveError(Exception):
    """Something the person running the command must fix; the message says what."""


@dataclass(frozen=True)
class Moved:
    """How many rows went to the new owner."""

    conversations: int
    votes: int
    requests: int
    prompt_sets: int = 0
    shares: int = 0

    @property
    def nothing(self) -> bool:
        """True when "local" had nothing to give."""
        return not (self.conversations or self.votes or self.requests or self.prompt_sets or self.shares)


def move_local_data(engine: Engine, target: UserInfo) -> Moved:
    """Reassign every conversation, vote and usage record of "local" to `target`, all or nothing."""
    if target.id == LOCAL_USER_ID:
        raise MoveError(f"{target.id} is the local user already: there is nothing to move.")
    moved: list[int] = []
    with Session(writer(engine)) as session, session.begin():
        for table in (ConversationRow, VoteRow, GatewayRequestRow, PromptSetRow, ShareRow):
            result = session.execute(
                update(table).where(table.user_id == LOCAL_USER_ID).values(user_id=target.id)
            )
            moved.append(int(result.rowcount))  # type: ignore[attr-defined]
    done = Moved(*moved)
    AuditStore(engine).record(
        CHATS_MOVED, actor_id=None, actor=COMMAND, subject=target.id, details=asdict(done)
    )
    return done


def move_target(engine: Engine, given: str, database: str) -> UserInfo:
    """The user `--to` names: a user id, or an email that exactly one verified account signed in
    with; otherwise MoveError listing the accounts it could mean."""
    wanted = given.strip()
    by_id = find_user(engine, wanted)
    if by_id is not None:
        return by_id
    candidates = users_with_email(engine, wanted)
    verified = [user for user in candidates if user.email_verified]
    if len(verified) == 1:
        return verified[0]
    if not candidates:
        raise MoveError(
            f"Nobody with the {'email' if '@' in wanted else 'user id'} {wanted} has signed in to this "
            f"database ({database}) yet. Ask them to sign in to the app once, then run this again."
        )
    why = (
        f"{len(verified)} accounts signed in with the verified email {wanted}"
        if verified
        else f"no account signed in with {wanted} as a verified email (the identity provider never "
        "confirmed that whoever typed it owns it)"
    )
    listed = "\n".join(f"  {_candidate(user)}" for user in candidates)
    raise MoveError(
        f"Not moving anything: {why}. The accounts with this email:\n{listed}\n"
        "Check which one is the person, then run this again with --to and that account's user id."
    )


def _candidate(user: UserInfo) -> str:
    seen = user.last_seen_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_seen_at else "never"
    status = "verified" if user.email_verified else "NOT verified"
    who = f"{user.name or '-'}  issuer {user.issuer or '-'}"
    return f"{user.id}  {user.email} ({status})  {who}  last seen {seen}"


def _url(given: str | None) -> str:
    try:
        settings = resolve_settings(load_secrets_files([SECRETS_FILE]), dotenv=load_dotenv_file(".env"))
    except SettingsError as exc:
        raise MoveError(f"The app's configuration needs fixing: {exc}") from None
    try:
        return database_url(settings.data_dir, given or settings.database_url)
    except ArgumentError:
        raise MoveError("The database URL is not a valid URL, e.g. postgresql://user@host/db.") from None


def run(to: str, given_url: str | None) -> str:
    """Do the move and say what happened (raises MoveError with what to fix)."""
    url = _url(given_url)
    shown = url.split("@")[-1] if "@" in url else url  # no password in what is printed
    try:
        engine = make_engine(url)
        migrate(engine)
        target = move_target(engine, to, shown)
        moved = move_local_data(engine, target)
    except (SQLAlchemyError, ArgumentError) as exc:
        raise MoveError(f"Could not use the database at {shown}: {type(exc).__name__}.") from None
    who = f"{target.email or target.name or target.id} (user id {target.id})"
    if moved.nothing:
        return f"Nothing to move: the local user has no conversations, votes or usage records ({who})."
    return (
        f"Moved {moved.conversations} conversation(s), {moved.votes} Compare vote(s), "
        f"{moved.requests} usage record(s), {moved.prompt_sets} prompt set(s) and {moved.shares} share "
        f"link(s) from the local user to {who}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: 0 when done, 2 when something must be fixed first."""
    parser = argparse.ArgumentParser(
        prog="python -m core.storage.move_chats",
        description='Move every conversation, vote and usage record of the user "local" to a signed-in user.',
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="USER_ID_OR_EMAIL",
        help="the person's user id, or the verified email they signed in with",
    )
    parser.add_argument("--database-url", help="the database (default: the app's settings)")
    args = parser.parse_args(argv)
    try:
        report = run(args.to, args.database_url)
    except MoveError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write(f"{report}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
