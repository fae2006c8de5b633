"""Share links in the UI: the Share button and its dialog, the owner's list of links with Revoke,
and the read-only shared view with "Copy into my chats"."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import streamlit as st

from components.library import request_open, when
from components.message import render_history
from components.plumbing import identity as identity_door
from components.plumbing import routes
from components.plumbing.config import load_settings
from components.plumbing.markdown import safe
from components.plumbing.storage import NotFound, RunStore, safely
from components.state import share_links as state
from components.state.common import take_save_problem
from core.audit import IMPORTED, SHARE_CREATED, SHARE_OPENED, SHARE_REVOKED
from core.safe_text import SafeMarkdown, code_span, literal
from core.share_links import KIND_LABELS, MISSING, NothingToShare, app_base_url, link_label, share_link

if TYPE_CHECKING:
    from components.plumbing.storage import SharedSnapshot, ShareInfo, ShareStore
    from core.compare import CompareRound
    from core.conversation import ChatParams
    from core.formats.comparison import ImportedComparison
    from core.formats.conversation import Imported

LOCAL_ONLY = (
    "Sign-in is not configured on this app, so there is nobody to share with: a link opens only "
    "here, for the local user. To share with colleagues, the administrator configures sign-in "
    "(an [auth] section in .streamlit/secrets.toml, or GPTPROTO_IDENTITY_HEADER behind a sign-in proxy)."
)
DATABASE_DOWN = "The database is not reachable, so shared links cannot be made or opened right now."


def _app_url() -> str:
    """The app's root as this browser reached it, for links colleagues open."""
    fallback = f"http://{st.get_option('browser.serverAddress')}:{st.get_option('browser.serverPort')}"
    return app_base_url(st.context.url, str(st.get_option("server.baseUrlPath") or ""), fallback)


def _signed_in_team() -> bool:
    """True when people sign in, so a link can reach a colleague (not just the local user)."""
    identity = identity_door.current_identity(load_settings())
    return identity is not None and identity.mode != "none"


# -- the Share button and dialog ----------------------------------------------------------------


def render_share_button(
    store: RunStore,
    conversation_id: str | None,
    kind: str = "chat",
    *,
    key: str | None = None,
) -> None:
    """A Share button that opens the dialog making a read-only link to the stored conversation
    or comparison as it is at that moment. Before it is stored (no first message yet), or while
    the database is unreachable, the button is disabled."""
    button_key = key or state.OPEN
    target = (button_key, kind, conversation_id)
    st.button(
        "Share",
        key=button_key,
        icon=":material/share:",
        on_click=state.open_dialog,
        args=target,
        disabled=conversation_id is None or store.conversations() is None,
        help="A read-only link to this as it is now, for colleagues who sign in to this app."
        if conversation_id is not None
        else "Send a message first: there is nothing to share yet.",
    )
    if conversation_id is not None and state.dialog_target() == target:
        _share_dialog(store, target)


@st.dialog("Share a read-only link", on_dismiss=state.close_dialog)
def _share_dialog(store: RunStore, target: state.Target) -> None:
    what = literal(KIND_LABELS.get(target[1], "Conversation").lower())
    st.write(
        f"The link shows this {what} as it is now (with its model settings and instructions), "
        "read-only; anything added later is not included. Whoever opens it can copy it into their "
        "own chats. You can revoke it at any time under **Shared links** on the Conversations page."
    )
    if _signed_in_team():
        st.caption("Anyone signed in to this app who has the link can open it.")
    else:
        st.warning(LOCAL_ONLY, icon=":material/lock:")
    token = state.created_token(target)
    if token is None and st.button("Create link", key=state.CREATE, type="primary", icon=":material/link:"):
        token = _create(store, target)
    if token is not None:
        st.code(share_link(_app_url(), token), language=None, wrap_lines=True)
        st.caption("Copy the link with the button at its right.")
    if st.button("Done", key=state.CLOSE):
        state.close_dialog()
        st.rerun()


def _create(store: RunStore, target: state.Target) -> str | None:
    shares = store.shares()
    _key, _kind, conversation_id = target
    if shares is None or conversation_id is None:
        st.error(DATABASE_DOWN, icon=":material/database:")
        return None
    try:
        taken = safely(lambda: _snapshot_of(store, conversation_id))
    except NothingToShare as exc:
        st.error(literal(exc), icon=":material/block:")
        return None
    if taken is None:
        st.error(take_save_problem() or DATABASE_DOWN, icon=":material/database:")
        return None
    kind, title, snapshot = taken
    _remember_sharer(store)
    created = safely(lambda: shares.create(kind, title, snapshot, conversation_id))
    if created is None:
        st.error(take_save_problem() or DATABASE_DOWN, icon=":material/database:")
        return None
    state.remember_created(target, created.token)
    store.record(SHARE_CREATED, link_label(created.token), kind=kind, conversation=conversation_id)
    return created.token


