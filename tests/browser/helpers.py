"""What a person does on the chat page, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def send(page: Page, text: str) -> None:
    """Type a prompt into the chat input and press Enter."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def bubbles(page: Page) -> Locator:
    """Every chat bubble on the page."""
    return page.get_by_test_id("stChatMessage")


# Counts the app's runs as the page sees them: the app root's script-state attribute turning
# to "running". Installed once per page; rerun() waits for one more finished run.
_COUNT_RUNS = """() => {
    if (window.__appRuns !== undefined) return;
    window.__appRuns = 0;
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'running') window.__appRuns += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def rerun(page: Page) -> None:
    """Rerun the app the way a person can at any moment (the R key), and wait until that run
    has finished drawing."""
    page.evaluate(_COUNT_RUNS)
    before = page.evaluate("window.__appRuns")
    # The shortcut is read only while no control has the focus (a dialog focuses its close button).
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("r")
    page.wait_for_function(
        """(before) => window.__appRuns > before && document.querySelector('[data-testid="stApp"]')
            .getAttribute('data-test-script-state') === 'notRunning'""",
        arg=before,
    )
