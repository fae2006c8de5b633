"""The chat page: history, the sidebar's choices, and one streamed answer per turn."""

from __future__ import annotations

import streamlit as st

from components.chat_state import (
    chat_messages,
    init_chat_state,
    new_chat,
    request_action,
    take_action,
)
from components.config import gateway_for, load_settings
from components.message import AVATARS, MessageAction, render_body, render_history
from components.sidebar import SidebarChoice, render_sidebar
from components.turn_runner import run_turn
from core.chat_flow import Turn, can_continue, continue_answer, fail_before_sending, retry, send
from core.conversation import Message, Status
from core.errors import settings_error
from core.settings import SettingsError

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"The app's configuration needs fixing: {exc}", icon=":material/settings:")
    st.stop()

init_chat_state()
choice = render_sidebar(settings, on_new_chat=new_chat)
history = chat_messages()
prompt = st.chat_input(f"Message {choice.params.model or 'the model'}…", key="chat.input", submit_mode="stop")


def plan_turn(prompt: str | None, choice: SidebarChoice) -> Turn | None:
    """Turn this run's input (a prompt or a pressed button) into the answer to request."""
    params = choice.params
    action = take_action()
    if prompt is not None and prompt.strip():
        return send(history, prompt, params.model, name=params.user_name)
    if action == "retry":
        return retry(history, params.model)
    if action == "continue":
        return continue_answer(history, params.model, params.user_name)
    return None


def actions_for(message: Message, is_last: bool) -> list[MessageAction]:
    """Retry / Continue / Regenerate on the last answer only."""
    if not (is_last and message.is_answer) or message.status == Status.STREAMING:
        return []
    actions = []
    if can_continue(message):
        actions.append(MessageAction("Continue", ":material/play_arrow:", request_action, ("continue",)))
    label = "Regenerate" if message.status == Status.COMPLETE else "Retry"
    actions.append(MessageAction(label, ":material/refresh:", request_action, ("retry",)))
    return actions


turn = plan_turn(prompt, choice)
if not history:
    st.title("GPTProto Chat")
    st.caption(f"Ask {choice.params.model or 'a model'} anything. Pick models and limits in the sidebar.")
render_history(history[:-1] if turn else history, actions_for)

if turn is not None:
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        if choice.ready and choice.api_key:
            run_turn(gateway_for(settings, choice.api_key), turn, choice.params)
        else:
            fail_before_sending(turn, settings_error(choice.problems))
        render_body(turn.answer, actions_for(turn.answer, True))
