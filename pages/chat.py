"""The chat page: the open conversation, the sidebar's choices, and one streamed answer per turn."""

from __future__ import annotations

import streamlit as st

from components.attachments import (
    collect_images,
    detected_links_note,
    reject_submission,
    restore_rejected_input,
    submission_parts,
)
from components.chat_dialogs import delete_dialog, edit_dialog
from components.chat_state import (
    CONVERSATION,
    DIALOG,
    chat_messages,
    chat_tree,
    init_chat_state,
    new_chat,
    open_dialog,
    request_action,
    take_action,
    toggle_copy,
)
from components.config import gateway_for, load_settings
from components.library import OPEN_REQUEST, render_library
from components.message import (
    AVATARS,
    MessageAction,
    render_answer_footer,
    render_body,
    render_recent_history,
)
from components.persistence import (
    QUERY_KEY,
    SAVE_PROBLEM,
    TurnSaver,
    conversation_from_url,
    current_store,
    show_conversation,
    show_version,
    sync_url,
)
from components.sidebar import SidebarChoice, render_sidebar, restore_chat_params
from core.chat_flow import Turn, can_continue, continue_answer, edit, fail_before_sending, retry, send
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
notice: str | None = None
requested = st.session_state.pop(OPEN_REQUEST, None)
if requested:
    st.query_params[QUERY_KEY] = requested
# Storage is opened only when needed, so a fresh page paints before SQLAlchemy loads.
store = current_store(settings) if QUERY_KEY in st.query_params else None
if store is not None:
    loaded = conversation_from_url(store)
    if isinstance(loaded, str):
        notice = loaded
        new_chat()
    elif loaded is not None:
        show_conversation(loaded)
        restore_chat_params(loaded.params, settings)

choice = render_sidebar(settings, on_new_chat=new_chat)
sync_url()
history = chat_messages()
rejected = restore_rejected_input(INPUT_KEY)
submission = st.chat_input(
    f"Message {choice.params.model or 'the model'}… (attach images with +)",
    key=INPUT_KEY,
    accept_file="multiple",
    file_type=list(ACCEPTED_TYPES),
    submit_mode="disable",  # no second message while one streams; Stop is under the answer
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
    if action is None:
        return None
    if action.kind == "retry":
        return retry(history, params.model)
    if action.kind == "continue":
        return continue_answer(history, params.model, params.user_name)
    if action.message_id is not None:
        return edit(history, action.message_id, action.text, params.model, params.user_name)
    return None


def version_actions(message: Message) -> list[MessageAction]:
    """‹ n/m › between alternative answers, or between the branches of an edited prompt."""
    siblings = chat_tree().siblings(message)
    if len(siblings) < 2:
        return []
    index = next(i for i, m in enumerate(siblings) if m.id == message.id)
    previous_id = siblings[max(index - 1, 0)].id
    next_id = siblings[min(index + 1, len(siblings) - 1)].id
    kind = "answer" if message.is_answer else "version of this message"
    position = f"{index + 1}/{len(siblings)}"
    return [
        MessageAction(
            "", ":material/chevron_left:", show_version, (settings, previous_id), "previous",
            help=f"Previous {kind}", disabled=index == 0, quiet=True,
        ),
        MessageAction(
            position, ":material/chevron_right:", show_version, (settings, next_id), "next",
            help=f"Next {kind}", disabled=index == len(siblings) - 1, quiet=True,
        ),
    ]  # fmt: skip


def actions_for(message: Message, is_last: bool) -> list[MessageAction]:
    """Versions, edit and delete on prompts; versions, copy and Continue / Regenerate on answers."""
    if message.status == Status.STREAMING and message.is_answer:
        return []
    actions = version_actions(message)
    if message.role == "user":
        actions.append(
            MessageAction("Edit", ":material/edit:", open_dialog, ("edit", message.id), quiet=True)
        )
        actions.append(
            MessageAction("Delete", ":material/delete:", open_dialog, ("delete", message.id), quiet=True)
        )
        return actions
    if is_last and can_continue(message):
        actions.append(MessageAction("Continue", ":material/play_arrow:", request_action, ("continue",)))
    if is_last:
        model = choice.params.model
        finished = message.status in (Status.COMPLETE, Status.CUT_OFF)
        label = "Regenerate" if finished else "Retry"
        if model and message.model and model != message.model:
            label = f"{label} with {model}"
        actions.append(MessageAction(label, ":material/refresh:", request_action, ("retry",), "retry"))
    if message.text:
        actions.append(
            MessageAction("Copy", ":material/content_copy:", toggle_copy, (message.id,), quiet=True)
        )
    return actions


turn = plan_turn(choice)
saver = None
if turn is not None:
    store = store or current_store(settings)
    saver = TurnSaver(store, turn, choice.params)
    saver.before_sending()  # the prompt is stored before anything is sent
if not history:
    st.title("GPTProto Chat")
    st.caption(f"Ask {choice.params.model or 'a model'} anything. Pick models and limits in the sidebar.")
if notice:
    st.warning(notice, icon=":material/search_off:")
render_recent_history(history[:-1] if turn else history, actions_for)

if turn is not None:
    assert saver is not None
    turn_saver: TurnSaver = saver

    def settled(answer: Message) -> None:
        if answer.error is not None:
            answer.error = with_vision_models(answer.error, settings.vision_models)
        turn_saver.settled(answer)

    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        if choice.ready and choice.api_key:
            from components.turn_runner import run_turn  # the client loads on the first request

            gateway = gateway_for(settings, choice.api_key)
            run_turn(gateway, turn, choice.params, on_progress=saver.progress, on_settled=settled)
            render_answer_footer(turn.answer, actions_for(turn.answer, True))
        else:
            fail_before_sending(turn, settings_error(choice.problems))
            settled(turn.answer)
            render_body(turn.answer, actions_for(turn.answer, True))
    note = None if choice.send_links else detected_links_note(turn.context[-1].text if turn.context else "")
    if note and not turn.continuing:
        st.info(note, icon=":material/image:")
if rejected:
    st.error(rejected, icon=":material/broken_image:")
problem = st.session_state.pop(SAVE_PROBLEM, None)
if problem:
    st.warning(problem, icon=":material/database:")

store = store or current_store(settings)
if store is not None and choice.library_slot is not None:
    with choice.library_slot:  # filled last, so it lists this run's new conversation
        render_library(store, st.session_state.get(CONVERSATION))

dialog = st.session_state.get(DIALOG)
if dialog is not None:
    kind, message_id = dialog
    target = chat_tree().messages.get(message_id)
    if target is not None and kind == "edit":
        edit_dialog(target)
    elif target is not None and kind == "delete":
        delete_dialog(settings, target)
