"""Stream one answer into its bubble, keeping the per-chunk work small."""

from __future__ import annotations

import time
from collections.abc import Callable

from components.stream_view import StreamView
from core.chat_flow import Turn
from core.conversation import ChatParams, Message, Status
from core.events import Failure, Finish, RetryWait, TextDelta
from core.gateway import Gateway
from core.presentation import format_waited
from core.pump import EventPump
from core.request import build_request
from core.turn import TurnRecorder

STOP_KEY = "chat.stop"


def run_turn(
    gateway: Gateway,
    turn: Turn,
    params: ChatParams,
    *,
    on_progress: Callable[[Message], None] | None = None,
    on_settled: Callable[[Message], None] | None = None,
) -> None:
    """Send the turn and draw the answer as it streams; its text stays drawn at the end (the
    caller adds the footer: status, usage and actions).

    `on_progress` runs after new text arrives (a cheap checkpoint hook); `on_settled` runs once
    the answer has its final status, even when a Stop press or a rerun ends the run."""
    body = build_request(turn.context, params, include_usage=gateway.wants_usage())
    recorder = TurnRecorder(turn.answer)
    view = StreamView()
    view.show_stop(STOP_KEY)
    started = time.monotonic()
    pump = EventPump(gateway, body).start()
    if turn.continuing and turn.answer.text:
        view.show_text(turn.answer.text, force=True)
    completed = False
    try:
        for event in pump.ticks():
            if event is not None:
                recorder.apply(event)
            if isinstance(event, Finish | Failure):
                view.finish(turn.answer.text)  # the last words now, before closing and saving
            elif isinstance(event, TextDelta):
                view.show_text(turn.answer.text)
                if on_progress is not None:
                    on_progress(turn.answer)
            elif isinstance(event, RetryWait):
                view.show_status(_retry_text(event))
            elif event is None and recorder.retry_wait is None and not recorder.new_text:
                view.show_status(f"Waiting for {params.model}…{format_waited(time.monotonic() - started)}")
        completed = True
    finally:
        # A Stop press or a rerun lands here mid-stream: close HTTP, keep the partial answer.
        if turn.answer.status == Status.STREAMING:
            pump.cancel()
            recorder.stop()
        try:
            if completed:
                view.finish(turn.answer.text)
        finally:
            if on_settled is not None:
                on_settled(turn.answer)


def _retry_text(wait: RetryWait) -> str:
    return (
        f"{wait.error.title}. Retrying (attempt {wait.attempt} of {wait.attempts}) "
        f"in {wait.remaining_s:.0f} s… Press Stop to cancel."
    )
