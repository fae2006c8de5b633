"""Thumbs up or down, and an optional comment, under an answer (in Chat and in each Compare
column): stored at once for the signed-in person, changed or removed the same way."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.plumbing.storage import NotFound, RunStore, safely
from components.state.feedback import comment_box_key, comment_key, comment_save_key, rating_key
from core.conversation import Message, Status
from core.feedback import MAX_COMMENT_CHARS, Feedback, clean_comment, rating_of, widget_value
from core.safe_text import literal

# What each change says once stored (a toast: the answer's row itself barely changes).
SAVED = {"up": "Thumbs up saved.", "down": "Thumbs down saved.", None: "Feedback removed."}


def stored_feedback(store: RunStore, conversation_id: str | None) -> dict[str, Feedback] | None:
    """The person's feedback on the answers of a stored conversation or comparison, by answer id;
    None when none can be given now (the database is away, or nothing is stored yet)."""
    verdicts = store.feedback() if conversation_id else None
    if verdicts is None or conversation_id is None:
        return None
    try:
        return safely(lambda: verdicts.of_conversation(conversation_id))
    except NotFound:
        return None


def can_rate(message: Message) -> bool:
    """An answer that has ended with something to judge."""
    return message.is_answer and message.status != Status.STREAMING and bool(message.text)


def feedback_drawer(
    store: RunStore, page: str, verdicts: dict[str, Feedback] | None
) -> Callable[[DeltaGenerator, Message], None] | None:
    """What draws the feedback of an answer into a row of its actions; None when it cannot be
    stored (`verdicts` None)."""
    if verdicts is None:
        return None

    def draw(row: DeltaGenerator, message: Message) -> None:
        if can_rate(message):
            render_feedback(row, store, page, message.id, verdicts.get(message.id))

    return draw


def render_feedback(
    row: DeltaGenerator, store: RunStore, page: str, message_id: str, stored: Feedback | None
) -> None:
    """The thumbs in `row`, and once a thumb is chosen a Comment popover beside it; the comment
    itself is shown under the row, as plain text."""
    row.feedback(
        "thumbs",
        key=rating_key(page, message_id),
        default=widget_value(stored),
        on_change=_rated,
        args=(store, page, message_id, stored),
    )
    if stored is None:
        return
    label = "Edit comment" if stored.comment else "Comment"
    box = comment_box_key(page, message_id)
    with row.popover(label, icon=":material/comment:", type="tertiary", key=box):
        st.text_area(
            "Your comment (optional, only you and the team's admins see it)",
            value=stored.comment,
            max_chars=MAX_COMMENT_CHARS,
            key=comment_key(page, message_id),
            on_change="ignore",
        )
        st.button(
            "Save comment",
            key=comment_save_key(page, message_id),
            on_click=_commented,
            args=(store, page, message_id, stored),
            icon=":material/save:",
        )
    if stored.comment:
        # Drawn into the bubble (or column) that holds `row`, so it sits under the row.
        st.caption(f":material/comment: {literal(stored.comment)}")


def _rated(store: RunStore, page: str, message_id: str, stored: Feedback | None) -> None:
    """Widget callback: store the chosen thumb (keeping the comment), or remove the feedback."""
    rating = rating_of(st.session_state.get(rating_key(page, message_id)))
    verdict = None if rating is None else Feedback(rating, stored.comment if stored else "")
    _save(store, message_id, verdict, SAVED[rating])


def _commented(store: RunStore, page: str, message_id: str, stored: Feedback) -> None:
    """Button callback: store the comment with the thumb already chosen."""
    try:
        comment = clean_comment(str(st.session_state.get(comment_key(page, message_id)) or ""))
    except ValueError as exc:
        st.toast(literal(exc), icon=":material/error:")
        return
    _save(
        store,
        message_id,
        Feedback(stored.rating, comment),
        "Comment saved." if comment else "Comment removed.",
    )


def _save(store: RunStore, message_id: str, verdict: Feedback | None, done: str) -> None:
    verdicts = store.feedback()
    if verdicts is None:
        st.toast(
            "Your feedback was not saved: the database is not reachable. Try again.",
            icon=":material/database:",
        )
        return

    def rate() -> bool:
        verdicts.rate(message_id, verdict)
        return True

    try:
        saved = safely(rate)
    except NotFound:
        st.toast(
            "Your feedback was not saved: this answer is no longer stored.", icon=":material/search_off:"
        )
        return
    if saved:  # a database failure is said on the page, once
        st.toast(literal(done), icon=":material/check:")
