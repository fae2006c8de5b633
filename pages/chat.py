"""The chat page: the open conversation, the sidebar's choices, and one streamed answer per turn."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.allowance_view import render_allowance
from components.answer_feedback import feedback_drawer, stored_feedback
from components.attachments import ATTACHABLE_TYPES, restore_rejected_input, submitted
from components.chat_actions import actions_for, plan_turn
from components.chat_dialogs import delete_dialog, edit_dialog
from components.chat_turn import render_turn, send_turn
from components.library import render_library, take_open_request
from components.message import render_recent_history
from components.plumbing.chat_persistence import (
    conversation_from_url,
    open_in_url,
    show_conversation,
    sync_url,
    wants_stored_conversation,
)
from components.plumbing.config import preload_gateway, require_settings
from components.plumbing.policy import current_allowance
from components.plumbing.routes import run_the_app_instead
from components.plumbing.storage import RunStore
from components.preset_chooser import render_chat_presets
from components.share_links import render_share_button
from components.sidebar import chat_choice, render_chat_sidebar, restore_chat_params
from components.state.chat import (
    INPUT,
    chat_messages,
    chat_tree,
    conversation_id,
    init_chat_state,
    new_chat,
    open_dialog_target,
    take_action,
)
from components.state.common import take_save_problem
from components.state.feedback import CHAT as FEEDBACK_ON
from components.state.presets import CHAT, take_starter
from core.safe_text import literal


def chat_page() -> None:
    """Draw the Chat page, as the module's docstring describes."""
    settings = require_settings()
    init_chat_state()
    store = RunStore(settings)  # opened on first use: a fresh page paints before SQLAlchemy loads

    allowed = current_allowance(settings, store).models  # the models the picker offers
    notice: str | None = None
    requested = take_open_request()
    if requested:
        open_in_url(requested)
    if wants_stored_conversation() and store.conversations() is not None:
        loaded = conversation_from_url(store)
        if isinstance(loaded, str):
            notice = loaded
            new_chat()
        elif loaded is not None:
            show_conversation(loaded)
            restore_chat_params(loaded.params, settings)

    # The turn is sent before anything is drawn: the sidebar's values and the input are known now.
    choice = chat_choice(settings, allowed)
    history = chat_messages()
    rejected = restore_rejected_input(INPUT)
    submission = submitted(INPUT) or take_starter(CHAT)  # typed, or a preset's starter clicked
    planned = plan_turn(submission, take_action(), history, choice, settings, store)
    with send_turn(settings, choice, planned, store) as sent:  # the prompt is stored as it leaves
        library_slot = render_chat_sidebar(settings, choice, on_new_chat=new_chat)
        sync_url()
        st.chat_input(
            f"Message {choice.params.model or 'the model'}… (attach images and documents with +)",
            key=INPUT,
            accept_file="multiple",
            file_type=ATTACHABLE_TYPES,
            submit_mode="disable",  # no second message while one streams; Stop is under the answer
        )
        presets_slot = None
        if not history:
            st.title("GPTProto Chat")
            model = literal(choice.params.model or "a model")
            st.caption(f"Ask {model} anything. Pick models and limits in the sidebar.")
            presets_slot = st.container()  # filled last: listing presets opens the database
        if notice:
            st.warning(literal(notice), icon=":material/search_off:")
        feedback = feedback_drawer(store, FEEDBACK_ON, stored_feedback(store, conversation_id()))
        message_actions = partial(
            actions_for, tree=chat_tree(), model=choice.params.model, store=store, feedback=feedback
        )
        render_recent_history(history[:-1] if sent else history, message_actions)
        if sent is not None:
            render_turn(sent, message_actions)
    if rejected:
        st.error(rejected, icon=":material/broken_image:")
    problem = take_save_problem()
    if problem:
        st.warning(problem, icon=":material/database:")

    render_allowance(settings, store)
    if store.conversations() is not None:
        with library_slot:  # filled last, so it lists this run's new conversation
            render_share_button(store, conversation_id())
            render_library(store, conversation_id())
        if presets_slot is not None:
            with presets_slot:
                render_chat_presets(store, settings)

    dialog = open_dialog_target()
    if dialog is not None:
        kind, target = dialog
        if kind == "edit":
            edit_dialog(target, settings.max_prompt_chars)
        elif kind == "delete":
            delete_dialog(store, target)
    preload_gateway()  # the next prompt's request need not wait for the client's imports


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
