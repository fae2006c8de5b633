"""Hosted for a team, in the browser: each person signed in (through a real OIDC provider, or a
header an authenticating proxy sets) sees only their own chats; without sign-in the app serves
nobody on a network address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env, new_page
from tests.browser.helpers import bubbles, send
from tests.oidc import (
    OidcProvider,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.browser

NOT_YOURS = "That conversation does not exist (or is not yours)."


def test_each_signed_in_person_sees_only_their_own_chats(
    browser: Browser, oidc_app: AppServer, oidc_provider: OidcProvider, standin
):
    alice = oidc_provider.add_user("alice-sub", "alice@example.com", "Alice Doe")
    bob = oidc_provider.add_user("bob-sub", "bob@example.com", "Bob Roe")
    standin.enqueue(Reply(text="Alice's answer."), Reply(text="Bob's answer."))

    ann = new_page(browser)
    for path in ("/compare", "/history", "/"):  # every page, even opened directly, asks first
        ann.goto(oidc_app.url + path)
        expect(ann.get_by_role("heading", name="Sign in to GPTProto Chat")).to_be_visible()
        expect(ann.get_by_test_id("stChatInputTextArea")).to_have_count(0)  # nothing served signed out
    sign_in(ann, oidc_app.url, alice)
    expect(ann.get_by_test_id("stSidebar").get_by_text("Alice Doe")).to_be_visible()
    send(ann, "Alice's secret plan")
    expect(ann.get_by_text("Alice's answer.")).to_be_visible()
    expect(ann).to_have_url(re.compile(r"\?c=[0-9a-f]{32}"))
    alice_chat = ann.url

    ben = new_page(browser)
    sign_in(ben, oidc_app.url, bob)
    sidebar = ben.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Your conversations will be listed here.")).to_be_visible()
    sidebar.get_by_placeholder("Search titles and messages").fill("secret")
    sidebar.get_by_placeholder("Search titles and messages").press("Enter")
    expect(sidebar.get_by_text("No conversation matches.")).to_be_visible()

    ben.goto(alice_chat)  # someone else's conversation answers exactly like a missing one
    expect(
        ben.get_by_text("That conversation does not exist (or is not yours).", exact=False)
    ).to_be_visible()
    expect(ben.get_by_text("Alice's secret plan")).to_have_count(0)
    expect(ben.get_by_text("Alice's answer.")).to_have_count(0)

    send(ben, "Bob's question")
    expect(ben.get_by_text("Bob's answer.")).to_be_visible()
    ben.get_by_role("link", name="Conversations").first.click()
    expect(ben.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(ben.get_by_text("Bob's question")).to_be_visible()
    expect(ben.get_by_text("Alice's secret plan")).to_have_count(0)

    ann.reload()
    expect(ann.get_by_text("Alice's answer.")).to_be_visible()
    expect(ann.get_by_test_id("stSidebar").get_by_text("Bob's question")).to_have_count(0)

    sign_out(ann)
    expect(ann.get_by_test_id("stChatInputTextArea")).to_have_count(0)
    ann.goto(alice_chat)
    expect(ann.get_by_role("heading", name="Sign in to GPTProto Chat")).to_be_visible()
    expect(ann.get_by_text("Alice's answer.")).to_have_count(0)
    expect(ben.get_by_text("Bob's answer.").or_(ben.get_by_text("Bob's question")).first).to_be_visible()


@pytest.fixture
def proxied_app(standin, tmp_path: Path) -> Iterator[AppServer]:
    server = AppServer(
        app_env(
            GPTPROTO_BASE_URL=standin.base_url,
            GPTPROTO_API_KEY=standin.api_key,
            GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email",
        ),
        tmp_path,
    ).start()
    yield server
    server.stop()


def test_header_mode_serves_the_person_the_proxy_names_and_nobody_else(
    browser: Browser, proxied_app: AppServer, standin
):
    standin.enqueue(Reply(text="For Carol only."))
    carol = new_page(browser, extra_http_headers={"X-Forwarded-Email": "carol@example.com"})
    carol.goto(proxied_app.url)
    expect(carol.get_by_test_id("stSidebar").get_by_text("carol@example.com")).to_be_visible()
    send(carol, "Carol's question")
    expect(carol.get_by_text("For Carol only.")).to_be_visible()
    expect(carol).to_have_url(re.compile(r"\?c=[0-9a-f]{32}"))
    carol_chat = carol.url

    dave = new_page(browser, extra_http_headers={"X-Forwarded-Email": "dave@example.com"})
    dave.goto(carol_chat)
    expect(
        dave.get_by_text("That conversation does not exist (or is not yours).", exact=False)
    ).to_be_visible()
    expect(dave.get_by_text("For Carol only.")).to_have_count(0)

    stranger = new_page(browser)  # reached the app without going through the proxy
    stranger.goto(proxied_app.url + "/compare")
    expect(stranger.get_by_role("heading", name="Sign-in required")).to_be_visible()
    stranger.goto(carol_chat)
    expect(stranger.get_by_role("heading", name="Sign-in required")).to_be_visible()
    expect(stranger.get_by_text("X-Forwarded-Email", exact=False)).to_be_visible()
    expect(stranger.get_by_test_id("stChatInputTextArea")).to_have_count(0)
    expect(stranger.get_by_text("For Carol only.")).to_have_count(0)
    expect(bubbles(stranger)).to_have_count(0)
    assert len(standin.requests) == 1


def test_anonymous_use_on_a_network_address_is_refused_with_the_way_out(browser: Browser, standin, tmp_path):
    env = app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key)
    # Listening on every interface (the test still connects over loopback).
    server = AppServer(env, tmp_path, extra=("--server.address", "0.0.0.0")).start()
    try:
        page = new_page(browser)
        page.goto(server.url)
        expect(page.get_by_role("heading", name="Sign-in is not configured")).to_be_visible()
        expect(page.get_by_text("GPTPROTO_ALLOW_ANONYMOUS=true", exact=False)).to_be_visible()
        expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)
    finally:
        server.stop()

    allowed = AppServer(
        {**env, "GPTPROTO_ALLOW_ANONYMOUS": "true"}, tmp_path, extra=("--server.address", "0.0.0.0")
    ).start()
    try:
        standin.enqueue(Reply(text="Anonymous, as the operator chose."))
        page = new_page(browser)
        page.goto(allowed.url)
        send(page, "Hello")
        expect(page.get_by_text("Anonymous, as the operator chose.")).to_be_visible()
    finally:
        allowed.stop()
