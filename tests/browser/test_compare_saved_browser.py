"""Saved comparisons and prompt sets in headless Chromium: a blind comparison survives a reload and
a server restart with its votes and labels; Run all goes through a prompt set round by round and
Stop all ends the run, keeping what finished."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.prompt_sets import PromptItem, PromptSet
from core.storage import ConversationStore, PromptSetStore, database_url, make_engine, migrate
from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import pick_option, select_box
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

MODELS = ["o4-mini", "gpt-4o"]


@pytest.fixture
def server(standin, tmp_path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_MODELS=",".join(MODELS),
        GPTPROTO_PRICES="gpt-4o=2.5/10",
    )
    started = AppServer(env, tmp_path).start()
    yield started
    started.stop()


def open_compare(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("link", name="Compare models").click()
    expect(page.get_by_placeholder(re.compile("Ask every model at once"))).to_be_visible()


def ask(page: Page, text: str) -> None:
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    box.fill(text)
    box.press("Enter")


def headings(page: Page) -> list[str]:
    columns = page.get_by_test_id("stColumn")
    return [columns.nth(i).get_by_role("heading").first.inner_text().strip() for i in range(columns.count())]


def test_a_blind_comparison_survives_reload_and_restart_with_its_votes(page: Page, server, standin, tmp_path):
    for model in MODELS:
        standin.enqueue_for(
            model, Reply(text=f"First answer from {model}."), Reply(text=f"Second from {model}.")
        )
    open_compare(page, server.url)
    page.get_by_text("Blind mode (vote before names are shown)").click()
    ask(page, "Which prime is best?")
    expect(page.get_by_role("button", name="A is best")).to_be_visible()
    page.get_by_role("button", name="A is best").click()
    expect(page.get_by_text(re.compile("Vote recorded: .* wins"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Export JSON"))).to_be_visible()  # the run ended
    ask(page, "And the second?")
    expect(page.get_by_text("Second from gpt-4o.")).to_be_visible()
    expect(page.get_by_role("button", name="It's a tie")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?cmp=[0-9a-f]{32}"))
    url = page.url
    before = headings(page)
    assert before[2:] == ["Model A", "Model B"] and before[0].startswith("A · ")

    page.reload()
    expect(page.get_by_text("Second from o4-mini.")).to_be_visible()
    assert headings(page) == before
    expect(page.get_by_role("button", name="It's a tie")).to_be_visible()

    server.restart()
    page.goto(url)
    expect(page.get_by_text("First answer from gpt-4o.")).to_be_visible()
    assert headings(page) == before
    page.get_by_role("button", name="It's a tie").click()
    expect(page.get_by_text("Vote recorded: it's a tie. Names revealed.")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name=re.compile("Which prime is best"))).to_be_visible()
    page.reload()
    expect(page.get_by_text("Vote recorded: it's a tie. Names revealed.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "comparison-restored.png"), full_page=True)


def seed_prompt_set(data_dir: Path) -> None:
    """A prompt set of three, stored for the local user as the editor would store it."""
    engine = make_engine(database_url(str(data_dir), None))
    migrate(engine)
    ConversationStore(engine, "local")
    items = (PromptItem("First prompt"), PromptItem("Second prompt"), PromptItem("Third prompt"))
    PromptSetStore(engine, "local").save(PromptSet("Demo run", items))
    engine.dispose()


def test_run_all_goes_round_by_round_and_stop_keeps_what_finished(page: Page, server, standin, tmp_path):
    seed_prompt_set(tmp_path / "data")
    long = " ".join(f"word{i}" for i in range(400))
    for model in MODELS:
        standin.enqueue_for(model, Reply(text=f"Quick {model}."), Reply(text=long, chunk_delay=0.03))
    open_compare(page, server.url)
    pick_option(page, select_box(page.locator("main"), "Prompt set"), re.compile("Demo run"))
    expect(page.get_by_text(re.compile(r"Estimated cost: .* 3 prompt\(s\) × 2 models"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Run all \(3 left\)")).click()

    # As the rerun for prompt 2 begins, the first round's answer is drawn again above for ~70 ms
    # before the previous run's copy goes: wait for the one copy that stays.
    expect(page.get_by_text("Quick gpt-4o.")).to_have_count(1)
    expect(page.get_by_text("Quick gpt-4o.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Prompt 2 of 3 · Demo run"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"word20\b")).first).to_be_visible()
    page.get_by_role("button", name="Stop all").click()
    expect(page.get_by_text(re.compile(r"Stopped at prompt 2 of 3"))).to_be_visible()
    # The third prompt is never sent: nothing more arrives well past when it would have.
    assert not wait_until(lambda: len(standin.requests) > 4, timeout=3)
    assert [r.body["messages"][-1]["content"] for r in standin.requests] == ["First prompt"] * 2 + [
        "Second prompt"
    ] * 2
    columns = page.get_by_test_id("stColumn")
    expect(columns.nth(2).get_by_text(re.compile("stopped"))).to_be_visible()

    page.reload()
    expect(page.get_by_text("Quick o4-mini.")).to_be_visible()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2)  # both rounds' prompts, kept
    expect(columns.nth(3).get_by_text(re.compile(r"word10\b"))).to_be_visible()
    height = page.evaluate("document.querySelector('main.stMain').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": max(900, int(height))})
    page.screenshot(path=str(tmp_path / "prompt-set-stopped.png"), full_page=True)


def test_killing_the_server_mid_round_keeps_the_prompt_and_each_checkpoint(page: Page, server, standin):
    words = " ".join(f"w{i}" for i in range(800))
    for model in MODELS:
        standin.enqueue_for(model, Reply(text=words, chunk_delay=0.02))
    open_compare(page, server.url)
    ask(page, "Write 800 words each")
    expect(page).to_have_url(re.compile(r"\?cmp=[0-9a-f]{32}"))  # stored before anything streamed
    url = page.url
    expect(page.get_by_text(re.compile(r"\bw150\b")).first).to_be_visible(timeout=20_000)
    server.kill()
    server.start()
    page.goto(url)
    expect(page.get_by_text("Write 800 words each")).to_be_visible()
    columns = page.get_by_test_id("stColumn")
    for index in range(2):
        # Each column has the text of its last checkpoint (taken every 2 s) and says why it ended.
        expect(columns.nth(index).get_by_text(re.compile(r"^w0 w1 w2 .* w50\b"))).to_be_visible()
        expect(columns.nth(index).get_by_text("The answer was interrupted")).to_be_visible()
