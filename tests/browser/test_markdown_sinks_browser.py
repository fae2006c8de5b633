"""Every place the page shows text someone else wrote, with a markdown image in it, in a real
browser: a listener on loopback records every request the page makes to it, and none arrives.
Each place gets its own address, so a hit names the place that fetched it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from core.branches import ConversationTree
from core.conversation import ChatParams, ImageAttachment, user_message
from core.formats.conversation import export_json
from core.prompt_sets import PromptItem, PromptSet
from core.storage import ConversationStore, PromptSetStore, database_url, make_engine, migrate
from devtools.browser import free_port
from devtools.standin import ErrorReply, Reply
from tests.browser.conftest import OIDC_COOKIE_SECRET, AppServer, app_env, new_page
from tests.browser.helpers import pick_option, select_box, send
from tests.oidc import OidcProvider, sign_in, write_auth_secrets

pytestmark = pytest.mark.browser

# The smallest GIF: what an attacker's server would answer, so a fetched image would load.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


class Listener:
    """An HTTP server on 127.0.0.1 that answers every GET with an image and records its path."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(PIXEL)))
                self.end_headers()
                self.wfile.write(PIXEL)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.hits = hits
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def payload(self, place: str) -> str:
        """A markdown image that, rendered, makes the browser fetch /<place> from this listener."""
        return f"![p]({self.base}{place})"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    started = Listener()
    yield started
    started.stop()


def shown_as_text(where: Page | Locator, listener: Listener, place: str) -> None:
    """The payload for `place` is on the page as its own characters, and nothing was fetched."""
    payload = listener.payload(place)
    try:
        expect(where.get_by_text(payload, exact=False).first).to_be_visible()
    except AssertionError:
        raise AssertionError(f"{place}: the payload is not shown as text; fetched: {listener.hits}") from None
    assert listener.hits == [], f"{place}: fetched {listener.hits}"


def no_image_from(page: Page, listener: Listener) -> None:
    expect(page.locator(f"img[src^='{listener.base}']")).to_have_count(0)
    assert listener.hits == []


def store_for(workdir: Path, user_id: str = "local") -> ConversationStore:
    engine = make_engine(database_url(str(workdir / "data"), None))
    migrate(engine)
    return ConversationStore(engine, user_id)


def upload(page: Page, area: Locator, name: str, data: bytes) -> None:
    """Pick a file in the file uploader inside `area` and wait until it is uploaded."""
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        payload: FilePayload = {"name": name, "mimeType": "application/json", "buffer": data}
        area.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files=[payload])
    expect(area.get_by_test_id("stFileChipName").filter(has_text=name)).to_be_visible()


def test_chat_error_card_delete_dialog_and_a_stored_image_link_fetch_nothing(
    page: Page, app_server: AppServer, standin, listener: Listener, tmp_path
):
    # A chat stored with an image link that breaks out of a markdown link (as an import used to
    # store it, and a share link carried it to everyone who opened it).
    breakout = f"https://x.example/a.png){listener.payload('image-url')}"
    tree = ConversationTree()
    tree.add(user_message("Look at this", images=[ImageAttachment("a.png", "", b"", url=breakout)]))
    stored = store_for(tmp_path).add_conversation("Linked image", ChatParams("o4-mini"), tree)

    standin.enqueue(ErrorReply(400, f"Your input {listener.payload('gateway-error')} is invalid."))
    page.goto(app_server.url)
    send(page, f"Delete me {listener.payload('prompt')}")
    shown_as_text(page, listener, "gateway-error")

    page.get_by_test_id("stChatMessage").first.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    shown_as_text(dialog, listener, "prompt")  # the preview of the message to delete
    dialog.get_by_role("button", name="Cancel").click()

    page.goto(f"{app_server.url}/?c={stored}")
    expect(page.get_by_text("a.png (image link not shown: not a plain https address)")).to_be_visible()
    no_image_from(page, listener)


