"""Feedback and folders in headless Chromium: thumbs down with a comment on an answer, changed to
up, removed, each kept over a reload; a Compare column's thumbs; the Admin page's feedback CSV;
and a folder created, a chat filed in it, the list grouped and searched by it, renamed and
deleted with the chat kept."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import bubbles, pick_option, send

pytestmark = pytest.mark.browser

MODELS = ["o4-mini", "gpt-4o"]


@pytest.fixture
def server(standin, tmp_path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_MODELS=",".join(MODELS),
        GPTPROTO_DEFAULT_MODEL="o4-mini",
    )
    started = AppServer(env, tmp_path).start()
    yield started
    started.stop()


def open_chat(page: Page, url: str) -> None:
    """Open the chat page and wait until its first run is over: a prompt typed before that can
    be cleared by the run's end on a loaded machine."""
    page.goto(url)
    expect(page.get_by_text(re.compile("Ask o4-mini anything"))).to_be_visible()
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def reload(page: Page) -> None:
    """Reload the page and wait until its thumbs are drawn: on a loaded machine the browser can
    take well over the usual 10 s to load the widgets' code after a reload (placeholders show)."""
    page.reload()
    expect(page.get_by_test_id("stFeedback").first).to_be_visible(timeout=60_000)


def thumb(scope: Locator, which: str) -> Locator:
    """The thumb up or down under an answer (its aria-checked says whether it is chosen)."""
    return scope.get_by_test_id("stFeedback").locator(f'[aria-label="Thumbs {which}"]')


def choose(page: Page, scope: Locator, which: str, said: str) -> None:
    """Click a thumb and wait for the page to say it was stored."""
    thumb(scope, which).click()
    expect(page.get_by_test_id("stToast").filter(has_text=said)).to_be_visible()


def comment(page: Page, scope: Locator, text: str) -> None:
    """Write a comment in the answer's Comment popover and save it."""
    scope.get_by_role("button", name=re.compile("Comment")).click()
    page.get_by_label(re.compile("Your comment")).fill(text)
    page.get_by_role("button", name="Save comment").click()
    expect(scope.get_by_text(text)).to_be_visible()


def test_thumbs_down_with_a_comment_then_up_then_removed_each_kept_over_a_reload(
    page: Page, server: AppServer, standin
):
    standin.enqueue(Reply(text="Seven."))
    open_chat(page, server.url)
    send(page, "Name a prime")
    expect(page.get_by_text("Seven.")).to_be_visible()
    answer = bubbles(page).filter(has_text="Seven.")
    choose(page, answer, "down", "Thumbs down saved.")
    expect(thumb(answer, "down")).to_have_attribute("aria-checked", "true")
    comment(page, answer, "Too short: say why it is prime.")

    reload(page)
    answer = bubbles(page).filter(has_text="Seven.")
    expect(thumb(answer, "down")).to_have_attribute("aria-checked", "true")
    expect(answer.get_by_text("Too short: say why it is prime.")).to_be_visible()
    choose(page, answer, "up", "Thumbs up saved.")

    reload(page)
    answer = bubbles(page).filter(has_text="Seven.")
    expect(thumb(answer, "up")).to_have_attribute("aria-checked", "true")
    expect(thumb(answer, "down")).to_have_attribute("aria-checked", "false")
    expect(answer.get_by_text("Too short: say why it is prime.")).to_be_visible()  # the comment stays
    choose(page, answer, "up", "Feedback removed.")  # the chosen thumb again
    expect(answer.get_by_role("button", name=re.compile("Comment"))).to_have_count(0)

    reload(page)
    answer = bubbles(page).filter(has_text="Seven.")
    expect(thumb(answer, "up")).to_have_attribute("aria-checked", "false")
    expect(thumb(answer, "down")).to_have_attribute("aria-checked", "false")
    expect(answer.get_by_text("Too short: say why it is prime.")).to_have_count(0)


