# mypy: ignore-errors
# (written as the framework's guide writes it, and run in the peer's own environment)
"""Chainlit streaming an OpenAI-compatible answer with `cl.Message.stream_token`, as Chainlit's
OpenAI integration writes it. Runs in the peer's virtual environment:
`chainlit run chainlit_app.py --headless --port N` with GPTPROTO_BASE_URL and GPTPROTO_API_KEY."""

import os

import chainlit as cl
from openai import AsyncOpenAI

client = AsyncOpenAI(base_url=os.environ["GPTPROTO_BASE_URL"], api_key=os.environ["GPTPROTO_API_KEY"])


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("messages", [])


@cl.on_message
async def main(message: cl.Message) -> None:
    messages = cl.user_session.get("messages")
    messages.append({"role": "user", "content": message.content})
    reply = cl.Message(content="")
    stream = await client.chat.completions.create(model="o4-mini", messages=messages, stream=True)
    async for chunk in stream:
        if chunk.choices and (token := chunk.choices[0].delta.content):
            await reply.stream_token(token)
    await reply.send()
    messages.append({"role": "assistant", "content": reply.content})
