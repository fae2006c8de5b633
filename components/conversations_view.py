"""The Conversations page's pieces: import, one row per conversation with its actions, the
export buttons and the delete confirmation."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import streamlit as st

from components.comparison_exports import render_comparison_downloads
from components.downloads import download_button
from components.library import COMPARISON, COMPARISON_ICON, open_comparison, request_open, when
from components.plumbing import routes
from components.plumbing.config import load_settings
from components.plumbing.storage import NotFound, RunStore, done, safely
from components.share_links import render_share_button
from components.state import conversations as state
from components.state import share_links as share_state
from core.archive import is_archive, read_archive
from core.audit import DELETED, IMPORTED
from core.formats.comparison import import_comparison_json, is_comparison_export
from core.formats.conversation import export_json, export_markdown, import_json
from core.formats.strict import ImportRejected
from core.images import ImageLimits
from core.metrics import count_import_refusal
from core.prompt_sets import TextLimits
from core.safe_text import literal

if TYPE_CHECKING:
    from components.plumbing.storage import ConversationInfo


def file_stem(title: str) -> str:
    """A file name from a title: letters and digits joined by dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "conversation"


@st.dialog("Delete this conversation?", on_dismiss=state.close_delete)
def confirm_delete(store: RunStore, info: ConversationInfo) -> None:
    """Delete only after a second, explicit press."""
    if (chats := store.conversations()) is None:
        return
    st.write(f"“{literal(info.title)}” and all its messages will be deleted. This cannot be undone.")
    row = st.container(horizontal=True)
    if row.button("Delete", type="primary", icon=":material/delete:", key=state.DELETE_CONFIRM):
        if done(lambda: chats.delete(info.id)):
            store.record(DELETED, info.id, kind=info.kind)
        state.show_export(None)
        state.close_delete()
        st.rerun()
    if row.button("Cancel", key=state.DELETE_CANCEL):
        state.close_delete()
        st.rerun()


def render_import(store: RunStore) -> None:
    """Import a JSON export as a new conversation or comparison (all of it, or nothing with the
    reason)."""
    with st.expander(
        "Import a conversation or comparison (JSON export), or all your data (zip)", icon=":material/upload:"
    ):
        upload = st.file_uploader("JSON export or archive", type=["json", "zip"], key=state.IMPORT_FILE)
        if st.button("Import", key=state.IMPORT, disabled=upload is None) and upload is not None:
            raw, limits = upload.getvalue(), ImageLimits.from_settings(load_settings())
            try:
                if is_archive(raw):
                    _import_archive(store, raw, limits)  # it says what it imported
                    title = None
                elif is_comparison_export(raw):
                    title = _import_comparison(store, raw, limits)
                else:
                    imported = import_json(raw, limits)
                    chats = store.conversations()
                    created = chats and safely(
                        lambda: chats.add_conversation(imported.title, imported.params, imported.tree)
                    )
                    title = imported.title if created is not None else None
                    if isinstance(created, str):
                        store.record(IMPORTED, created, kind="chat", messages=len(imported.tree.messages))
            except ImportRejected as exc:
                count_import_refusal(_import_kind(raw))
                st.error(f"{literal(upload.name)} was not imported: {literal(exc)}", icon=":material/error:")
                return
            if title is not None:
                st.success(f"Imported “{literal(title)}”.", icon=":material/check:")


def _import_kind(raw: bytes) -> str:
    if is_archive(raw):
        return "archive"
    return "comparison" if is_comparison_export(raw) else "conversation"


def _import_archive(store: RunStore, raw: bytes, limits: ImageLimits) -> None:
    """Every file of an archive, read strictly first (all or nothing), then stored one by one;
    the page says how many."""
    settings = load_settings()
    texts = TextLimits(settings.max_prompt_chars, settings.max_instructions_chars)
    contents = read_archive(raw, limits, texts)
    chats, comparisons, sets, presets = (
        store.conversations(),
        store.comparisons(),
        store.prompt_sets(),
        store.presets(),
    )
    if chats is None or comparisons is None or sets is None or presets is None:
        return
    stored: list[str | None] = []
    for chat in contents.conversations:
        stored.append(safely(partial(chats.add_conversation, chat.title, chat.params, chat.tree)))
    for compared in contents.comparisons:
        stored.append(
            safely(partial(comparisons.add_comparison, compared.title, compared.params, compared.rounds))
        )
    for prompt_set in contents.prompt_sets:
        stored.append(safely(partial(sets.save, prompt_set)))
    if contents.presets:
        added = safely(partial(presets.add_all, contents.presets))
        stored.append(None if added is None else "presets")
    chat_count, comparison_count = len(contents.conversations), len(contents.comparisons)
    set_count, preset_count = len(contents.prompt_sets), len(contents.presets)
    counts = {"chats": chat_count, "comparisons": comparison_count, "prompt_sets": set_count}
    store.record(IMPORTED, None, kind="archive", **counts, presets=preset_count)
    if None not in stored:
        st.success(
            f"Imported {chat_count:d} conversation(s), {comparison_count:d} comparison(s), "
            f"{set_count:d} prompt set(s) and {preset_count:d} preset(s) from the archive.",
            icon=":material/check:",
        )


