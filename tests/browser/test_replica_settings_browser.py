"""A shared database without a fixed cookie secret is a replica deployment that signs people out
on every failover: the app says so in its log."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AppServer, app_env

pytestmark = pytest.mark.browser

WARNING = "DATABASE_URL is set but no fixed cookie secret is"


@pytest.mark.parametrize("fixed_secret", [False, True], ids=["random-secret", "fixed-secret"])
def test_a_shared_database_without_a_fixed_cookie_secret_is_logged(
    page: Page, standin, tmp_path, fixed_secret
):
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.db'}",
    )
    if fixed_secret:  # as an operator would: in the config file every replica reads
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "config.toml").write_text(
            '[server]\ncookieSecret = "the-same-on-every-replica-0123456789"\n'
        )
    server = AppServer(env, tmp_path).start()
    try:
        page.goto(server.url)
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible()
        listed = page.get_by_test_id("stSidebar").get_by_text("Your conversations will be listed here.")
        expect(listed).to_be_visible()  # the run got past the store: any warning is logged by now
        assert (WARNING in server.log()) is not fixed_secret
    finally:
        server.stop()
