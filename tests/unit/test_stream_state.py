from core.answer_notes import answer_metrics, reasoning_spent_limit, status_note, usage_line
from core.chat_flow import can_continue, continue_answer, retry, send
from core.conversation import Message, Status, Usage
from core.gateway.errors import ErrorKind, classify_status
from core.gateway.events import Failure, Finish, RetryWait, TextDelta, UsageReport, UsageUnavailable
from core.stream_state import StreamState


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _record(events, clock=None, answer=None):
    clock = clock or FakeClock()
    answer = answer or Message(role="assistant", model="o4-mini")
    stream_state = StreamState(answer, clock=clock)
    for delay, event in events:
        clock.now += delay
        stream_state.apply(event)
    return answer


def test_text_usage_and_timings():
    usage = Usage(
        prompt_tokens=11, completion_tokens=40, total_tokens=51, reasoning_tokens=8, cached_tokens=2
    )
    answer = _record(
        [(0.5, TextDelta("Hel")), (0.5, TextDelta("lo")), (0.5, UsageReport(usage)), (0.0, Finish("stop"))]
    )
    assert answer.text == "Hello"
    assert answer.status == Status.COMPLETE
    assert answer.timing.first_token_s == 0.5
    assert answer.timing.total_s == 1.5
    metrics = answer_metrics(answer)
    assert metrics.tokens_per_s == 40 / 1.0
    line = usage_line(answer)
    for fragment in (
        "o4-mini",
        "11 prompt",
        "40 completion",
        "8 reasoning",
        "2 cached",
        "first token 500 ms",
        "total 1.5 s",
        "40.0 tokens/s",
    ):
        assert fragment in line


def test_usage_not_reported_is_never_estimated():
    answer = _record([(0.1, UsageUnavailable()), (0.1, TextDelta("Hi")), (0.1, Finish("stop"))])
    assert not answer.usage_reported
    assert "usage not reported" in usage_line(answer)
    assert "tokens/s" not in usage_line(answer)


def test_stream_without_usage_chunk_says_so():
    answer = _record([(0.1, TextDelta("Hi")), (0.1, Finish("stop"))])
    assert answer.usage is None and not answer.usage_reported


def test_length_is_cut_off_and_continuable():
    answer = _record([(0.1, TextDelta("Part")), (0.1, Finish("length"))])
    assert answer.status == Status.CUT_OFF
    assert can_continue(answer)
    assert "Continue" in (status_note(answer) or "")


def test_reasoning_spent_the_limit_hint():
    answer = _record(
        [(0.1, UsageReport(Usage(completion_tokens=64, reasoning_tokens=64))), (0.1, Finish("length"))]
    )
    assert reasoning_spent_limit(answer)
    assert "spent on reasoning" in (status_note(answer) or "")


def test_missing_finish_reason_is_incomplete_not_success():
    answer = _record([(0.1, TextDelta("Half")), (0.1, Finish(None))])
    assert answer.status == Status.INCOMPLETE
    assert answer.error is not None and answer.error.kind == ErrorKind.INCOMPLETE
    assert answer.text == "Half"


def test_failure_keeps_partial_text():
    error = classify_status(500, "boom")
    answer = _record([(0.1, TextDelta("Half")), (0.1, Failure(error))])
    assert answer.status == Status.FAILED and answer.text == "Half" and answer.error == error


def test_stop_keeps_partial_text():
    answer = Message(role="assistant", model="o3")
    stream_state = StreamState(answer, clock=FakeClock())
    stream_state.apply(TextDelta("Some"))
    stream_state.stop()
    assert answer.status == Status.STOPPED and answer.text == "Some"


def test_retry_wait_restarts_the_clock():
    clock = FakeClock()
    error = classify_status(429, "slow")
    answer = _record(
        [(0.1, RetryWait(2, 3, 1.0, error)), (2.0, TextDelta("x")), (0.5, Finish("stop"))], clock
    )
    assert answer.timing.first_token_s == 0.0
    assert answer.timing.total_s == 0.5


def test_send_retry_continue_flow_keeps_user_message_once():
    history: list[Message] = []
    turn = send(history, "Question", "o3", name="ana")
    assert [m.role for m in history] == ["user", "assistant"]
    assert turn.context == history[:1]
    turn.answer.status = Status.FAILED
    again = retry(history, "gpt-4o")
    assert again is not None
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[0].text == "Question" and history[1].model == "gpt-4o"
    again.answer.text, again.answer.status = "Partial", Status.CUT_OFF
    more = continue_answer(history, "gpt-4o")
    assert more is not None and more.continuing and more.answer is history[-1]
    assert more.context[-1].role == "user" and len(history) == 2


def test_continue_appends_and_sums_usage():
    answer = Message(
        role="assistant",
        model="o3",
        text="Part one",
        status=Status.CUT_OFF,
        usage=Usage(completion_tokens=10, total_tokens=15),
    )
    _record(
        [
            (0.1, TextDelta(", part two")),
            (0.1, UsageReport(Usage(completion_tokens=5, total_tokens=9))),
            (0.0, Finish("stop")),
        ],
        answer=answer,
    )
    assert answer.text == "Part one, part two"
    assert answer.usage == Usage(completion_tokens=15, total_tokens=24)
    assert answer.status == Status.COMPLETE


def test_nothing_to_continue_or_retry():
    assert retry([], "o3") is None
    complete = [Message(role="user", text="q"), Message(role="assistant", text="a", status=Status.COMPLETE)]
    assert continue_answer(complete, "o3") is None
