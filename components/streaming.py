"""The one driver for every stream the UI shows: a chat answer is one lane, a Compare round is
one lane per model. It owns the tick loop, what each event draws, the waiting and retry lines,
the finish and the cancel; pages only say what to send and where to draw it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

from components.config import gateway_for
from components.stream_view import StreamView
from core.chat_flow import fail_before_sending
from core.conversation import ChatParams, Message, Status
from core.errors import context_error, with_vision_models
from core.events import Event, Failure, Finish, RetryWait, TextDelta
from core.limits import ContextTooLong, context_window, fit_context
from core.presentation import format_waited
from core.pump import EventPump
from core.request import build_request
from core.settings import Settings
from core.turn import TurnRecorder

if TYPE_CHECKING:
    from core.gateway import Gateway

AnswerHook = Callable[[Message], None]


@dataclass
class Lane:
    """One answer being streamed: the call that feeds it and the view that shows it."""

    gateway: Gateway | None  # None: not sent (the answer already says why)
    body: dict[str, Any]
    answer: Message
    view: StreamView
    label: str  # who the user waits for: the model, or its blind label ("Model A")
    vision_models: Sequence[str] = ()
    on_text: AnswerHook | None = None  # after new text arrived (cheap: checkpoints, captions)
    on_settled: AnswerHook | None = None  # once, with the final status, however the run ends
    recorder: TurnRecorder = field(init=False)

    def __post_init__(self) -> None:
        if self.gateway is not None:
            self.recorder = TurnRecorder(self.answer)

    def apply(self, event: Event, stop_label: str) -> None:
        """Record one event and draw what it changed."""
        self.recorder.apply(event)
        if isinstance(event, Finish | Failure):
            self.view.finish(self.answer.text)  # the last words now, before closing and saving
        elif isinstance(event, TextDelta):
            self.view.show_text(self.answer.text)
            if self.on_text is not None:
                self.on_text(self.answer)
        elif isinstance(event, RetryWait):
            self.view.show_status(retry_text(event, stop_label))

    def show_waiting(self, waited_s: float) -> None:
        """'Waiting for o4-mini… 3 s' until this answer's first new words."""
        if self.gateway is None:
            return
        recorder = self.recorder
        if self.answer.status == Status.STREAMING and recorder.retry_wait is None and not recorder.new_text:
            self.view.show_status(f"Waiting for {self.label}…{format_waited(waited_s)}")

    def settle(self) -> None:
        """The final status (stopped if the run ended mid-stream), then the settled hook."""
        if self.gateway is not None:
            self.recorder.stop()
        if self.answer.error is not None:
            self.answer.error = with_vision_models(self.answer.error, self.vision_models)
        if self.on_settled is not None:
            self.on_settled(self.answer)


def open_lane(
    settings: Settings,
    api_key: str,
    context: Sequence[Message],
    params: ChatParams,
    answer: Message,
    *,
    label: str,
    stop_key: str | None = None,
    on_text: AnswerHook | None = None,
    on_settled: AnswerHook | None = None,
) -> Lane:
    """A lane for `answer`, drawn where the caller is (inside its bubble or column). The waiting
    line (and the Stop button, given its key) are drawn first: the client may still be loading.
    A conversation longer than the model's context window is trimmed, oldest exchanges first, and
    the user told; when even the latest prompt does not fit, nothing is sent and the answer says
    why."""
    try:
        fit = fit_context(context, params, context_window(settings.context_windows, params.model))
    except ContextTooLong as exc:
        fail_before_sending(answer, context_error(str(exc)))
        return Lane(None, {}, answer, StreamView(), label, on_settled=on_settled)
    if fit.notice:
        st.caption(fit.notice)
    view = StreamView()
    if answer.text:  # a Continue: the earlier text stays on show while the rest streams
        view.show_text(answer.text, force=True)
    else:
        view.show_status(f"Waiting for {label}…")
    if stop_key is not None:
        view.show_stop(stop_key)
    gateway = gateway_for(settings, api_key)
    body = build_request(fit.history, params, include_usage=gateway.wants_usage())
    return Lane(
        gateway, body, answer, view, label, settings.vision_models, on_text=on_text, on_settled=on_settled
    )


def run_lanes(lanes: Sequence[Lane], *, stop_label: str = "Stop") -> None:
    """Stream every lane at once until each has ended. A Stop press or a rerun ends the run
    mid-stream: every call still open is closed, and each answer keeps its text, marked stopped."""
    started = time.monotonic()
    try:
        calls = {index: (lane.gateway, lane.body) for index, lane in enumerate(lanes) if lane.gateway}
        with EventPump(calls) as pump:
            for tick in pump.ticks():
                if tick is None:
                    # A quiet tick, also where a Stop press reaches the run when nothing streams.
                    for lane in lanes:
                        lane.show_waiting(time.monotonic() - started)
                    continue
                index, event = tick
                lanes[index].apply(event, stop_label)
    finally:
        for lane in lanes:
            lane.settle()
    for lane in lanes:
        lane.view.finish(lane.answer.text)  # a lane cancelled without an event still ends drawn


def retry_text(wait: RetryWait, stop_label: str) -> str:
    """The countdown line before an automatic retry."""
    return (
        f"{wait.error.title}. Retrying (attempt {wait.attempt} of {wait.attempts}) "
        f"in {wait.remaining_s:.0f} s… Press {stop_label} to cancel."
    )
