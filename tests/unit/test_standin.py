"""The stand-in itself follows the contract: the tests that rely on it are only as good as it is."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from devtools.standin import ErrorReply, Reply


def _post(standin, body, key=None, bearer=True):
    key = standin.api_key if key is None else key
    request = urllib.request.Request(
        standin.base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}" if bearer else key},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _body(**extra):
    return {"model": "o4-mini", "messages": [{"role": "user", "content": "Hi"}], **extra}


def test_bearer_and_bare_keys_are_accepted_wrong_key_is_401(standin):
    assert _post(standin, _body())[0] == 200
    assert _post(standin, _body(), bearer=False)[0] == 200
    status, headers, text = _post(standin, _body(), key="sk-wrong")
    assert status == 401 and json.loads(text)["error"]["code"] == "invalid_api_key"
    assert headers["x-request-id"].startswith("req_standin_")


def test_whole_response_has_the_documented_shape(standin):
    standin.enqueue(Reply(text="Hello there.", reasoning_tokens=3, cached_tokens=2))
    status, _, text = _post(standin, _body(stream=False))
    payload = json.loads(text)
    assert status == 200 and payload["object"] == "chat.completion"
    assert payload["choices"][0]["message"] == {"role": "assistant", "content": "Hello there."}
    assert payload["usage"]["completion_tokens"] == 2 + 3
    assert payload["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3
    assert payload["usage"]["prompt_tokens_details"]["cached_tokens"] == 2


def test_stream_ends_with_done_and_usage_only_when_asked(standin):
    standin.enqueue(Reply(text="a b c"), Reply(text="a b c"))
    _, headers, plain = _post(standin, _body(stream=True))
    assert headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in plain.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "a b c"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and "usage" not in chunks[-1]
    _, _, with_usage = _post(standin, _body(stream=True, stream_options={"include_usage": True}))
    last = json.loads([line[6:] for line in with_usage.splitlines() if line.startswith("data: {")][-1])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 3


def test_limit_spends_reasoning_first_and_cuts_with_length(standin):
    standin.enqueue(Reply(text="one two three four", reasoning_tokens=2))
    payload = json.loads(_post(standin, _body(max_completion_tokens=3))[2])
    assert payload["choices"][0]["message"]["content"] == "one"
    assert payload["choices"][0]["finish_reason"] == "length"
    standin.enqueue(Reply(text="one two", reasoning_tokens=10))
    payload = json.loads(_post(standin, _body(max_completion_tokens=5))[2])
    assert payload["choices"][0]["message"]["content"] == ""
    assert payload["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        (_body(messages=[]), "messages"),
        (_body(messages=[{"role": "robot", "content": "x"}]), "messages[0]"),
        (_body(max_completion_tokens=0), "max_completion_tokens"),
        (_body(stream="yes"), "stream"),
        (
            _body(
                messages=[
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}
                ]
            ),
            "messages[0]",
        ),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(standin, body, param):
    status, _, text = _post(standin, body)
    assert status == 400 and json.loads(text)["error"]["param"] == param


def test_rejected_and_strict_params(standin):
    standin.reject_params = {"stream_options"}
    status, _, text = _post(standin, _body(stream=True, stream_options={"include_usage": True}))
    assert status == 400 and "stream_options" in json.loads(text)["error"]["message"]
    standin.reject_params = set()
    standin.strict = True
    assert _post(standin, _body(temperature=0.2))[0] == 400
    assert _post(standin, _body(max_completion_tokens=None, stream=False))[0] == 200


def test_a_parameter_can_be_refused_as_openai_does_for_every_model_or_some(standin):
    standin.unsupported_params = {"temperature": {"o3"}}
    status, _, text = _post(standin, _body(model="o3", temperature=0.2))
    assert status == 400
    assert json.loads(text) == {
        "error": {
            "message": "Unsupported parameter: 'temperature' is not supported with this model (o3).",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "unsupported_parameter",
        }
    }
    assert _post(standin, _body(model="o3"))[0] == 200  # without it, the same model answers
    assert _post(standin, _body(model="gpt-4o", temperature=0.2))[0] == 200  # another model takes it
    standin.unsupported_params = {"reasoning_effort": set()}
    assert _post(standin, _body(model="gpt-4o", reasoning_effort="low"))[0] == 400


def test_images_to_a_model_without_vision_are_refused(standin):
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "look"}, image]}]
    assert _post(standin, _body(messages=messages))[0] == 200
    status, _, text = _post(standin, _body(model="text-only-1", messages=messages))
    assert status == 400 and "does not support image" in json.loads(text)["error"]["message"]


def test_scripted_errors_carry_their_headers(standin):
    standin.enqueue(ErrorReply.rate_limited(retry_after=7))
    status, headers, _ = _post(standin, _body())
    assert status == 429 and headers["retry-after"] == "7"
    assert [r.response_status for r in standin.requests] == [429]


def test_per_model_scripts_come_before_the_shared_queue(standin):
    standin.enqueue(Reply(text="shared one"), Reply(text="shared two"))
    standin.enqueue_for("gpt-4o", ErrorReply.unauthorized(), Reply(text="for gpt-4o"))
    assert _post(standin, _body(model="gpt-4o"))[0] == 401
    assert json.loads(_post(standin, _body())[2])["choices"][0]["message"]["content"] == "shared one"
    answer = json.loads(_post(standin, _body(model="gpt-4o"))[2])
    assert answer["choices"][0]["message"]["content"] == "for gpt-4o"
    # Its own queue used up, the model falls back to the shared queue, then the default.
    assert json.loads(_post(standin, _body(model="gpt-4o"))[2])["choices"][0]["message"]["content"] == (
        "shared two"
    )
    assert [r.response_status for r in standin.requests] == [401, 200, 200, 200]
