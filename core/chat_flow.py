"""What each chat action does to the history: send, retry, continue, and what gets sent."""

from __future__ import annotations

from dataclasses import dataclass

from core.conversation import (
    DocumentAttachment,
    ImageAttachment,
    Message,
    Status,
    pending_answer,
    user_message,
)
from core.gateway.errors import GatewayError
from core.gateway.request import continuation_history


@dataclass
class Turn:
    """An answer about to be requested: the messages the model sees and the bubble to fill."""

    context: list[Message]
    answer: Message
    continuing: bool = False
    replaces: Message | None = None  # the answer this one regenerates, if any

    @property
    def prompt(self) -> Message:
        """The user message being answered."""
        return next(m for m in reversed(self.context) if m.role == "user")

    @property
    def discards_replaced(self) -> bool:
        """A failed or empty answer is replaced; anything with text stays as an alternative."""
        return self.replaces is not None and (self.replaces.status == Status.FAILED or not self.replaces.text)


def send(
    history: list[Message],
    text: str,
    model: str,
    *,
    name: str | None = None,
    images: list[ImageAttachment] | None = None,
    documents: list[DocumentAttachment] | None = None,
) -> Turn:
    """Append the user's message and an empty answer; the model sees everything before it."""
    prompt = user_message(text, name=name, images=images, documents=documents)
    prompt.parent_id = history[-1].id if history else None
    history.append(prompt)
    return _answer_last(history, model)


def _answer_last(history: list[Message], model: str, replaces: Message | None = None) -> Turn:
    context = list(history)
    answer = pending_answer(model)
    answer.parent_id = history[-1].id
    history.append(answer)
    return Turn(context=context, answer=answer, replaces=replaces)


def retry(history: list[Message], model: str) -> Turn | None:
    """Ask again for the last user message (with any model); the old answer is `replaces`."""
    replaced = history.pop() if history and history[-1].is_answer else None
    if not history or history[-1].role != "user":
        if replaced is not None:
            history.append(replaced)
        return None
    return _answer_last(history, model, replaced)


def edit(
    history: list[Message], prompt_id: str, text: str, model: str, name: str | None = None
) -> Turn | None:
    """Branch from an earlier prompt: the edited copy follows the same parent and keeps its
    attachments; the old branch stays."""
    index = next((i for i, m in enumerate(history) if m.id == prompt_id and m.role == "user"), None)
    if index is None or not text.strip():
        return None
    old = history[index]
    del history[index:]
    prompt = user_message(text, name=name, images=old.images, documents=old.documents)
    prompt.parent_id = old.parent_id
    history.append(prompt)
    return _answer_last(history, model)


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


def fail_before_sending(answer: Message, error: GatewayError) -> None:
    """Mark an answer that could not be requested (no key, bad settings, too long); the user's
    message stays."""
    answer.status = Status.FAILED
    answer.error = error
