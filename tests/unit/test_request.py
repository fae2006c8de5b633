import base64

import pytest

from core.conversation import ChatParams, ImageAttachment, Message, Status
from core.gateway.request import (
    CONTINUE_PROMPT,
    InputError,
    build_request,
    continuation_history,
    parse_max_completion_tokens,
    validate_participant_name,
)


def _history():
    return [
        Message(role="user", text="Hi", name="ana"),
        Message(role="assistant", text="Hello!", status=Status.COMPLETE),
        Message(role="user", text="Again"),
        Message(role="assistant", text="", status=Status.FAILED),
        Message(role="user", text="Third"),
    ]


def test_only_documented_fields_by_default():
    body = build_request(_history(), ChatParams(model="gpt-4o", stream=False))
    assert set(body) == {"model", "messages", "stream"}
    assert body["model"] == "gpt-4o"
    assert body["stream"] is False


def test_messages_skip_failed_answers_and_keep_names():
    body = build_request(_history(), ChatParams(model="o3"))
    assert body["messages"] == [
        {"role": "user", "content": "Hi", "name": "ana"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Again"},
        {"role": "user", "content": "Third"},
    ]


def test_instructions_come_first_with_their_role():
    params = ChatParams(model="o3", instructions="  Be brief. ", instructions_role="developer")
    assert build_request(_history(), params)["messages"][0] == {"role": "developer", "content": "Be brief."}
    params = ChatParams(model="gpt-4o", instructions="Be brief.", instructions_role="system")
    assert build_request(_history(), params)["messages"][0]["role"] == "system"
    assert (
        build_request(_history(), ChatParams(model="o3", instructions="   "))["messages"][0]["role"] == "user"
    )


def test_max_completion_tokens_only_when_set():
    assert "max_completion_tokens" not in build_request(_history(), ChatParams(model="o3"))
    body = build_request(_history(), ChatParams(model="o3", max_completion_tokens=256))
    assert body["max_completion_tokens"] == 256


def test_stream_options_only_when_streaming_and_asked():
    assert build_request(_history(), ChatParams(model="o3", stream=True), include_usage=True)[
        "stream_options"
    ] == {"include_usage": True}
    assert "stream_options" not in build_request(_history(), ChatParams(model="o3", stream=True))
    assert "stream_options" not in build_request(
        _history(), ChatParams(model="o3", stream=False), include_usage=True
    )


def test_images_become_content_parts_and_text_only_stays_a_string():
    image = ImageAttachment(name="a.png", mime="image/png", data=b"\x89PNG-bytes")
    history = [Message(role="user", text="What is this?", images=[image])]
    content = build_request(history, ChatParams(model="gpt-4o"))["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["type"] == "image_url"
    url = content[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == b"\x89PNG-bytes"


def test_continuation_adds_a_hidden_user_turn():
    history = [Message(role="user", text="Q"), Message(role="assistant", text="Part", status=Status.CUT_OFF)]
    extended = continuation_history(history, name="ana")
    assert len(history) == 2
    assert extended[-1].text == CONTINUE_PROMPT and extended[-1].name == "ana"
    messages = build_request(extended, ChatParams(model="o3"))["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    ("raw", "expected"), [("", None), ("  ", None), ("off", None), ("256", 256), ("4,096", 4096)]
)
def test_max_tokens_accepted(raw, expected):
    assert parse_max_completion_tokens(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("0", "at least 1"), ("-5", "at least 1"), ("abc", "whole number"), ("1.5", "whole number")],
)
def test_max_tokens_rejected_with_a_way_out(raw, fragment):
    with pytest.raises(InputError, match=fragment) as info:
        parse_max_completion_tokens(raw)
    assert "empty for no limit" in str(info.value)


def test_participant_name():
    assert validate_participant_name("  ana_b-1 ") == "ana_b-1"
    assert validate_participant_name("") is None
    with pytest.raises(InputError, match="no spaces"):
        validate_participant_name("Ana B")
