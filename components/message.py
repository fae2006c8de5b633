"""Chat bubbles: the text, images, documents, status, usage line and the actions on an answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.error_card import render_error_card
from components.plumbing.markdown import image_allowed, safe
from components.state.chat import SHOW_EARLIER, action_key, copying, history_window, widen_history_window
from core.answer_notes import status_note, usage_line
from core.conversation import ImageAttachment, Message, Status
from core.documents import chip_label
from core.markdown_blocks import split_blocks
from core.safe_text import literal
from core.web_address import parse_web_address


@dataclass(frozen=True)
class MessageAction:
    """A button under a message; `name` makes its widget key (default: the label)."""

    label: str
    icon: str
    on_click: Callable[..., None]
    args: tuple[object, ...] = ()
    name: str | None = None
    help: str | None = None
    disabled: bool = False
    quiet: bool = False  # a small borderless button, for the secondary actions


@dataclass(frozen=True)
class RowWidget:
    """Something other than a button in a message's action row: the feedback on an answer."""

    draw: Callable[[DeltaGenerator], None]


RowItem = MessageAction | RowWidget


AVATARS = {"user": ":material/person:", "assistant": ":material/smart_toy:"}


HISTORY_WINDOW = 20  # messages drawn when a conversation opens (10 exchanges); earlier ones on request
HISTORY_STEP = 100


def render_recent_history(
    messages: Sequence[Message], actions_for: Callable[[Message, bool], Sequence[RowItem]]
) -> None:
    """The most recent messages, with a button for earlier ones: a long conversation opens and
    reruns fast, and nothing is out of reach."""
    window = history_window(HISTORY_WINDOW)
    hidden = max(0, len(messages) - window)
    hidden -= hidden % 2  # never split a prompt from its answer
    if hidden:
        st.button(
            f"Show earlier messages ({hidden:d} not shown)",
            key=SHOW_EARLIER,
            icon=":material/expand_less:",
            on_click=widen_history_window,
            args=(HISTORY_WINDOW, HISTORY_STEP),
            type="tertiary",
        )
    render_history(messages[hidden:], actions_for)


def render_history(
    messages: Sequence[Message], actions_for: Callable[[Message, bool], Sequence[RowItem]]
) -> None:
    """Every message in order; actions_for decides the buttons (the last answer gets most)."""
    last_index = len(messages) - 1
    for index, message in enumerate(messages):
        with st.chat_message(message.role, avatar=AVATARS[message.role]):
            render_body(message, actions_for(message, index == last_index))


def render_body(message: Message, actions: Sequence[RowItem] = ()) -> None:
    """The inside of one bubble."""
    if message.role == "user":
        _render_user(message)
        render_actions(message, actions)
        return
    render_answer_text(message.text)
    render_answer_footer(message, actions)


def render_answer_text(text: str) -> None:
    """A finished answer's text, in the elements its stream left on screen (one per markdown
    block, components.stream_view): the same messages, so on each later run the browser is sent
    a reference to its copy rather than the text again (`minCachedMessageSize` in
    .streamlit/config.toml)."""
    for block in split_blocks(text):
        st.markdown(safe(block))


def render_answer_footer(message: Message, actions: Sequence[RowItem] = ()) -> None:
    """Status note, error card, usage line and buttons under an answer."""
    note = status_note(message)
    if note:
        st.warning(literal(note), icon=":material/content_cut:")
    if message.error is not None:
        render_error_card(message.error)
    if message.status != Status.FAILED:
        st.caption(literal(usage_line(message)))  # an imported answer can name any model
    render_actions(message, actions)
    if copying(message.id):
        st.code(message.text, language="markdown", wrap_lines=True)


def render_actions(message: Message, actions: Sequence[RowItem]) -> None:
    """One row of small buttons."""
    if not actions:
        return
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    for action in actions:
        if isinstance(action, RowWidget):
            action.draw(row)
            continue
        row.button(
            literal(action.label),
            icon=action.icon,
            key=action_key(action.name or action.label, message.id),
            on_click=action.on_click,
            args=action.args,
            help=literal(action.help) if action.help else None,
            disabled=action.disabled,
            type="tertiary" if action.quiet else "secondary",
        )


def _render_user(message: Message) -> None:
    if message.name:
        st.caption(literal(message.name))
    if message.text:
        st.markdown(safe(message.text))
    if message.documents:
        _render_document_chips(message)
    shown = [image for image in message.images if not image.url or image_allowed(image.url)]
    if shown:
        captions: list[str] = [literal(image.name) for image in shown]
        st.image([image.url or image.data for image in shown], width=160, caption=captions)
    for image in message.images:
        if image not in shown:  # a link the browser would fetch by itself: one click instead
            _render_image_link(image)


def _render_document_chips(message: Message) -> None:
    """One chip per attached document: its name, kind, and pages or size."""
    row = st.container(horizontal=True, gap="small")
    for document in message.documents:
        icon = ":material/picture_as_pdf:" if document.kind == "pdf" else ":material/description:"
        row.badge(literal(chip_label(document)), icon=icon, color="gray")  # a file name is anyone's


def _render_image_link(image: ImageAttachment) -> None:
    """An image link (sent by the user, or in an import) as a button that opens it, never as
    markdown: the address is parsed, and one that is not a plain https URL is not offered."""
    address = parse_web_address(image.url or "")
    if address is None:
        name = literal(image.name)
        st.caption(f":material/image: {name} (image link not shown: not a plain https address)")
        return
    st.link_button(
        f"{literal(image.name)} (image link from {literal(address.host)}, not loaded)",
        address.url,
        icon=":material/image:",
        type="tertiary",
    )
