"""The one driver for every stream the UI shows: a chat answer is one lane, a Compare round is
one lane per model. It owns the tick loop, what each event draws, the waiting and retry lines,
the finish and the cancel; pages only say what to send and where to draw it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

from components.plumbing.config import gateway_for
from components.stream_view import StreamView
from core.answer_notes import format_waited
from core.chat_flow import fail_before_sending
from core.context_fit import ContextTooLong, context_window, fit_context
from core.conversation import ChatParams, Message, Status
from core.drain import REPLICA
from core.gateway.errors import context_error, with_vision_models
from core.gateway.events import Event, Failure, Finish, RetryWait, TextDelta
from core.gateway.pump import EventPump
from core.gateway.request import build_request
from core.safe_text import literal
from core.settings import Settings
from core.stream_state import StreamState

if TYPE_CHECKING:
    from core.gateway.client import Gateway

AnswerHook = Callable[[Message], None]


@dataclass
class Lane:
    """One answer being streamed: the call that feeds it and, once drawn, the view that shows it."""

    gateway: Gateway | None  # None: not sent (the answer already says why)
    body: dict[str, Any]
    answer: Message
    label: str  # who the user waits for: the model, or its blind label ("Model A")
    vision_models: Sequence[str] = ()
    on_text: AnswerHook | None = None  # after new text arrived (cheap: checkpoints, captions)
    on_settled: AnswerHook | None = None  # once, with the final status, however the run ends
    notice: str | None = None  # the conversation was trimmed to fit the model's context window
    view: StreamView = field(init=False)
    stream_state: StreamState = field(init=False)
    _settled: bool = field(init=False, default=False)
    _in_flight: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.gateway is not None:
            self.stream_state = StreamState(self.answer)

    def draw(self, stop_key: str | None = None) -> None:
        """Where the caller is (inside its bubble or column): the trim notice, the waiting line,
        or the text so far on a Continue, and the Stop button given its key."""
        if self.notice:
            st.caption(literal(self.notice))
        self.view = StreamView()
        if self.gateway is None:
            return
        if self.answer.text:  # a Continue: the earlier text stays on show while the rest streams
            self.view.show_text(self.answer.text, force=True)
        else:
            self.view.show_status(f"Waiting for {self.label}…")
        if stop_key is not None:
            self.view.show_stop(stop_key)

    def apply(self, event: Event, stop_label: str) -> None:
        """Record one event and draw what it changed."""
        self.stream_state.apply(event)
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
        state = self.stream_state
        if self.answer.status == Status.STREAMING and state.retry_wait is None and not state.new_text:
            self.view.show_status(f"Waiting for {self.label}…{format_waited(waited_s)}")

    def sent(self) -> None:
        """Its request has left: the answer counts as streaming (for a drain and the metrics)
        until it settles."""
        if self.gateway is not None and not self._in_flight:
            self._in_flight = True
            REPLICA.started()

    def interrupt(self) -> None:
        """The replica is stopping and its grace is over: keep the text so far, as interrupted."""
        if self.gateway is not None:
            self.stream_state.interrupt()

    def settle(self) -> None:
        """Once: the final status (stopped if the run ended mid-stream), then the settled hook;
        only then may a draining replica, which waits for the save, stop."""
        if self._settled:
            return
        self._settled = True
        try:
            if self.gateway is not None:
                self.stream_state.stop()
            if self.answer.error is not None:
                self.answer.error = with_vision_models(self.answer.error, self.vision_models)
            if self.on_settled is not None:
                self.on_settled(self.answer)
        finally:
            if self._in_flight:
                REPLICA.ended()


def prepare_lane(
    settings: Settings,
    api_key: str,
    context: Sequence[Message],
    params: ChatParams,
    answer: Message,
    *,
    label: str,
    on_text: AnswerHook | None = None,
    on_settled: AnswerHook | None = None,
) -> Lane:
    """A lane for `answer`, nothing drawn yet. A conversation longer than the model's context
    window is trimmed, oldest exchanges first (the lane's notice tells the user); when even the
    latest prompt does not fit, nothing is sent and the answer says why."""
    try:
        fit = fit_context(context, params, context_window(settings.context_windows, params.model))
    except ContextTooLong as exc:
        fail_before_sending(answer, context_error(str(exc)))
        return Lane(None, {}, answer, label, on_settled=on_settled)
    gateway = gateway_for(settings, api_key)
    body = build_request(fit.history, params, include_usage=gateway.wants_usage())
    return Lane(
        gateway,
        body,
        answer,
        label,
        settings.vision_models,
        on_text=on_text,
        on_settled=on_settled,
        notice=fit.notice,
    )


def start_lanes(lanes: Sequence[Lane]) -> EventPump[int]:
    """Send every lane's request now; run_lanes then streams them. Whoever starts them must see
    that run_lanes runs or the pump is cancelled and the lanes settled, however the run ends."""
    calls = {index: (lane.gateway, lane.body) for index, lane in enumerate(lanes) if lane.gateway}
    pump = EventPump(calls).start()
    for lane in lanes:
        lane.sent()
    return pump


def run_lanes(lanes: Sequence[Lane], *, pump: EventPump[int] | None = None, stop_label: str = "Stop") -> None:
    """Stream every lane at once until each has ended (their requests sent now, or already by
    `pump`). A Stop press or a rerun ends the run mid-stream: every call still open is closed,
    and each answer keeps its text, marked stopped. When a draining replica's grace runs out,
    each keeps its text marked interrupted, and the run ends."""
    try:
        with pump or start_lanes(lanes) as running:
            started = running.started_at or time.monotonic()
            for tick in running.ticks():
                if REPLICA.grace_over():
                    for lane in lanes:
                        lane.interrupt()
                    break
                if tick is None:
                    # A quiet tick, also where a Stop press reaches the run when nothing streams.
                    for lane in lanes:
                        lane.show_waiting(time.monotonic() - started)
                    continue
                index, event = tick
                lanes[index].apply(event, stop_label)
    finally:
        settle_all(lanes)
    for lane in lanes:
        lane.view.finish(lane.answer.text)  # a lane cancelled without an event still ends drawn


def settle_all(lanes: Sequence[Lane]) -> None:
    """Settle every lane, even when one's hook raises: once a closed tab has stopped the script,
    every st call raises, and the lanes after it must still record their usage. The first error
    is raised again once all have settled."""
    error: BaseException | None = None
    for lane in lanes:
        try:
            lane.settle()
        except BaseException as exc:  # StopException included; raised again below
            error = error or exc
    if error is not None:
        raise error


def retry_text(wait: RetryWait, stop_label: str) -> str:
    """The countdown line before an automatic retry."""
    return (
        f"{wait.error.title}. Retrying (attempt {wait.attempt} of {wait.attempts}) "
        f"in {wait.remaining_s:.0f} s… Press {stop_label} to cancel."
    )