def _import_comparison(store: RunStore, raw: bytes, limits: ImageLimits) -> str | None:
    imported = import_comparison_json(raw, limits)
    comparisons = store.comparisons()
    if comparisons is None:
        return None
    created = safely(lambda: comparisons.add_comparison(imported.title, imported.params, imported.rounds))
    if created is None:
        return None
    store.record(IMPORTED, created, kind="comparison", rounds=len(imported.rounds))
    return imported.title


def render_export(store: RunStore, conversation_id: str) -> None:
    """Download buttons for one conversation: Markdown to read, JSON to import again."""
    if (chats := store.conversations()) is None:
        return
    try:
        stored = safely(lambda: chats.load(conversation_id))
    except NotFound:
        state.show_export(None)
        return
    if stored is None:
        return
    if stored.info.kind == COMPARISON:
        _render_comparison_export(store, conversation_id)
        return
    title, params, tree = stored.info.title, stored.params, stored.tree
    with st.container(border=True):
        st.markdown(f"**Export “{literal(title)}”**")
        row = st.container(horizontal=True)
        download_button(
            row,
            "Markdown",
            lambda: export_markdown(title, params, tree.path()),
            f"{file_stem(title)}.md",
            mime="text/markdown",
            icon=":material/description:",
            key=state.EXPORT_MD,
        )
        download_button(
            row,
            "JSON (can be imported)",
            lambda: export_json(title, params, tree),
            f"{file_stem(title)}.json",
            mime="application/json",
            icon=":material/data_object:",
            key=state.EXPORT_JSON,
        )


def _render_comparison_export(store: RunStore, comparison_id: str) -> None:
    """Download buttons for a comparison: Markdown and the HTML report to read, JSON to import."""
    if (comparisons := store.comparisons()) is None:
        return
    try:
        stored = safely(lambda: comparisons.load(comparison_id))
    except NotFound:
        state.show_export(None)
        return
    if stored is None or not stored.rounds:
        return
    title, prices = stored.info.title, dict(load_settings().prices)
    with st.container(border=True):
        st.markdown(f"**Export “{literal(title)}”**")
        row = st.container(horizontal=True)
        keys = (state.EXPORT_MD, state.EXPORT_HTML, state.EXPORT_JSON)
        render_comparison_downloads(
            row, title, stored.params, stored.rounds, prices, stem=file_stem(title), keys=keys
        )


def render_row(store: RunStore, info: ConversationInfo) -> None:
    """A conversation's (or comparison's) title and date with Open, Rename, Pin, Share, Export and
    Delete."""
    if (chats := store.conversations()) is None:
        return
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        pin = ":material/keep: " if info.pinned else ""
        if info.kind == COMPARISON:
            models = " · ".join(info.models)
            subtitle = f"{literal(models)} · {when(info.updated_at)}"
            line = f"{COMPARISON_ICON} **{literal(info.title)}**  \n:gray[{subtitle}]"
        else:
            line = f"**{literal(info.title)}**  \n:gray[{when(info.updated_at)}]"
        st.markdown(f"{pin}{line}", width="stretch")
        if st.button("Open", key=state.row_key("open", info.id), icon=":material/open_in_new:"):
            if info.kind == COMPARISON:
                open_comparison(info.id)
            request_open(info.id)
            st.switch_page(routes.page(routes.CHAT))
        with st.popover("Rename", icon=":material/edit:"):
            new_title = st.text_input("New title", value=info.title, key=state.row_key("title", info.id))
            if st.button("Save title", key=state.row_key("rename", info.id)):
                try:
                    safely(lambda: chats.rename(info.id, new_title))
                    st.rerun()
                except ValueError as exc:
                    st.error(literal(exc))
        pin_label = "Unpin" if info.pinned else "Pin"
        if st.button(pin_label, key=state.row_key("pin", info.id), icon=":material/keep:"):
            safely(lambda: chats.set_pinned(info.id, not info.pinned))
            st.rerun()
        render_share_button(store, info.id, key=share_state.open_key(info.id))
        if st.button("Export", key=state.row_key("export", info.id), icon=":material/download:"):
            state.show_export(info.id)
            st.rerun()
        if st.button("Delete", key=state.row_key("delete", info.id), icon=":material/delete:"):
            state.ask_delete(info.id)
        if state.deleting() == info.id:
            confirm_delete(store, info)
