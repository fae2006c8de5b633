"""The app's pages by name, as app.py registered them with `st.navigation`, for the links and
switches between pages (a page that is a function has no file path to name it by); and the way
back through app.py for a run that Streamlit started without it."""

from __future__ import annotations

import importlib
import runpy
from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

CHAT = "chat"
COMPARE = "compare"
CONVERSATIONS = "history"
SHARED_LINK = "shared"
ADMIN = "admin"
EVERY_PATH = (CHAT, COMPARE, CONVERSATIONS, SHARED_LINK, ADMIN)

# The same objects for every session: switching and linking only use a page's URL path, which
# does not differ between people (the Admin page's visibility does, and is not read here).
_registered: dict[str, StreamlitPage] = {}


def page_function(module: str, name: str) -> Callable[[], None]:
    """The page function `name` of `pages.<module>`, imported when the page first runs, so a run
    loads only the page it shows (importing every page's components costs a fresh server's first
    paint about a second on a busy machine)."""

    def run_page() -> None:
        function: Callable[[], None] = getattr(importlib.import_module(f"pages.{module}"), name)
        function()

    run_page.__name__ = name
    return run_page


def register(pages: Mapping[str, StreamlitPage]) -> None:
    """Remember the pages app.py handed to `st.navigation`, by their URL path."""
    _registered.update(pages)


def page(url_path: str) -> StreamlitPage:
    """The registered page at `url_path` (one of the names above)."""
    return _registered[url_path]


def run_the_app_instead() -> None:
    """Run app.py, gate first, in place of a pages/ file that Streamlit ran by itself.

    A server whose app folder has `pages/` runs Streamlit's first multipage scheme until some
    session has called `st.navigation`: the first visitor of a fresh server who opens `/chat` runs
    pages/chat.py alone, never app.py. Run there, app.py's own `st.navigation` replaces that
    scheme's page list and opens the page at the same URL path (a page's identity is its path),
    after the sign-in gate."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        runpy.run_path(ctx.main_script_path, run_name="__main__")


def only(draw: Callable[[], None], title: str) -> None:
    """Serve `draw` on every path, and nothing else: the navigation a refused visitor gets, so no
    page, and no list of pages, is drawn for them whichever URL they opened (`/` included, and
    `/chat`, which is the Chat page's file name but not its URL)."""
    everywhere = [st.Page(draw, title=title, url_path=path) for path in EVERY_PATH]
    root = st.Page(draw, title=title, url_path="sign-in", default=True)
    st.navigation([root, *everywhere], position="hidden").run()
