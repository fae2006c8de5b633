"""The fleet in header mode, in Chromium: a browser that sends the identity header itself is
believed by a replica it reaches directly, and is nobody through the fleet's proxy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.fleet.conftest import fleet_env

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(300)]

PATIENCE = 30_000  # a replica, Caddy, PostgreSQL and Chromium on two cores


def test_a_client_s_own_identity_header_stops_at_the_fleet_s_proxy(fleet_factory, standin, browser: Browser):
    env = fleet_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email",
    )
    fleet = fleet_factory(1, env)
    claiming = browser.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"X-Forwarded-Email": "boss@example.com"}
    )
    try:
        # Reached directly, a replica believes the header: that is what the proxy must not pass on.
        direct = claiming.new_page()
        direct.goto(fleet.replicas[0].url)
        expect(direct.get_by_test_id("stSidebar").get_by_text("boss@example.com")).to_be_visible(
            timeout=PATIENCE
        )

        through = claiming.new_page()
        through.goto(fleet.url)
        expect(through.get_by_role("heading", name="Sign-in required")).to_be_visible(timeout=PATIENCE)
        expect(through.get_by_text("boss@example.com")).to_have_count(0)
    finally:
        claiming.close()
