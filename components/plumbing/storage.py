"""The one way into storage for every page and component: the signed-in user's stores (opened
once per process and user, loaded only when a page first needs them) and a guard that turns a
database failure into a notice instead of a stopped page. Nothing else in components/ or pages/
imports core.storage (tests/layers checks it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar, cast

import streamlit as st

from components.plumbing import identity as identity_door
from components.plumbing.identity import client_address
from components.state.common import SAVE_PROBLEM, STORE_URL, USER_RECORDED
from core.admission import streaming_bound
from core.audit import ARCHIVE_DOWNLOADED, EVERYTHING_DELETED, SIGN_IN, Detail
from core.backoff import StoreBackoff
from core.feedback import FeedbackRecord
from core.identity import Identity
from core.metrics import count_database_error
from core.missing import NotFound
from core.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy loads after the page's first paint, when storage is first used
    from sqlalchemy import Engine

    from core.storage import (
        AuditStore,
        ComparisonStore,
        ConversationInfo,
        ConversationStore,
        FeedbackStore,
        FolderInfo,
        FolderStore,
        PresetInfo,
        PresetStore,
        PromptSetInfo,
        PromptSetStore,
        StoredComparison,
        StoredConversation,
        UsageStore,
        UserInfo,
    )
    from core.storage.own_data import Erased
    from core.storage.policy_store import PolicyStore
    from core.storage.share_store import SharedSnapshot, ShareInfo, ShareStore

__all__ = [  # the stores' types, for the components' annotations: this is their one door
    "AuditStore",
    "ComparisonStore",
    "ConversationInfo",
    "ConversationStore",
    "Erased",
    "FeedbackStore",
    "FolderInfo",
    "FolderStore",
    "NotFound",
    "PolicyStore",
    "PresetInfo",
    "PresetStore",
    "PromptSetInfo",
    "PromptSetStore",
    "RunStore",
    "ShareInfo",
    "ShareStore",
    "SharedSnapshot",
    "StoredComparison",
    "StoredConversation",
    "UsageStore",
    "UserInfo",
    "current_backoff",
    "done",
    "guarded",
    "safely",
]

RETRY_AFTER_FAILURE_S = 15.0  # a database that just failed is not tried again on every rerun

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    # Once per process and database: connect and bring the schema up to date.
    from core.storage import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    return engine


@st.cache_resource(show_spinner=False, max_entries=10_000)
def _store(url: str, user_id: str) -> ConversationStore:
    # Once per process, database and user: their row exists before any write.
    from core.storage import ConversationStore

    return ConversationStore(_engine(url), user_id)


def open_store(settings: Settings) -> ConversationStore | None:
    """The signed-in user's store, or None while the database is unreachable (the page goes on
    unsaved, and the database is tried again after a short pause rather than on every rerun)."""
    user = identity_door.current_identity(settings)
    if user is None:
        return None
    from core.storage import database_url

    url = database_url(settings.data_dir, settings.database_url)
    st.session_state[STORE_URL] = url
    backoff = _backoff(url)
    if not backoff.should_try(time.monotonic()):
        wait = backoff.remaining(time.monotonic())
        st.session_state[SAVE_PROBLEM] = _problem(f"it is tried again in {wait:.0f} s")
        return None
    store = safely(lambda: _store(url, user.user_id))
    if store is not None and st.session_state.get(USER_RECORDED) != user.user_id:
        _record_user(store, user)
    return store


@st.cache_resource(show_spinner=False)
def _backoff(url: str) -> StoreBackoff:
    # One per process and database: a database that just failed is not waited on by every
    # session's every rerun, only tried again after a short pause.
    return StoreBackoff(RETRY_AFTER_FAILURE_S)


def _problem(when: str) -> str:
    return (
        f"The database is not answering ({when}). The chat goes on, but this conversation may not "
        "survive a reload until the database is back."
    )


def _record_user(store: ConversationStore, user: Identity) -> None:
    # Once a session: who this id is, for the admin page and for moving a local install's chats,
    # and the sign-in in the audit log (the first one says so).
    from core.storage import find_user

    before = safely(lambda: find_user(store.engine, user.user_id))
    if _remember(store, user) is not None:
        st.session_state[USER_RECORDED] = user.user_id
        first = before is None or before.last_seen_at is None  # never seen signing in before
        _audit(store.engine, user, SIGN_IN, None, {"first": first})


def _audit(
    engine: Engine, user: Identity, action: str, subject: str | None, details: dict[str, Detail]
) -> None:
    from core.storage import AuditStore

    audit = AuditStore(engine)
    origin = client_address()
    safely(
        lambda: audit.record(
            action,
            actor_id=user.user_id,
            actor=user.email or user.name,
            subject=subject,
            origin=origin,
            details=details,
        )
    )


def _remember(store: ConversationStore, user: Identity) -> UserInfo | None:
    from core.storage import upsert_user

    details = {"email": user.email, "name": user.name, "issuer": user.issuer, "subject": user.subject}
    verified = user.email_verified  # only a verified email may name an admin or receive moved chats
    return safely(
        lambda: upsert_user(
            store.engine, user.user_id, **details, email_verified=verified, groups=user.groups
        )
    )


class RunStore:
    """The signed-in user's stores for one script run: the database is opened on first use, so a
    page that does not need it yet paints before SQLAlchemy loads, and at most once per run; each
    store is built when first asked for. Every method answers None while the database is
    unreachable (or nobody is signed in)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._opened = False
        self._store: ConversationStore | None = None
        self._built: dict[str, object] = {}

    def conversations(self) -> ConversationStore | None:
        """The user's conversations (chats and comparisons alike, for listing and search)."""
        if not self._opened:
            self._store = open_store(self._settings)
            self._opened = True
        return self._store

    def comparisons(self) -> ComparisonStore | None:
        """The user's comparisons: rounds, votes, the leaderboard."""
        from core.storage import ComparisonStore

        return self._build("comparisons", ComparisonStore)

    def shares(self) -> ShareStore | None:
        """The share links the user made, and opening anyone's link."""
        from core.storage.share_store import ShareStore

        return self._build("shares", ShareStore)

    def prompt_sets(self) -> PromptSetStore | None:
        """The user's prompt sets (run sheets)."""
        from core.storage import PromptSetStore

        return self._build("prompt_sets", PromptSetStore)

    def feedback(self) -> FeedbackStore | None:
        """The user's thumbs up and down (and comments) on their answers."""
        from core.storage import FeedbackStore

        return self._build("feedback", FeedbackStore)

    def folders(self) -> FolderStore | None:
        """The user's folders, and filing conversations and comparisons in them."""
        from core.storage import FolderStore

        return self._build("folders", FolderStore)

    def team_feedback(self, since: datetime) -> list[FeedbackRecord]:
        """Everyone's feedback given or changed since `since` (for the Admin page); raises on a
        database failure, like `users`."""
        from core.storage import feedback_since

        opened = self.conversations()
        return [] if opened is None else feedback_since(opened.engine, since)

    def presets(self) -> PresetStore | None:
        """The presets the user may use: their own and the published ones (an admin publishes)."""
        from core.storage import PresetStore

        opened = self.conversations()
        if opened is None:
            return None
        if "presets" not in self._built:
            user = identity_door.current_identity(self._settings)
            is_admin = user is not None and user.user_id == opened.user_id and user.is_admin
            self._built["presets"] = PresetStore(opened.engine, opened.user_id, is_admin)
        return cast("PresetStore", self._built["presets"])

    def usage(self) -> UsageStore | None:
        """Every request's record and every person's limits (the quotas are the team's)."""
        from core.storage import UsageStore

        opened = self.conversations()
        if opened is None:
            return None
        if "usage" not in self._built:
            # How long a request can stream decides when one a dead process left stops counting.
            bound = streaming_bound(self._settings.total_timeout)
            self._built["usage"] = UsageStore(opened.engine, bound)
        return cast("UsageStore", self._built["usage"])

    def policies(self) -> PolicyStore | None:
        """The group policies saved on the Admin page (the team's, like the limits)."""
        from core.storage.policy_store import PolicyStore

        opened = self.conversations()
        if opened is None:
            return None
        if "policies" not in self._built:
            self._built["policies"] = PolicyStore(opened.engine)
        return cast("PolicyStore", self._built["policies"])

    def users(self) -> list[UserInfo]:
        """Everyone who has used the app (for the Admin page); raises on a database failure, for
        a page that reads everything in one go and says so itself."""
        from core.storage import list_users

        opened = self.conversations()
        return [] if opened is None else list_users(opened.engine)

    def audit(self) -> AuditStore | None:
        """Everyone's audit log (the Admin page reads it; `record` adds to it)."""
        from core.storage import AuditStore

        opened = self.conversations()
        return None if opened is None else AuditStore(opened.engine)

    def record(self, action: str, subject: str | None = None, **details: Detail) -> None:
        """Add to the audit log that the signed-in person did `action` (to `subject`, an id) now,
        from this session's address, with `details`: figures, flags, kinds and ids, never what
        anyone wrote. A database failure is told like any other; the action itself stands."""
        opened = self.conversations()
        user = identity_door.current_identity(self._settings)  # who the page serves
        if opened is not None and user is not None:
            _audit(opened.engine, user, action, subject, details)

    def archive_maker(self) -> Callable[[], bytes] | None:
        """What makes the signed-in person's archive of all their data, at the download's click
        (outside the page's run, so it touches no session state), and records the download."""
        opened = self.conversations()
        user = identity_door.current_identity(self._settings)
        if opened is None or user is None:
            return None
        engine, owner, origin, backoff = opened.engine, opened.user_id, client_address(), current_backoff()

        def make() -> bytes:
            from core.storage import AuditStore
            from core.storage.codec import now
            from core.storage.own_data import archive_of

            made = archive_of(engine, owner, now())
            record = partial(AuditStore(engine).record, ARCHIVE_DOWNLOADED, actor_id=user.user_id)
            guarded(
                lambda: record(actor=user.email or user.name, origin=origin, details={"bytes": len(made)}),
                backoff,
            )
            return made

        return make

    def erase_everything(self) -> Erased | None:
        """Delete all the signed-in person's own data (core/storage/own_data.py says what stays),
        and record it; None when the database failed (the page says so)."""
        from core.storage.own_data import erase_everything

        opened = self.conversations()
        if opened is None:
            return None
        erased = safely(lambda: erase_everything(opened.engine, opened.user_id))
        if erased is not None:
            self.record(EVERYTHING_DELETED, opened.user_id, **asdict(erased))
        return erased

    def remember(self, user: Identity) -> None:
        """Store the name and email the sign-in gives for the user, as of now."""
        opened = self.conversations()
        if opened is not None and user.user_id == opened.user_id:
            _remember(opened, user)

    def memo(self, name: str, read: Callable[[], T]) -> T:
        """`read()`, once per run (what several parts of a page ask, such as the group policies)."""
        key = f"memo.{name}"
        if key not in self._built:
            self._built[key] = read()
        return cast("T", self._built[key])

    def _build(self, name: str, store_type: Callable[[Engine, str], T]) -> T | None:
        opened = self.conversations()
        if opened is None:
            return None
        if name not in self._built:
            self._built[name] = store_type(opened.engine, opened.user_id)
        return cast("T", self._built[name])


