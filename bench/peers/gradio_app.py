# mypy: ignore-errors
# (written as the framework's guide writes it, and run in the peer's own environment)
"""Gradio's `ChatInterface` streaming an OpenAI-compatible answer, as Gradio's own guide writes it
("Creating a Chatbot Fast": a generator that yields the growing reply). Runs in the peer's
virtual environment: `python gradio_app.py` with GPTPROTO_BASE_URL, GPTPROTO_API_KEY and PORT."""

import os

import gradio as gr
from openai import OpenAI

client = OpenAI(base_url=os.environ["GPTPROTO_BASE_URL"], api_key=os.environ["GPTPROTO_API_KEY"])


def _text(content: object) -> str:
    # Gradio 6 may hand history content back as a list of parts.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def respond(message, history):
    messages = [{"role": m["role"], "content": _text(m["content"])} for m in history]
    messages.append({"role": "user", "content": message})
    stream = client.chat.completions.create(model="o4-mini", messages=messages, stream=True)
    partial = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            partial += chunk.choices[0].delta.content
            yield partial


demo = gr.ChatInterface(respond, title="ChatGPT-like clone")

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", server_port=int(os.environ["PORT"]), show_error=True)
