"""Share links in the browser, between two people signed in through a real OIDC provider: the
owner shares a chat, a colleague opens it read-only and sees nothing added after sharing, can
copy it into their own chats, never reaches the owner's other chats, and gets the missing page
once the owner revokes the link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, new_page
from tests.browser.helpers import bubbles, rerun, send
from tests.oidc import (
    OidcProvider,
    sign_in,
)

pytestmark = pytest.mark.browser

MISSING = "That page does not exist (or is no longer shared)."
NOT_YOURS = "That conversation does not exist (or is not yours)."
CHAT_ID = re.compile(r"\?c=([0-9a-f]{32})")


def chat_id(page: Page) -> str:
    expect(page).to_have_url(CHAT_ID)
    found = CHAT_ID.search(page.url)
    assert found is not None
    return found.group(1)


def conversations_page(page: Page) -> None:
    page.get_by_role("link", name="Conversations").first.click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


def row_of(page: Page, title: str) -> Locator:
    """The Conversations page's row for `title` (the innermost block holding it and a Share)."""
    return (
        page.get_by_test_id("stHorizontalBlock")
        .filter(has=page.get_by_text(title, exact=True))
        .filter(has=page.get_by_role("button", name="Share"))
        .last
    )


def share(page: Page, title: str) -> str:
    """Share on the conversation's row, Create link: the link the dialog shows."""
    row_of(page, title).get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Anyone signed in to this app who has the link can open it.")).to_be_visible()
    dialog.get_by_role("button", name="Create link").click()
    code = dialog.get_by_test_id("stCode")
    expect(code).to_contain_text("/shared?s=")
    link = code.inner_text().strip()
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    return link