def _remember_sharer(store: RunStore) -> None:
    """The link names who shared it: store the name and email the sign-in gave, as of now."""
    identity = identity_door.current_identity(load_settings())
    if identity is not None and identity.mode != "none":
        store.remember(identity)


def _snapshot_of(store: RunStore, conversation_id: str) -> tuple[str, str, str]:
    """(kind, title, snapshot) of the stored conversation or comparison as it is now, checked as
    its viewers will read it. Storage says which of the two it is, whichever page asked."""
    from core.images import ImageLimits
    from core.share_links import chat_snapshot, check_snapshot, comparison_snapshot

    chats, comparisons = store.conversations(), store.comparisons()
    if chats is None or comparisons is None:
        raise NothingToShare(DATABASE_DOWN)
    try:
        if chats.info(conversation_id).kind == "comparison":
            compared = comparisons.load(conversation_id)
            kind, title = "comparison", compared.info.title
            snapshot = comparison_snapshot(title, compared.params, compared.rounds)
        else:
            stored = chats.load(conversation_id)
            kind, title = "chat", stored.info.title
            snapshot = chat_snapshot(title, stored.params, stored.tree)
    except NotFound:
        raise NothingToShare("This conversation no longer exists, so it cannot be shared.") from None
    check_snapshot(kind, snapshot, ImageLimits.from_settings(load_settings()))
    return kind, title, snapshot


# -- the owner's list ---------------------------------------------------------------------------


def render_shared_links(store: RunStore) -> None:
    """The links this user made and has not revoked, each with its link and Revoke."""
    if (shares := store.shares()) is None:
        return
    links = safely(shares.shares) or []
    with st.expander(f"Shared links ({len(links)})", icon=":material/share:"):
        if not _signed_in_team():
            st.caption(LOCAL_ONLY)
        if not links:
            st.caption(
                "Nothing shared. Share, on a conversation, makes a read-only link to it as it is then."
            )
        base = _app_url()
        for info in links:
            _link_row(store, shares, info, base)


def _link_row(store: RunStore, shares: ShareStore, info: ShareInfo, base: str) -> None:
    with st.container(border=True):
        row = st.container(horizontal=True, vertical_alignment="center")
        kind = literal(KIND_LABELS.get(info.kind, info.kind))
        row.markdown(
            f"**{literal(info.title)}**  \n:gray[{kind} · shared {when(info.created_at)}]", width="stretch"
        )
        if row.button("Revoke", key=state.revoke_key(info.token), icon=":material/link_off:"):
            _revoke(shares, info.token)
            store.record(
                SHARE_REVOKED, link_label(info.token), kind=info.kind, conversation=info.conversation_id
            )
            st.rerun()
        st.code(share_link(base, info.token), language=None, wrap_lines=True)


def _revoke(shares: ShareStore, token: str) -> None:
    # NotFound: revoked and gone from another tab already; there is nothing left to do.
    with contextlib.suppress(NotFound):
        safely(lambda: shares.revoke(token))


# -- the shared view ----------------------------------------------------------------------------


def render_missing() -> None:
    """What an unknown, malformed or revoked link shows: the same words for all three."""
    st.title("Page not found")
    st.info(MISSING, icon=":material/link_off:")
    st.page_link(routes.page(routes.CHAT), label="Go to your chats", icon=":material/chat:")