def safely(action: Callable[[], T]) -> T | None:
    """Run a storage call; on a database failure keep going, tell the user once, and pause this
    process's attempts on that database for a short while."""
    result, failure = guarded(action, current_backoff())
    if failure is not None:
        st.session_state[SAVE_PROBLEM] = _problem(failure)
    return result


def done(action: Callable[[], object]) -> bool:
    """Run a storage call that answers nothing, as `safely` does; True when it went through."""

    def run() -> bool:
        action()
        return True

    return safely(run) is not None


def current_backoff() -> StoreBackoff | None:
    """This process's back-off for the session's database, to take along to a `guarded` call."""
    url = st.session_state.get(STORE_URL)
    return _backoff(url) if url else None


def guarded(action: Callable[[], T], backoff: StoreBackoff | None) -> tuple[T | None, str | None]:
    """Run a storage call without touching the page or the session: once a closed tab has stopped
    the script, every st call raises, yet a request's usage must still be written. On a database
    failure: None and the failure's name, and `backoff` pauses this process's attempts."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        result = action()
    except SQLAlchemyError as exc:
        count_database_error(exc)  # touches no st state: safe from a closed tab's settle
        if backoff is not None:
            backoff.failed(time.monotonic())
        return None, type(exc).__name__
    if backoff is not None:
        backoff.succeeded()
    return result, None