def test_a_colleague_reads_a_shared_chat_as_it_was_and_loses_it_when_revoked(
    browser: Browser, oidc_app: AppServer, oidc_provider: OidcProvider, standin
):
    alice = oidc_provider.add_user("alice-sub", "alice@example.com", "Alice Doe")
    bob = oidc_provider.add_user("bob-sub", "bob@example.com", "Bob Roe")
    standin.enqueue(
        Reply(text="Only Alice reads this."),
        Reply(text="The tide follows the moon."),
        Reply(text="Twice a day, roughly."),
        Reply(text="Bob goes on from his copy."),
    )

    ann = new_page(browser)
    sign_in(ann, oidc_app.url, alice)
    send(ann, "Alice's private plan")
    expect(ann.get_by_text("Only Alice reads this.")).to_be_visible()
    private_chat = chat_id(ann)
    ann.get_by_role("button", name="New chat").click()
    expect(bubbles(ann)).to_have_count(0)
    send(ann, "Why are there tides")
    expect(ann.get_by_text("The tide follows the moon.")).to_be_visible()
    shared_chat = chat_id(ann)

    conversations_page(ann)
    link = share(ann, "Why are there tides")
    assert re.fullmatch(rf"{re.escape(oidc_app.url)}/shared\?s=[A-Za-z0-9_-]{{43}}", link), link
    shared_links = ann.get_by_text("Shared links (1)")
    expect(shared_links).to_be_visible()

    ben = new_page(browser)
    sign_in(ben, oidc_app.url, bob)
    ben.goto(link)
    expect(ben.get_by_role("heading", name="Why are there tides")).to_be_visible()
    expect(ben.get_by_text("Shared by Alice Doe", exact=False)).to_be_visible()
    expect(bubbles(ben)).to_have_count(2)
    expect(bubbles(ben).nth(1)).to_contain_text("The tide follows the moon.")
    expect(bubbles(ben).nth(1)).to_contain_text("o4-mini")  # the model, with the usage line
    # Read-only: nothing to send, nothing to edit, and the page is not in the menu.
    expect(ben.get_by_test_id("stChatInputTextArea")).to_have_count(0)
    main = ben.get_by_test_id("stMain")
    expect(main.get_by_role("button")).to_have_count(1)
    expect(main.get_by_role("button", name="Copy into my chats")).to_be_visible()
    nav = ben.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Conversations")).to_be_visible()
    expect(nav.get_by_text("Shared")).to_have_count(0)
    expect(ben.get_by_text("Alice's private plan")).to_have_count(0)

    # Alice goes on after sharing; Bob's reload still shows the snapshot.
    ann.goto(f"{oidc_app.url}/?c={shared_chat}")
    expect(ann.get_by_text("The tide follows the moon.")).to_be_visible()
    send(ann, "How often do they come")
    expect(ann.get_by_text("Twice a day, roughly.")).to_be_visible()
    ben.reload()
    expect(bubbles(ben).nth(1)).to_contain_text("The tide follows the moon.")
    expect(bubbles(ben)).to_have_count(2)
    expect(ben.get_by_text("How often do they come")).to_have_count(0)
    expect(ben.get_by_text("Twice a day, roughly.")).to_have_count(0)

    # Nothing leads from the link to Alice's other chats: not the library, not their URLs.
    ben.goto(f"{oidc_app.url}/?c={private_chat}")
    expect(ben.get_by_text(NOT_YOURS, exact=False)).to_be_visible()
    expect(ben.get_by_text("Alice's private plan")).to_have_count(0)
    expect(ben.get_by_text("Only Alice reads this.")).to_have_count(0)
    ben.goto(f"{oidc_app.url}/?c={shared_chat}")
    expect(ben.get_by_text(NOT_YOURS, exact=False)).to_be_visible()
    expect(ben.get_by_text("Twice a day, roughly.")).to_have_count(0)

    # Bob copies it into his own chats and goes on from there.
    ben.goto(link)
    ben.get_by_role("button", name="Copy into my chats").click()
    expect(ben.get_by_test_id("stChatInputTextArea")).to_be_visible()
    expect(bubbles(ben)).to_have_count(2)
    copy = chat_id(ben)
    assert copy not in (shared_chat, private_chat)
    send(ben, "And spring tides")
    expect(ben.get_by_text("Bob goes on from his copy.")).to_be_visible()
    assert [m["content"] for m in standin.requests[-1].body["messages"]] == [
        "Why are there tides",
        "The tide follows the moon.",
        "And spring tides",
    ]

    # Alice revokes: the link answers like a missing page, and Bob's copy stays his.
    conversations_page(ann)
    ann.get_by_text("Shared links (1)").click()
    ann.get_by_role("button", name="Revoke").click()
    expect(ann.get_by_text("Shared links (0)")).to_be_visible()
    ben.goto(link)
    expect(ben.get_by_text(MISSING)).to_be_visible()
    expect(bubbles(ben)).to_have_count(0)
    expect(ben.get_by_text("The tide follows the moon.")).to_have_count(0)
    ben.goto(f"{oidc_app.url}/?c={copy}")
    expect(ben.get_by_text("Bob goes on from his copy.")).to_be_visible()


def test_the_link_the_share_dialog_shows_still_opens_after_a_rerun(
    page: Page, app_server: AppServer, standin
):
    standin.enqueue(Reply(text="Neap tides come twice a month."))
    page.goto(app_server.url)
    send(page, "When are neap tides")
    expect(page.get_by_text("Neap tides come twice a month.")).to_be_visible()
    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create link").click()
    code = dialog.get_by_test_id("stCode")
    expect(code).to_contain_text("/shared?s=")
    created = code.inner_text().strip()

    rerun(page)  # the dialog is drawn again from what the session remembers

    expect(dialog.get_by_test_id("stCode")).to_have_count(1)
    shown = dialog.get_by_test_id("stCode").inner_text().strip()
    assert shown == created
    page.goto(shown)
    expect(page.get_by_role("heading", name="When are neap tides")).to_be_visible()
    expect(bubbles(page).nth(1)).to_contain_text("Neap tides come twice a month.")
