"""What a person does on the chat page, for the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


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
    # The shortcut does nothing while the page believes a run is going (its state can lag the
    # attribute), or while a control has the focus (a dialog gives it to its close button):
    # like a person, press again when nothing happened.
    # On a loaded machine the page's own state can lag for seconds, so keep pressing (every
    # 3 s, for up to a minute) until a run shows; a run too quick to be seen only means one
    # more press, and one more run of an app that draws the same thing again.
    for _ in range(20):
        expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("r")
        try:
            page.wait_for_function("(before) => window.__appRuns > before", arg=before, timeout=3_000)
            break
        except PlaywrightTimeoutError:
            continue
    page.wait_for_function(
        """(before) => window.__appRuns > before && document.querySelector('[data-testid="stApp"]')
            .getAttribute('data-test-script-state') === 'notRunning'""",
        arg=before,
    )


def select_box(scope: Page | Locator, label: str | re.Pattern[str]) -> Locator:
    """The first select box in `scope` whose label (or shown value) has `label` in it."""
    return scope.get_by_test_id("stSelectbox").filter(has_text=label).first


def pick_option(page: Page, box: Locator, option: str | re.Pattern[str], *, exact: bool = True) -> None:
    """Open the select box `box` and pick `option` in its list, as a person does: when the app
    was running as the box was clicked, the run redraws the box and its list closes at once,
    so open it again (up to ten times) until the option shows."""
    wanted = page.get_by_role("option", name=option, exact=exact)
    for _ in range(10):
        expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        box.click()
        try:
            wanted.wait_for(state="visible", timeout=3_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")  # whatever list is open goes before the next try
    wanted.click()