def render_shared_view(store: RunStore, token: str | None) -> None:
    """The snapshot a link names, read-only, with "Copy into my chats"; or the missing page."""
    shares = store.shares()
    found = safely(lambda: shares.open(token)) if shares is not None else None
    if found is None:
        if take_save_problem():
            st.error(DATABASE_DOWN, icon=":material/database:")
        else:
            render_missing()
        return
    if not found.own and state.viewed(found.token) is None:  # once a session, not every rerun
        store.record(SHARE_OPENED, link_label(found.token), kind=found.kind)
    st.title(literal(found.title))
    who = "you" if found.own else literal(found.shared_by)
    st.caption(
        f":material/share: Shared by {who} · {when(found.created_at)} · a read-only snapshot: "
        "anything added after it was shared is not included."
    )
    read = _read(found)
    if isinstance(read, str):
        st.error(literal(read), icon=":material/error:")
        return
    if st.button(
        "Copy into my chats",
        key=state.COPY,
        type="primary",
        icon=":material/content_copy:",
        help="A copy in your own chats, to continue it there.",
    ):
        _copy_into_my_chats(store, found)
    from core.formats.comparison import ImportedComparison

    if isinstance(read, ImportedComparison):
        models = list(dict.fromkeys(model for round_ in read.rounds for model in round_.models))
        listed = ", ".join(code_span(model) for model in models)
        _render_params(read.params, SafeMarkdown(f"Models: {listed}"))
        _render_comparison(read.rounds)
    else:
        _render_params(read.params, SafeMarkdown(f"Model: {code_span(read.params.model)}"))
        render_history(read.tree.path(), lambda _message, _last: ())  # no actions: read-only


def _read(found: SharedSnapshot) -> Imported | ImportedComparison | str:
    """The snapshot as read by the strict import (kept for this page's reruns), or why not."""
    from core.formats.strict import ImportRejected

    cached = state.viewed(found.token)
    if cached is not None:
        read: Imported | ImportedComparison = cached
        return read
    try:
        read = _read_snapshot(found)
    except ImportRejected as exc:
        return f"This shared page cannot be shown: {exc}"
    state.remember_viewed(found.token, read)
    return read


def _read_snapshot(found: SharedSnapshot) -> Imported | ImportedComparison:
    """The snapshot read afresh (new ids every time); raises ImportRejected."""
    from core.images import ImageLimits
    from core.share_links import read_chat_snapshot, read_comparison_snapshot

    limits = ImageLimits.from_settings(load_settings())
    if found.kind == "comparison":
        return read_comparison_snapshot(found.snapshot, limits)
    return read_chat_snapshot(found.snapshot, limits)


def _render_params(params: ChatParams, models: SafeMarkdown) -> None:
    limit = params.max_completion_tokens
    st.caption(models + (f" · max_completion_tokens {limit:d}" if limit else ""))
    if params.instructions:
        role = literal(params.instructions_role)
        with st.expander(f"Instructions ({role})", icon=":material/description:"):
            st.markdown(safe(params.instructions))


def _render_comparison(rounds: list[CompareRound]) -> None:
    """Every round as the owner saw it: a round still waiting for its blind vote stays blind."""
    from components.compare_view import render_round, render_summary
    from core.compare import TIE

    prices = dict(load_settings().prices)
    for number, round_ in enumerate(rounds, start=1):
        st.subheader(f"Round {number:d}")
        render_round(round_, prices)
        if round_.blind and not round_.voted:
            st.caption(":material/visibility_off: Not voted yet when shared: the models stay hidden.")
            continue
        if round_.voted:
            verdict = "a tie" if round_.winner == TIE else f"{round_.winner} wins"
            st.caption(f":material/how_to_vote: Vote: {literal(verdict)}")
        render_summary(round_, prices)


def _copy_into_my_chats(store: RunStore, found: SharedSnapshot) -> None:
    """The snapshot becomes a new conversation (or comparison) of the viewer, opened for them."""
    from core.formats.comparison import ImportedComparison

    copy = _read_snapshot(found)  # fresh ids, so the copy is new rows
    chats, comparisons = store.conversations(), store.comparisons()
    created: str | None = None
    if isinstance(copy, ImportedComparison) and comparisons is not None:
        created = safely(lambda: comparisons.add_comparison(copy.title, copy.params, copy.rounds))
    elif not isinstance(copy, ImportedComparison) and chats is not None:
        created = safely(lambda: chats.add_conversation(copy.title, copy.params, copy.tree))
    if created is None:
        st.error(take_save_problem() or DATABASE_DOWN, icon=":material/database:")
        return
    store.record(IMPORTED, created, kind=found.kind, source="share link")
    if isinstance(copy, ImportedComparison):
        st.success(
            f"Copied into your comparisons as “{literal(copy.title)}”: "
            "it is listed on the Conversations page.",
            icon=":material/check:",
        )
        st.page_link(routes.page(routes.CONVERSATIONS), label="Conversations", icon=":material/history:")
        return
    request_open(created)
    st.switch_page(routes.page(routes.CHAT))
