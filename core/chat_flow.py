"""What each chat action does to the history: send, retry, continue, and what gets sent."""

from __future__ import annotations

from dataclasses import dataclass

from core.conversation import ImageAttachment, Message, Status, pending_answer, user_message
from core.errors import GatewayError
from core.request import continuation_history


@dataclass
class Turn:
    """An answer about to be requested: the messages the model sees and the bubble to fill."""

    context: list[Message]
    answer: Message
    continuing: bool = False


def send(
    history: list[Message],
    text: str,
    model: str,
    *,
    name: str | None = None,
    images: list[ImageAttachment] | None = None,
) -> Turn:
    """Append the user's message and an empty answer; the model sees everything before it."""
    history.append(user_message(text, name=name, images=images))
    context = list(history)
    answer = pending_answer(model)
    history.append(answer)
    return Turn(context=context, answer=answer)


def retry(history: list[Message], model: str) -> Turn | None:
    """Drop the last answer (if any) and ask again for the last user message."""
    if history and history[-1].is_answer:
        history.pop()
    if not history or history[-1].role != "user":
        return None
    context = list(history)
    answer = pending_answer(model)
    history.append(answer)
    return Turn(context=context, answer=answer)


def continue_answer(history: list[Message], model: str, name: str | None = None) -> Turn | None:
    """Ask for the rest of the last answer, appending to the same bubble."""
    if not history or not history[-1].is_answer or not can_continue(history[-1]):
        return None
    answer = history[-1]
    answer.model = model
    return Turn(context=continuation_history(history, name), answer=answer, continuing=True)


def can_continue(answer: Message) -> bool:
    """Answers that ended early with some text can be continued."""
    return answer.status in {Status.CUT_OFF, Status.STOPPED, Status.INCOMPLETE} or (
        answer.status == Status.FAILED and bool(answer.text)
    )


def fail_before_sending(turn: Turn, error: GatewayError) -> None:
    """Mark a turn that could not be sent (no key, bad settings); the user's message stays."""
    turn.answer.status = Status.FAILED
    turn.answer.error = error