def test_a_compare_column_takes_feedback_that_a_reload_keeps_and_admin_downloads_it(
    page: Page, server: AppServer, standin, tmp_path
):
    for model in MODELS:
        standin.enqueue_for(model, Reply(text=f"Answer from {model}."))
    page.goto(server.url)
    page.get_by_role("link", name="Compare models").click()
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    box.fill("Name a prime")
    box.press("Enter")
    expect(page.get_by_text("Answer from gpt-4o.")).to_be_visible()
    column = page.get_by_test_id("stColumn").filter(has_text="Answer from gpt-4o.")
    choose(page, column, "down", "Thumbs down saved.")
    comment(page, column, "Eleven, but no reasoning.")

    reload(page)
    column = page.get_by_test_id("stColumn").filter(has_text="Answer from gpt-4o.")
    expect(thumb(column, "down")).to_have_attribute("aria-checked", "true")
    other = page.get_by_test_id("stColumn").filter(has_text="Answer from o4-mini.")
    expect(thumb(other, "down")).to_have_attribute("aria-checked", "false")

    # The local user is the admin in a browser on the server's machine.
    page.goto(server.url + "/admin")
    expect(page.get_by_role("heading", name="Answer feedback")).to_be_visible()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download the answer feedback (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(downloaded.value.path().read_text(encoding="utf-8"))))
    assert [(r["model"], r["rating"], r["comment"]) for r in rows] == [
        ("gpt-4o", "down", "Eleven, but no reasoning.")
    ]
    page.screenshot(path=str(tmp_path / "admin-feedback.png"), full_page=True)


def folder_line(page: Page, name: str) -> Locator:
    """A folder's line under Folders (opened if it is folded), with its Rename and Delete."""
    main = page.locator("main")
    if not main.get_by_label("New folder").is_visible():
        main.get_by_text(re.compile(r"^Folders \(\d+\)")).click()
    name_text = page.get_by_text(re.compile(rf"\b{name} · \d+$"))
    return main.get_by_test_id("stHorizontalBlock").filter(has=name_text).last


def library_headings(page: Page) -> Locator:
    return page.locator("main").get_by_role("heading", level=3)


def test_a_folder_groups_filters_renames_and_deletes_keeping_the_chat(
    page: Page, server: AppServer, standin, tmp_path
):
    standin.enqueue(Reply(text="Spreadsheet attached."), Reply(text="Lisbon in May."))
    open_chat(page, server.url)
    send(page, "Budget for 2027")
    expect(page.get_by_text("Spreadsheet attached.")).to_be_visible()
    page.get_by_role("button", name="New chat").click()
    expect(page.get_by_text("Spreadsheet attached.")).to_have_count(0)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    send(page, "Holiday budget ideas")
    expect(page.get_by_text("Lisbon in May.")).to_be_visible()
    page.get_by_role("link", name="All conversations").click()

    main = page.locator("main")
    main.get_by_text(re.compile(r"^Folders \(0\)")).click()
    main.get_by_label("New folder").fill("Work")
    main.get_by_role("button", name="Create folder").click()
    expect(main.get_by_text("Folder created.")).to_be_visible()

    row = main.get_by_test_id("stHorizontalBlock").filter(has_text="Budget for 2027").last
    row.get_by_role("button", name=re.compile("Folder")).click()
    pick_option(page, page.get_by_role("dialog").get_by_test_id("stSelectbox"), "Work", exact=False)
    expect(library_headings(page)).to_have_text([re.compile(r"Work · 1"), re.compile(r"No folder · 1")])
    page.keyboard.press("Escape")

    # Search kept to the folder: "budget" is in both titles, only one is in Work.
    main.get_by_placeholder("Search titles and messages").fill("budget")
    main.get_by_placeholder("Search titles and messages").press("Enter")
    pick_option(page, main.get_by_role("combobox", name="Folder"), "Work", exact=False)
    expect(main.get_by_text("Budget for 2027")).to_be_visible()
    expect(main.get_by_text("Holiday budget ideas")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "folder-search.png"), full_page=True)

    pick_option(page, main.get_by_role("combobox", name="Folder"), "All folders", exact=False)
    expect(main.get_by_text("Holiday budget ideas")).to_be_visible()
    folder_row = folder_line(page, "Work")
    folder_row.get_by_role("button", name=re.compile("Rename")).click()
    page.get_by_role("dialog").get_by_label("New name").fill("Office")
    page.get_by_role("button", name="Save name").click()
    expect(library_headings(page).first).to_have_text(re.compile(r"Office · 1"))

    folder_row = folder_line(page, "Office")
    folder_row.get_by_role("button", name=re.compile("Delete")).click()
    page.get_by_role("button", name="Delete folder").click()
    expect(main.get_by_text(re.compile("deleted; what was in it is now in no folder"))).to_be_visible()
    expect(library_headings(page)).to_have_count(0)
    expect(main.get_by_text("Budget for 2027")).to_be_visible()
    expect(main.get_by_text("Holiday budget ideas")).to_be_visible()
