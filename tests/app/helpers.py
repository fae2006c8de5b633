"""Driving the app with AppTest against the stand-in."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from components.state import chat as chat_state
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


def captions(at: AppTest) -> str:
    """All captions on the page joined, for usage-line assertions."""
    return "\n".join(caption.value for caption in at.caption)


def errors(at: AppTest) -> str:
    """All error boxes joined."""
    return "\n".join(error.value for error in at.error)


def image_captions(at: AppTest) -> list[list[str]]:
    """The captions of every st.image element, one list per element."""
    from streamlit.testing.v1.element_tree import Image

    return [node.captions for node in at.get("image") if isinstance(node, Image)]


def shown_messages(at: AppTest) -> list[Message]:
    """The chat page's conversation as drawn: the tree's path on show."""
    tree: ConversationTree = at.session_state[chat_state.TREE]
    return tree.path()
