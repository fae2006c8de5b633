"""A comparison's own actions on the Compare page (rename, export as Markdown, HTML report or JSON)
and the recent comparisons in the compare sidebar."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.downloads import download_button
from components.library import COMPARISON_ICON, when
from components.plumbing.storage import NotFound, RunStore, safely
from components.state import compare as state
from core.compare import CompareRound
from core.conversation import ChatParams
from core.feedback import Feedback
from core.formats.comparison import export_comparison_json
from core.pricing import Prices
from core.report import report_html, report_markdown
from core.safe_text import literal

DEFAULT_TITLE = "GPTProto model comparison"
JSON = "application/json"
RECENT_COUNT = 8


def comparison_title(store: RunStore) -> str:
    """The open comparison's title in the library, else the report's default."""
    current, opened = state.comparison_id(), store.conversations()
    if current is None or opened is None:
        return DEFAULT_TITLE
    try:
        info = safely(lambda: opened.info(current))
    except NotFound:
        return DEFAULT_TITLE
    return info.title if info is not None else DEFAULT_TITLE


def render_comparison_downloads(
    row: DeltaGenerator,
    title: str,
    params: ChatParams,
    rounds: Sequence[CompareRound],
    prices: Prices,
    *,
    stem: str,
    keys: tuple[str, str, str],
    label_prefix: str = "",
    feedback: Mapping[str, Feedback] | None = None,
    folder: str | None = None,
) -> None:
    """A comparison's three downloads in `row`: Markdown and the HTML report to read, JSON to
    import back (with the person's `feedback` and `folder`); `keys` are the buttons' widget keys,
    in that order."""
    # Each file is made at its click (see components/downloads.py), not at every run.
    files: tuple[tuple[str, Callable[[], str], str, str], ...] = (
        ("Markdown", lambda: report_markdown(title, rounds, prices), "md", "text/markdown"),
        ("HTML report", lambda: report_html(title, rounds, prices), "html", "text/html"),
        (
            "JSON (can be imported)",
            lambda: export_comparison_json(title, params, rounds, feedback=feedback, folder=folder),
            "json",
            JSON,
        ),
    )
    for (label, make, extension, mime), key in zip(files, keys, strict=True):
        name, icon = f"{stem}.{extension}", ":material/download:"
        download_button(row, f"{label_prefix}{label}", make, name, mime=mime, key=key, icon=icon)


def render_comparison_actions(store: RunStore, rounds: Sequence[CompareRound], prices: Prices) -> None:
    """Rename the comparison and download it: Markdown, a self-contained HTML report, JSON."""
    title = comparison_title(store)
    latest = rounds[-1]
    params = latest.params or ChatParams(model=latest.models[0])
    row = st.container(horizontal=True)
    render_comparison_downloads(
        row, title, params, rounds, prices, stem="comparison", label_prefix="Export ",
        keys=(state.EXPORT_MD, state.EXPORT_HTML, state.EXPORT_JSON),
    )  # fmt: skip
    current, opened = state.comparison_id(), store.conversations()
    if current is None or opened is None:
        return
    with row.popover("Rename", icon=":material/edit:"):
        new_title = st.text_input("New title", value=title, key=state.RENAME)
        if st.button("Save title", key=state.RENAME_SAVE):
            try:
                safely(lambda: opened.rename(current, new_title))
                st.rerun()
            except ValueError as exc:
                st.error(literal(exc))


def _open(comparison_id: str) -> None:
    st.query_params[state.QUERY] = comparison_id  # the page opens it on the coming run


def render_comparison_library(store: RunStore, current_id: str | None) -> None:
    """The user's recent comparisons (pinned first), with their models; all of them are on the
    Conversations page."""
    comparisons = store.comparisons()
    if comparisons is None:
        return
    found = safely(lambda: comparisons.comparisons(limit=RECENT_COUNT)) or []
    if not found:
        st.caption("Your comparisons will be listed here.")
        return
    for info in found:
        pin = ":material/keep: " if info.pinned else ""
        names = " · ".join(info.models)
        st.button(
            f"{pin}{literal(info.title)} :gray[· {literal(names)} · {when(info.updated_at)}]",
            key=state.library_item_key(info.id),
            on_click=_open,
            args=(info.id,),
            icon=COMPARISON_ICON,
            type="secondary" if info.id == current_id else "tertiary",
            width="stretch",
        )
