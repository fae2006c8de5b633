"""Math in answers, drawn by the browser: every LaTeX form renders, prices and code do not."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import bubbles, send

pytestmark = pytest.mark.browser

ANSWER = (
    "Euler wrote \\(e^{i\\pi}+1=0\\) and also $a^2+b^2=c^2$.\n\n"
    "The area is\n\\[\n\\pi r^2\n\\]\nand $$\\sum_k k$$ inline.\n\n"
    "Lunch costs $5 and dinner $10.\n\n"
    "In the shell, `echo $HOME` prints it:\n\n```sh\nprice=$5\n```\n"
)


def test_latex_renders_and_prices_and_code_stay_as_written(
    page: Page, app_server: AppServer, standin, tmp_path
):
    standin.enqueue(Reply(text=ANSWER, chunk_delay=0.01))
    page.goto(app_server.url)
    send(page, "Some math please")
    answer = bubbles(page).nth(1)
    expect(answer.get_by_text("Lunch costs $5 and dinner $10.")).to_be_visible()
    # \( \), $ $, $$ $$ inline and \[ \] on lines of its own: four formulas, one shown as a block.
    expect(answer.locator(".katex")).to_have_count(4)
    expect(answer.locator(".katex-display")).to_have_count(1)
    expect(answer.locator(".katex-display")).to_contain_text("πr")
    expect(answer.locator("code").filter(has_text="echo $HOME")).to_be_visible()
    expect(answer.locator("pre code")).to_contain_text("price=$5")
    page.screenshot(path=str(tmp_path / "math.png"), full_page=True)

    page.reload()  # stored answers are drawn the same way
    expect(bubbles(page).nth(1).locator(".katex")).to_have_count(4)
