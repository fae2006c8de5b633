"""Images through the chat input, as the gateway receives them and as the user sees them."""

from __future__ import annotations

import base64
import io

from PIL import Image

from components.state import chat as chat_state
from devtools.standin import Reply
from tests.app.helpers import bubble_texts, errors, image_captions, start_app


def png(size=(64, 48), color=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def submit(at, text, *files):
    widget = at.chat_input(key=chat_state.INPUT).set_value(text)
    for name, data in files:
        widget.upload(name, data, "image/png")
    at.run()
    assert not at.exception, at.exception
    return at


def test_uploaded_image_reaches_the_gateway_as_a_content_part(gateway_env):
    gateway_env.enqueue(Reply(text="A blue rectangle."))
    at = submit(start_app(), "What is this?", ("blue.png", png()))
    content = gateway_env.requests[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["type"] == "image_url"
    sent = base64.b64decode(content[1]["image_url"]["url"].removeprefix("data:image/png;base64,"))
    assert Image.open(io.BytesIO(sent)).size == (64, 48)
    assert bubble_texts(at)[-1] == ("assistant", "A blue rectangle.")
    assert image_captions(at) == [["blue.png"]]  # the user's thumbnail


def test_thumbnail_stays_after_reruns_and_history_is_resent_with_the_image(gateway_env):
    at = submit(start_app(), "First", ("a.png", png()), ("b.png", png(color=(0, 0, 0))))
    at.run()
    assert image_captions(at) == [["a.png", "b.png"]]
    submit(at, "And now?")
    first_turn = gateway_env.requests[-1].body["messages"][0]["content"]
    assert [part["type"] for part in first_turn] == ["text", "image_url", "image_url"]


def test_corrupt_file_names_itself_and_keeps_the_text(gateway_env):
    at = submit(start_app(), "Look at this", ("broken.png", png()[:100]))
    assert "broken.png is corrupt or truncated" in errors(at)
    assert at.chat_input(key=chat_state.INPUT).value == "Look at this"
    assert gateway_env.requests == [] and bubble_texts(at) == []


def test_too_many_images(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_IMAGE_MAX_COUNT", "1")
    at = submit(start_app(), "Two?", ("a.png", png()), ("b.png", png()))
    assert "2 attached, at most 1" in errors(at)
    assert gateway_env.requests == []


def test_image_links_are_sent_only_on_opt_in(gateway_env):
    prompt = "Describe https://example.com/cat.png please"
    at = submit(start_app(), prompt)
    assert gateway_env.requests[-1].body["messages"][-1]["content"] == prompt
    assert "sent as text" in "\n".join(info.value for info in at.info)
    at.toggle(key=chat_state.LINK_IMAGES).set_value(True).run()
    submit(at, "And https://example.com/dog.jpg")
    content = gateway_env.requests[-1].body["messages"][-1]["content"]
    assert content[1] == {"type": "image_url", "image_url": {"url": "https://example.com/dog.jpg"}}


def test_model_without_vision_names_the_models_that_have_it(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_VISION_MODELS", "gpt-4o,o3")
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value("gpt-4o-mini").run()
    gateway_env.vision_models = {"gpt-4o", "o3"}
    submit(at, "See?", ("a.png", png()))
    message = errors(at)
    assert "does not accept images" in message and "gpt-4o, o3" in message
    assert bubble_texts(at)[0][0] == "user"
