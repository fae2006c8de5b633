"""The answer a reply stands for: its text after `max_completion_tokens`, finish reason and usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devtools.standin.replies import WORD, Reply
from devtools.standin.validation import count_tokens


@dataclass(frozen=True)
class Answer:
    text: str
    finish_reason: str
    model: str
    usage: dict[str, Any]


def plan_answer(reply: Reply, body: dict[str, Any]) -> Answer:
    """Reasoning tokens are spent first and count against the limit, as the contract says."""
    text = reply.text if reply.text is not None else demo_answer(body)
    finish = reply.finish_reason
    words = WORD.findall(text)
    reasoning = reply.reasoning_tokens
    limit = body.get("max_completion_tokens")
    if isinstance(limit, int) and reasoning + len(words) > limit:
        reasoning = min(reasoning, limit)
        text = "".join(words[: limit - reasoning]).rstrip()
        words = WORD.findall(text)
        finish = "length"
    prompt = reply.prompt_tokens if reply.prompt_tokens is not None else count_tokens(body)
    completion = reply.completion_tokens if reply.completion_tokens is not None else len(words) + reasoning
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    return Answer(text, finish, reply.model or body["model"], usage)


def demo_answer(body: dict[str, Any]) -> str:
    """A markdown answer about the last user message, for trying the app without a gateway."""
    question, images = _last_user_message(body["messages"])
    seen = f"\n\nI can see {images} image(s) attached." if images else ""
    return (
        f"You asked: *{question.strip() or '(no text)'}*{seen}\n\n"
        "This answer comes from the **GPTProto stand-in**, a local server that speaks the gateway's "
        "contract. Here is what it can show:\n\n"
        "1. Streaming, word by word\n2. Usage with reasoning and cached tokens\n3. Markdown:\n\n"
        '```python\ndef greet(name: str) -> str:\n    return f"Hello, {name}!"\n```\n\n'
        "| model | role |\n|---|---|\n| o4-mini | reasoning |\n| gpt-4o | vision |\n"
    )


def _last_user_message(messages: list[dict[str, Any]]) -> tuple[str, int]:
    for message in reversed(messages):
        if message["role"] != "user":
            continue
        content = message["content"]
        if isinstance(content, str):
            return content, 0
        text = " ".join(p["text"] for p in content if p["type"] == "text")
        return text, sum(p["type"] == "image_url" for p in content)
    return "", 0
