"""What the chat page does this run: the turn to request (from the input or a pressed button),
and the buttons under each message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.delta_generator import DeltaGenerator

from components.attachments import (
    AttachmentRejected,
    collect_attachments,
    reject_submission,
    submission_parts,
)
from components.message import MessageAction, RowItem, RowWidget
from components.plumbing.chat_persistence import show_version
from components.plumbing.storage import RunStore
from components.plumbing.usage import Reservation, reserve
from components.sidebar import ChatChoice
from components.state.chat import PendingAction, open_dialog, request_action, resend_without, toggle_copy
from core.branches import ConversationTree
from core.chat_flow import Turn, can_continue, continue_answer, edit, fail_before_sending, retry, send
from core.conversation import Message, Status
from core.gateway.errors import limit_error, refused_parameter_of
from core.input_length import too_long_message
from core.sampling import label as parameter_label
from core.settings import Settings


def plan_turn(
    submission: Any,
    action: PendingAction | None,
    history: list[Message],
    choice: ChatChoice,
    settings: Settings,
    store: RunStore,
) -> tuple[Turn, Reservation | None] | None:
    """Turn this run's input (a prompt or a pressed button) into the answer to request, admitted
    by the user's limits; `history` is edited in place to end with the prompt and the pending
    answer. A new prompt over a limit goes back into the input; a Retry or Continue over a limit
    keeps its message and says which limit and when it resets."""
    text, files = submission_parts(submission)
    typed = bool(text.strip() or files)
    turn = _turn_for(text, files, action, history, choice, settings) if typed or action else None
    if turn is None:
        return None
    if not choice.ready:
        return turn, None  # not sent: the answer will say what to fix in the sidebar
    admitted = reserve(store, settings, [(turn.context, choice.params)], page="chat")
    if isinstance(admitted, Reservation):
        return turn, admitted
    if typed:
        reject_submission(text, admitted)
    fail_before_sending(turn.answer, limit_error(admitted))
    return turn, None


def _turn_for(
    text: str,
    files: list[tuple[str, bytes]],
    action: PendingAction | None,
    history: list[Message],
    choice: ChatChoice,
    settings: Settings,
) -> Turn | None:
    params = choice.params
    if text.strip() or files:
        problem = too_long_message("prompt", len(text), settings.max_prompt_chars)
        if problem:
            reject_submission(text, problem)
        try:
            images, documents = collect_attachments(text, files, settings, choice.send_links)
        except AttachmentRejected as exc:
            reject_submission(text, str(exc))
        return send(history, text, params.model, name=params.user_name, images=images, documents=documents)
    if action is None:
        return None
    if action.kind == "retry":
        return retry(history, params.model)
    if action.kind == "continue":
        return continue_answer(history, params.model, params.user_name)
    if action.message_id is not None:
        return edit(history, action.message_id, action.text, params.model, params.user_name)
    return None


def version_actions(message: Message, tree: ConversationTree, store: RunStore) -> list[MessageAction]:
    """‹ n/m › between alternative answers, or between the branches of an edited prompt."""
    siblings = tree.siblings(message)
    if len(siblings) < 2:
        return []
    index = next(i for i, m in enumerate(siblings) if m.id == message.id)
    previous_id = siblings[max(index - 1, 0)].id
    next_id = siblings[min(index + 1, len(siblings) - 1)].id
    kind = "answer" if message.is_answer else "version of this message"
    position = f"{index + 1}/{len(siblings)}"
    return [
        MessageAction(
            "", ":material/chevron_left:", show_version, (store, previous_id), "previous",
            help=f"Previous {kind}", disabled=index == 0, quiet=True,
        ),
        MessageAction(
            position, ":material/chevron_right:", show_version, (store, next_id), "next",
            help=f"Next {kind}", disabled=index == len(siblings) - 1, quiet=True,
        ),
    ]  # fmt: skip


def actions_for(
    message: Message,
    is_last: bool,
    *,
    tree: ConversationTree,
    model: str,
    store: RunStore,
    feedback: Callable[[DeltaGenerator, Message], None] | None = None,
) -> list[RowItem]:
    """Versions, edit and delete on prompts; versions, copy, Continue / Regenerate and the
    feedback (when it can be stored) on answers (`model` is the one picked now, named on
    Regenerate when it differs)."""
    if message.status == Status.STREAMING and message.is_answer:
        return []
    actions: list[RowItem] = [*version_actions(message, tree, store)]
    if message.role == "user":
        actions.append(
            MessageAction("Edit", ":material/edit:", open_dialog, ("edit", message.id), quiet=True)
        )
        actions.append(
            MessageAction("Delete", ":material/delete:", open_dialog, ("delete", message.id), quiet=True)
        )
        return actions
    refused = refused_parameter_of(message.error)
    if is_last and refused is not None:
        actions.append(
            MessageAction(
                f"Send again without {parameter_label(refused).lower()}",
                ":material/replay:",
                resend_without,
                (refused,),
                "without",
            )
        )
    if is_last and can_continue(message):
        actions.append(MessageAction("Continue", ":material/play_arrow:", request_action, ("continue",)))
    if is_last:
        finished = message.status in (Status.COMPLETE, Status.CUT_OFF)
        label = "Regenerate" if finished else "Retry"
        if model and message.model and model != message.model:
            label = f"{label} with {model}"
        actions.append(MessageAction(label, ":material/refresh:", request_action, ("retry",), "retry"))
    if message.text:
        actions.append(
            MessageAction("Copy", ":material/content_copy:", toggle_copy, (message.id,), quiet=True)
        )
    if feedback is not None:
        draw = feedback  # draws nothing under an answer that cannot be rated
        actions.append(RowWidget(lambda row: draw(row, message)))
    return actions
