"""Driving the app with AppTest against the stand-in."""

from __future__ import annotations

import re

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from components.state import chat as chat_state
from components.state import compare as compare_state
from core.branches import ConversationTree
from core.conversation import Message
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def start_app(timeout: float = 30) -> AppTest:
    """The app on its default page, run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Make AppTest's next run open the page app.py registers at `url_path`.

    `AppTest.switch_page` takes a page's file, and our pages are functions: a page is known to
    Streamlit by the hash of its URL path (`st.Page._script_hash`), so that is what is set."""
    at._page_hash = calc_hash(url_path)
    return at


def app_on(url_path: str, timeout: float = 30) -> AppTest:
    """The app (sign-in gate included) opened on the page at `url_path`, not yet run."""
    return open_page(AppTest.from_file(APP, default_timeout=timeout), url_path)


def send(at: AppTest, text: str, key: str = chat_state.INPUT) -> AppTest:
    """Type a prompt into the chat input `key` (the Chat page's by default) and submit it."""
    at.chat_input(key=key).set_value(text).run()
    assert not at.exception, at.exception
    return at


def bubble_texts(at: AppTest) -> list[tuple[str, str]]:
    """(role, markdown text) for every bubble."""
    return [(message.name, " ".join(md.value for md in message.markdown)) for message in at.chat_message]


def as_read(markdown: str) -> str:
    """Markdown as its reader sees the words: the app escapes the markup characters of names,
    errors and figures it shows (`\\[`, `\\$`), and the browser shows them without the backslash."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def captions(at: AppTest) -> str:
    """All captions on the page joined, as read, for usage-line assertions."""
    return as_read("\n".join(caption.value for caption in at.caption))


def errors(at: AppTest) -> str:
    """All error boxes joined, as read."""
    return as_read("\n".join(error.value for error in at.error))


def image_captions(at: AppTest) -> list[list[str]]:
    """The captions of every st.image element, one list per element."""
    from streamlit.testing.v1.element_tree import Image

    return [node.captions for node in at.get("image") if isinstance(node, Image)]


def shown_messages(at: AppTest) -> list[Message]:
    """The chat page's conversation as drawn: the tree's path on show."""
    tree: ConversationTree = at.session_state[chat_state.TREE]
    return tree.path()


def record_sent() -> list[bytes]:
    """Inside an AppTest script: from now on, every message the run sends is also appended,
    serialised, to the list returned."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    assert ctx is not None
    sent: list[bytes] = []
    forward = ctx._enqueue

    def record(msg: ForwardMsg) -> None:
        sent.append(msg.SerializeToString())
        forward(msg)

    ctx._enqueue = record
    return sent


def parsed(sent: list[bytes]) -> list[ForwardMsg]:
    """What record_sent() collected, as messages."""
    messages = []
    for raw in sent:
        message = ForwardMsg()
        message.ParseFromString(raw)
        messages.append(message)
    return messages


def reopen_conversation(conversation_id: str) -> AppTest:
    """A new browser session opening the conversation's URL (what a reload does)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params[chat_state.QUERY] = conversation_id
    at.run()
    assert not at.exception, at.exception
    return at


def reopen_comparison(comparison_id: str) -> AppTest:
    """A new browser session opening the comparison's URL."""
    at = app_on("compare")
    at.query_params[compare_state.QUERY] = comparison_id
    at.run()
    assert not at.exception, at.exception
    return at
