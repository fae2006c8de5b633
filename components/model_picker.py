"""The model pickers of Chat and Compare: the configured favourites, then the gateway's own list
by family, each with what the app knows of the model; the configured list alone, said once in a
caption, when the gateway's list cannot be read. A custom id can always be typed."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from components.plumbing.config import model_listing
from components.presenter import costs_hidden
from components.state import chat as chat_state
from components.state import compare as compare_state
from core.compare import MAX_MODELS
from core.model_catalog import ModelMenu, build_menu, fallback_note
from core.model_facts import model_facts
from core.safe_text import literal
from core.settings import Settings, model_choices

CUSTOM_MODEL = "Custom model id…"
SEARCH_HELP = "Type to search by id or family. The team's favourites come first, then the gateway's models."


def model_menu(settings: Settings, api_key: str | None, allowed: Sequence[str]) -> ModelMenu:
    """What the pickers offer with this key, of the models the user may use (`allowed`'s
    patterns): the gateway's list when it can be read."""
    listing = model_listing(settings, api_key)
    listed = None if listing is None else listing.models
    problem = None if listing is None else listing.problem
    return build_menu(
        model_choices(settings),
        listed,
        hidden=settings.models_hidden,
        extra=settings.models_extra,
        allowed=allowed,
        note=fallback_note(problem) if problem else None,
    )


def draw_chat_picker(settings: Settings, api_key: str | None, model: str, allowed: Sequence[str]) -> None:
    """The chat sidebar's model select (searchable) with the custom id box, and the facts of
    `model`, the model the next message goes to."""
    menu = model_menu(settings, api_key, allowed)
    current = str(st.session_state.get(chat_state.MODEL) or "")
    options = [*menu.options(current if current != CUSTOM_MODEL else ""), CUSTOM_MODEL]
    picked = st.selectbox(
        "Model",
        options,
        key=chat_state.MODEL,
        format_func=lambda option: option if option == CUSTOM_MODEL else menu.label(option),
        help=SEARCH_HELP,
    )
    if picked == CUSTOM_MODEL:
        st.text_input("Custom model id", key=chat_state.CUSTOM_MODEL, placeholder="e.g. o3-mini")
    if model:
        st.caption(literal(model_facts(model, settings, with_price=not costs_hidden())))
    _note(menu)


def draw_compare_picker(
    settings: Settings, api_key: str | None, default: Sequence[str], allowed: Sequence[str]
) -> None:
    """The compare sidebar's 2 to 4 models (searchable; a custom id is typed and Enter adds it),
    and one line of facts per model picked."""
    menu = model_menu(settings, api_key, allowed)
    picked = st.session_state.get(compare_state.MODELS)
    picked = list(default if picked is None else picked)
    models = st.multiselect(
        "Models to compare (2 to 4)",
        menu.options(*picked),
        default=list(default),
        key=compare_state.MODELS,
        max_selections=MAX_MODELS,
        accept_new_options=True,
        format_func=menu.label,
        help=f"{SEARCH_HELP} Type a custom model id and press Enter to add it.",
    )
    with_price = not costs_hidden()  # the presenter keeps cost figures off the screen
    for model in models:
        st.caption(literal(f"{model}: {model_facts(model, settings, with_price=with_price)}"))
    _note(menu)


def _note(menu: ModelMenu) -> None:
    if menu.note:
        st.caption(literal(menu.note))
