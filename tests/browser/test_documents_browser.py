"""Attaching documents through the chat input's own file chooser, in headless Chromium: what the
gateway receives, the chips, a reload, Regenerate, a share link, and each unreadable PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import bubbles
from tests.document_files import damaged_pdf, encrypted_pdf, pdf_with_text, scanned_pdf

pytestmark = pytest.mark.browser

PDF_PART = {
    "type": "text",
    "text": '<file name="report.pdf">\n[page 1]\nRevenue grew 12 percent\n\n[page 2]\nCosts fell\n</file>',
}
PY_PART = {"type": "text", "text": '<file name="tally.py">\ndef tally(xs):\n    return sum(xs)\n\n</file>'}


def _attach(page: Page, path: Path) -> None:
    """Choose one file with the chat input's + and wait until its upload has ended (Enter
    before that sends nothing)."""
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        with page.expect_file_chooser() as chooser:
            page.get_by_test_id("stChatInputFileUploadButton").click()
        chooser.value.set_files(str(path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def test_a_pdf_and_a_python_file_reach_the_gateway_named_and_stay_through_reload_regenerate_and_share(
    page: Page, app_server: AppServer, standin, tmp_path
):
    standin.enqueue(Reply(text="Revenue up, costs down."))
    standin.enqueue(Reply(text="Second look: the same."))
    page.goto(app_server.url)
    _attach(page, _write(tmp_path / "report.pdf", pdf_with_text("Revenue grew 12 percent", "Costs fell")))
    _attach(page, _write(tmp_path / "tally.py", b"def tally(xs):\n    return sum(xs)\n"))
    _send(page, "What do these say?")
    expect(page.get_by_text("Revenue up, costs down.")).to_be_visible()
    assert standin.requests[-1].body["messages"][-1]["content"] == [
        {"type": "text", "text": "What do these say?"},
        PDF_PART,
        PY_PART,
    ]
    prompt = bubbles(page).first
    expect(prompt.get_by_text("report.pdf (PDF, 2 pages,")).to_be_visible()
    expect(prompt.get_by_text("tally.py (text, 34 bytes)")).to_be_visible()  # len(b"def tally...") == 34
    page.screenshot(path=str(tmp_path / "chat-documents.png"), full_page=True)

    page.reload()  # the URL names the chat: it reopens from the database
    expect(page.get_by_text("Revenue up, costs down.")).to_be_visible()
    expect(bubbles(page).first.get_by_text("report.pdf (PDF, 2 pages,")).to_be_visible()
    expect(bubbles(page).first.get_by_text("tally.py (text, 34 bytes)")).to_be_visible()

    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_text("Second look: the same.")).to_be_visible()
    assert len(standin.requests) == 2
    assert standin.requests[-1].body["messages"][-1]["content"] == [
        {"type": "text", "text": "What do these say?"},
        PDF_PART,
        PY_PART,
    ]

    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create link").click()
    code = dialog.get_by_test_id("stCode")
    expect(code).to_contain_text("/shared?s=")
    link = code.inner_text().strip()
    page.goto(link)
    expect(page.get_by_text("Second look: the same.")).to_be_visible()
    expect(bubbles(page).first.get_by_text("report.pdf (PDF, 2 pages,")).to_be_visible()
    expect(bubbles(page).first.get_by_text("tally.py (text, 34 bytes)")).to_be_visible()


@pytest.fixture
def two_page_app(standin, tmp_path):
    server = AppServer(
        app_env(
            GPTPROTO_BASE_URL=standin.base_url,
            GPTPROTO_API_KEY=standin.api_key,
            GPTPROTO_DOCUMENT_MAX_PAGES="2",
        ),
        tmp_path,
    ).start()
    yield server
    server.stop()


def test_each_unreadable_pdf_gets_its_own_message_and_the_prompt_stays(
    page: Page, two_page_app: AppServer, standin, tmp_path
):
    page.goto(two_page_app.url)
    box = page.get_by_test_id("stChatInputTextArea")
    cases = [
        ("scan.pdf", scanned_pdf(), "scan.pdf has no text layer: it looks scanned"),
        ("locked.pdf", encrypted_pdf(), "locked.pdf is encrypted (password-protected)"),
        ("cut.pdf", damaged_pdf(), "cut.pdf is damaged or not really a PDF"),
        ("book.pdf", pdf_with_text("a", "b", "c"), "book.pdf has 3 pages; the limit is 2 per document."),
    ]
    for name, data, message in cases:
        _attach(page, _write(tmp_path / name, data))
        _send(page, f"Please read {name}")
        expect(page.get_by_text(message)).to_be_visible()
        expect(box).to_have_value(f"Please read {name}")
    assert standin.requests == []
    expect(bubbles(page)).to_have_count(0)


def test_compare_in_presenter_view_sends_the_document_to_every_column_and_shows_a_large_chip(
    page: Page, app_server: AppServer, standin, tmp_path
):
    standin.enqueue_for("o4-mini", Reply(text="Three steps."))
    standin.enqueue_for("gpt-4o", Reply(text="A plan in three steps."))
    page.goto(f"{app_server.url}/compare?present=1")  # the first two models are picked
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible()
    _attach(page, _write(tmp_path / "plan.md", b"# Plan\n\n1. Measure\n"))
    _send(page, "Summarise the plan")
    expect(page.get_by_text("A plan in three steps.")).to_be_visible()
    expect(page.get_by_text("Three steps.", exact=True)).to_be_visible()
    part = {"type": "text", "text": '<file name="plan.md">\n# Plan\n\n1. Measure\n\n</file>'}
    sent = {request.body["model"]: request.body["messages"][-1]["content"] for request in standin.requests}
    assert sent == {
        "o4-mini": [{"type": "text", "text": "Summarise the plan"}, part],
        "gpt-4o": [{"type": "text", "text": "Summarise the plan"}, part],
    }
    chip = bubbles(page).first.get_by_text("plan.md (text, 19 bytes)")  # len(b"# Plan\n\n1. Measure\n")
    expect(chip).to_be_visible()
    size = float(chip.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert size >= 18, size  # read from the back of the room, like the rest of the presenter view
    page.screenshot(path=str(tmp_path / "compare-presenter-documents.png"), full_page=True)