def test_conversation_titles_imports_and_their_messages_fetch_nothing(
    page: Page, app_server: AppServer, listener: Listener, tmp_path
):
    tree = ConversationTree()
    tree.add(user_message("Hello"))
    store_for(tmp_path).add_conversation(listener.payload("title"), ChatParams("o4-mini"), tree)
    page.goto(app_server.url)
    page.get_by_role("link", name="Conversations").first.click()
    main = page.locator("main")
    main.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    shown_as_text(dialog, listener, "title")  # "... will be deleted"
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    shown_as_text(main, listener, "title")  # the row

    imports = page.get_by_test_id("stExpander").filter(has_text="Import a conversation")
    imports.get_by_text("Import a conversation").click()
    exported = json.loads(export_json(listener.payload("import-title"), ChatParams("o4-mini"), tree))
    upload(page, imports, "chat.json", json.dumps(exported).encode())
    imports.get_by_role("button", name="Import").click()
    shown_as_text(imports, listener, "import-title")  # Imported "<title>".

    exported["messages"][0][listener.payload("import-key")] = "a\u0000b"  # the error names the key
    upload(page, imports, "keyed.json", json.dumps(exported).encode())
    imports.get_by_role("button", name="Import").click()
    shown_as_text(imports, listener, "import-key")

    linked = ConversationTree()
    breakout = f"https://x.example/a.png){listener.payload('import-url')}"
    linked.add(user_message("Look", images=[ImageAttachment("a.png", "", b"", url=breakout)]))
    upload(page, imports, "linked.json", export_json("Linked", ChatParams("o4-mini"), linked).encode())
    imports.get_by_role("button", name="Import").click()
    expect(imports.get_by_text("url must be a plain https link", exact=False)).to_be_visible()
    no_image_from(page, listener)


@pytest.fixture
def compare_server(standin, tmp_path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, GPTPROTO_MODELS="o4-mini,gpt-4o"
    )
    started = AppServer(env, tmp_path).start()
    yield started
    started.stop()


def test_prompt_set_names_in_notices_and_the_progress_bar_fetch_nothing(
    page: Page, compare_server: AppServer, standin, listener: Listener, tmp_path
):
    sets = PromptSetStore(store_for(tmp_path).engine, "local")
    sets.save(PromptSet(listener.payload("set-name"), (PromptItem("One prompt"),)))
    for model in ("o4-mini", "gpt-4o"):
        standin.enqueue_for(model, Reply(text=" ".join(["slow"] * 60), chunk_delay=0.03))
    page.goto(f"{compare_server.url}/compare")
    main = page.locator("main")

    editor = main.get_by_test_id("stExpander").filter(has_text="Prompt sets:")
    editor.get_by_text("Prompt sets:").click()
    importer = editor.get_by_role("region", name="Import a prompt set")
    imported = {"format": "gptproto-chat.prompt-set", "version": 1, "name": listener.payload("set-import")}
    imported["prompts"] = [{"text": "Hi"}]
    upload(page, importer, "set.json", json.dumps(imported).encode())
    editor.get_by_role("button", name="Import").click()
    # The imported set is now the one being edited: its editor is drawn anew, folded.
    main.get_by_text("Prompt sets: edit the prompt set").click()
    shown_as_text(editor, listener, "set-import")  # Imported "<name>" (1 prompts).

    page.goto(f"{compare_server.url}/compare")  # a fresh session: no set picked yet
    pick_option(page, select_box(main, "Prompt set"), "set-name", exact=False)
    main.get_by_role("button", name="Run all (1 left)").click()
    shown_as_text(main.get_by_test_id("stProgress").first, listener, "set-name")  # Prompt 1 of 1 · <name>
    expect(main.get_by_text("All 1 prompts of", exact=False)).to_be_visible(timeout=30_000)
    shown_as_text(main.get_by_test_id("stAlert"), listener, "set-name")  # the notice once it ran
    no_image_from(page, listener)


def test_the_signed_in_email_and_the_admin_limits_note_fetch_nothing(
    browser: Browser, standin, oidc_provider: OidcProvider, listener: Listener, tmp_path
):
    port = free_port()
    write_auth_secrets(tmp_path, oidc_provider, f"http://127.0.0.1:{port}/oauth2callback", OIDC_COOKIE_SECRET)
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, GPTPROTO_ADMINS="ann-sub"
    )
    server = AppServer(env, tmp_path, port).start()
    try:
        email = f"ann@example.com{listener.payload('email')}"
        ann = oidc_provider.add_user("ann-sub", email, f"Ann {listener.payload('name')}")
        page = new_page(browser)
        sign_in(page, server.url, ann, signed_in_text="Sign out")
        sidebar = page.get_by_test_id("stSidebar")
        shown_as_text(sidebar, listener, "email")
        shown_as_text(sidebar, listener, "name")

        page.get_by_role("link", name="Admin").click()
        expect(page.get_by_role("heading", name="Limits per user")).to_be_visible()
        page.get_by_label("Requests per minute").fill("5")
        page.get_by_role("button", name="Save limits").click()
        expect(page.get_by_text("Limits saved for", exact=False)).to_be_visible()
        shown_as_text(page.get_by_test_id("stAlert"), listener, "email")  # Limits saved for <email>
        no_image_from(page, listener)
    finally:
        server.stop()
