"""The chat page: history, the sidebar's choices, and one streamed answer per turn."""

from __future__ import annotations

import streamlit as st

from components.attachments import (
    collect_images,
    detected_links_note,
    reject_submission,
    restore_rejected_input,
    submission_parts,
)
from components.chat_state import chat_messages, init_chat_state, new_chat, request_action, take_action
from components.config import gateway_for, load_settings
from components.message import AVATARS, MessageAction, render_body, render_history
from components.sidebar import SidebarChoice, render_sidebar
from components.turn_runner import run_turn
from core.chat_flow import Turn, can_continue, continue_answer, fail_before_sending, retry, send
from core.conversation import Message, Status
from core.errors import settings_error, with_vision_models
from core.images import ACCEPTED_TYPES, ImageRejected
from core.settings import SettingsError

INPUT_KEY = "chat.input"

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"The app's configuration needs fixing: {exc}", icon=":material/settings:")
    st.stop()

init_chat_state()
choice = render_sidebar(settings, on_new_chat=new_chat)
history = chat_messages()
rejected = restore_rejected_input(INPUT_KEY)
submission = st.chat_input(
    f"Message {choice.params.model or 'the model'}… (attach images with the clip)",
    key=INPUT_KEY,
    accept_file="multiple",
    file_type=list(ACCEPTED_TYPES),
    submit_mode="stop",
)


def plan_turn(choice: SidebarChoice) -> Turn | None:
    """Turn this run's input (a prompt or a pressed button) into the answer to request."""
    params = choice.params
    action = take_action()
    text, files = submission_parts(submission)
    if text.strip() or files:
        try:
            images = collect_images(text, files, settings, choice.send_links)
        except ImageRejected as exc:
            reject_submission(text, str(exc))
        return send(history, text, params.model, name=params.user_name, images=images)
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


turn = plan_turn(choice)
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
        if turn.answer.error is not None:
            turn.answer.error = with_vision_models(turn.answer.error, settings.vision_models)
        render_body(turn.answer, actions_for(turn.answer, True))
    note = None if choice.send_links else detected_links_note(turn.context[-1].text if turn.context else "")
    if note and not turn.continuing:
        st.info(note, icon=":material/image:")
if rejected:
    st.error(rejected, icon=":material/broken_image:")
