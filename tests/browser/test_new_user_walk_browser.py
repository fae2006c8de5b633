"""A new user's first session, end to end in headless Chromium: they write a preset, start a chat
from it, pick a model only the gateway lists, set its reasoning effort, attach a PDF, give the
answer a thumbs down with a comment and file the chat in a folder; after the server restarts,
all of it is still there. Screenshots of each step land in the test's directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import bubbles, pick_option, select_box, send
from tests.document_files import pdf_with_text

pytestmark = pytest.mark.browser

INSTRUCTIONS = "Answer as a careful analyst: figures first, then caveats."
ANSWER = "Revenue grew 12 percent; costs are not in the report."


def _idle(page: Page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def _attach(page: Page, path: Path) -> None:
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        with page.expect_file_chooser() as chooser:
            page.get_by_test_id("stChatInputFileUploadButton").click()
        chooser.value.set_files(str(path))


def test_a_new_user_walks_through_everyday_chat_and_finds_it_all_after_a_restart(
    page: Page, app_server: AppServer, standin, tmp_path: Path
):
    standin.listed_models.append(("o3-pro", "openai"))  # only the gateway has it
    standin.enqueue(Reply(text=ANSWER))
    shots = tmp_path / "walk"
    shots.mkdir()

    # 1. A preset of their own, on the Conversations page.
    page.goto(app_server.url + "/history")
    page.get_by_text("Presets: model, instructions, parameters and starter prompts").click()
    for label, text in (("Name", "Analyst"), ("Model", "gpt-4o"), ("Instructions", INSTRUCTIONS)):
        page.get_by_label(label, exact=True).fill(text)
        page.get_by_label(label, exact=True).blur()
    page.get_by_role("button", name="Save preset").click()
    expect(page.get_by_text("Saved “Analyst”.")).to_be_visible()
    page.screenshot(path=str(shots / "1-preset.png"), full_page=True)

    # 2. A new chat from it; then a model only the gateway's list has, with its effort set.
    page.goto(app_server.url)
    _idle(page)
    pick_option(page, select_box(page, "Start from a preset"), "Analyst")
    _idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_label("Instructions prompt", exact=True)).to_have_value(INSTRUCTIONS)
    pick_option(page, select_box(sidebar, "Model"), "o-series · o3-pro")
    expect(page.get_by_placeholder(re.compile(r"^Message o3-pro…"))).to_be_visible()
    pick_option(page, select_box(page, "Reasoning effort"), "high")
    _idle(page)

    # 3. A PDF with the prompt.
    report = tmp_path / "q3-report.pdf"
    report.write_bytes(pdf_with_text("Revenue grew 12 percent"))
    _attach(page, report)
    send(page, "Summarise the report")
    expect(page.get_by_text(ANSWER)).to_be_visible()
    body = standin.requests[-1].body
    assert body["model"] == "o3-pro"
    assert body["reasoning_effort"] == "high"
    assert body["messages"][0] == {"role": "developer", "content": INSTRUCTIONS}
    assert body["messages"][-1]["content"] == [
        {"type": "text", "text": "Summarise the report"},
        {"type": "text", "text": '<file name="q3-report.pdf">\n[page 1]\nRevenue grew 12 percent\n</file>'},
    ]
    chat_url = page.url
    assert "?c=" in chat_url

    # 4. A thumbs down, with why.
    answer = bubbles(page).filter(has_text=ANSWER)
    answer.get_by_test_id("stFeedback").locator('[aria-label="Thumbs down"]').click()
    expect(page.get_by_test_id("stToast").filter(has_text="Thumbs down saved.")).to_be_visible()
    answer.get_by_role("button", name=re.compile("Comment")).click()
    page.get_by_label(re.compile("Your comment")).fill("Missed the costs table.")
    page.get_by_role("button", name="Save comment").click()
    expect(answer.get_by_text("Missed the costs table.")).to_be_visible()
    page.screenshot(path=str(shots / "2-chat.png"), full_page=True)

    # 5. Filed in a folder.
    page.get_by_role("link", name="All conversations").click()
    main = page.locator("main")
    main.get_by_text(re.compile(r"^Folders \(0\)")).click()
    main.get_by_label("New folder").fill("Quarterly reports")
    main.get_by_role("button", name="Create folder").click()
    expect(main.get_by_text("Folder created.")).to_be_visible()
    row = main.get_by_test_id("stHorizontalBlock").filter(has_text="Summarise the report").last
    row.get_by_role("button", name=re.compile("Folder")).click()
    folders = page.get_by_role("dialog").get_by_test_id("stSelectbox")
    pick_option(page, folders, "Quarterly reports", exact=False)
    headings = main.get_by_role("heading", level=3)
    expect(headings.first).to_have_text(re.compile(r"Quarterly reports · 1"))

    # 6. The server restarts; everything is where they left it.
    app_server.restart()
    page.goto(app_server.url + "/history")
    expect(page.locator("main").get_by_role("heading", level=3).first).to_have_text(
        re.compile(r"Quarterly reports · 1"), timeout=60_000
    )
    expect(page.locator("main").get_by_text("Summarise the report")).to_be_visible()
    page.screenshot(path=str(shots / "3-library-after-restart.png"), full_page=True)

    page.goto(chat_url)
    answer = bubbles(page).filter(has_text=ANSWER)
    expect(answer.get_by_test_id("stFeedback").locator('[aria-label="Thumbs down"]')).to_have_attribute(
        "aria-checked", "true", timeout=60_000
    )
    expect(answer.get_by_text("Missed the costs table.")).to_be_visible()
    expect(bubbles(page).first.get_by_text(re.compile(r"q3-report\.pdf"))).to_be_visible()
    expect(page.get_by_placeholder(re.compile(r"^Message o3-pro…"))).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("combobox", name="Reasoning effort")).to_have_value("high")
    expect(sidebar.get_by_label("Instructions prompt", exact=True)).to_have_value(INSTRUCTIONS)
    page.screenshot(path=str(shots / "4-chat-after-restart.png"), full_page=True)
