"""Hosted for a team, in the browser: each person signed in (through a real OIDC provider, or a
header an authenticating proxy sets) sees only their own chats; without sign-in the app serves
only a browser visibly on its own machine: nobody on a network address, through a proxy, or by
a network name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bench.fleet_load.protocol import ChatClient, ProtocolError
from core.conversation import ChatParams, user_message
from core.storage import ConversationStore, database_url, make_engine, migrate
from devtools.browser import CHROMIUM, CHROMIUM_ARGS
from devtools.standin import Reply
from tests.browser.conftest import OIDC_COOKIE_SECRET, AppServer, app_env, free_port, new_page
from tests.browser.helpers import bubbles, send
from tests.oidc import (
    OidcProvider,
    OidcUser,
    sign_in,
    sign_out,
    write_auth_secrets,
)
from tests.recipe_caddy import RecipeCaddy
from tests.storage.test_usage import move_chats

pytestmark = pytest.mark.browser

NOT_YOURS = "That conversation does not exist (or is not yours)."
REFUSED = "Sign-in is not configured"
CHAT_INPUT = "stChatInputTextArea"
FIRST_PAGE = 30_000  # a server's first page, on two cores shared with other test runs


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


def _local_chat(data: Path, title: str) -> None:
    """A chat of the local user, stored before sign-in was configured."""
    engine = make_engine(database_url(str(data), None))
    migrate(engine)
    local = ConversationStore(engine, "local")
    params = ChatParams(model="o4-mini")
    local.save_message(local.create(params, title=title), user_message("hello"), params)
    engine.dispose()


@pytest.mark.timeout(300)  # two sign-ins and a command, on two shared cores
def test_an_unverified_email_neither_administers_nor_receives_the_local_chats(
    browser: Browser, standin, tmp_path: Path
):
    # Mallory's provider account carries the boss's address, never confirmed (--user-claims).
    mallory = OidcUser("mallory-sub", "boss@example.com", "Mallory")
    claims = {"sub": mallory.sub, "email": mallory.email, "email_verified": False, "name": mallory.name}
    provider = OidcProvider(user_claims=[claims]).start()
    boss = provider.add_user("boss-sub", "boss@example.com", "The Boss")  # verified
    data = tmp_path / "data"
    _local_chat(data, "Plans from before sign-in")
    port = free_port()
    write_auth_secrets(tmp_path, provider, f"http://127.0.0.1:{port}/oauth2callback", OIDC_COOKIE_SECRET)
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, GPTPROTO_DATA_DIR=str(data)
    )
    app = AppServer({**env, "GPTPROTO_ADMINS": "boss@example.com"}, tmp_path, port).start()
    try:
        ann = new_page(browser)
        sign_in(ann, app.url, boss)
        expect(ann.get_by_role("link", name="Admin")).to_be_visible()
        expect(ann.get_by_text("Your conversations will be listed here.")).to_be_visible(timeout=FIRST_PAGE)

        eve = new_page(browser)
        sign_in(eve, app.url, mallory)  # the last to sign in with that address
        expect(eve.get_by_text("Your conversations will be listed here.")).to_be_visible(timeout=FIRST_PAGE)
        expect(eve.get_by_role("link", name="Admin")).to_have_count(0)
        eve.goto(app.url + "/admin")
        expect(eve.get_by_role("heading", name="Not available")).to_be_visible()
        expect(eve.get_by_text("Usage and limits")).to_have_count(0)

        moved = move_chats(
            "--to",
            "boss@example.com",
            "--database-url",
            f"sqlite:///{data / 'gptproto-chat.db'}",
            cwd=tmp_path,
        )
        assert moved.returncode == 0, moved.stderr
        assert "1 conversation(s)" in moved.stdout and "to boss@example.com (user id oidc-" in moved.stdout
        ann.reload()
        expect(ann.get_by_test_id(CHAT_INPUT)).to_be_visible(timeout=FIRST_PAGE)
        expect(ann.get_by_test_id("stSidebar").get_by_text("Plans from before sign-in")).to_be_visible()
        eve.goto(app.url)
        expect(eve.get_by_text("Your conversations will be listed here.")).to_be_visible(timeout=FIRST_PAGE)
        expect(eve.get_by_text("Plans from before sign-in")).to_have_count(0)
    finally:
        app.stop()
        provider.stop()


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


def test_header_mode_refuses_a_request_that_names_two_people(proxied_app: AppServer, standin):
    # A proxy that adds its header to the one a client sent passes both along: the app must not
    # pick one. A raw websocket client sends what a browser cannot: the same header twice.
    twice = [("X-Forwarded-Email", "boss@example.com"), ("X-Forwarded-Email", "mallory@example.com")]
    with pytest.raises(ProtocolError, match=r"no chat input .*; it shows Sign-in required$"):
        ChatClient(proxied_app.url, headers=twice, timeout=30).open()

    with ChatClient(proxied_app.url, headers=[("X-Forwarded-Email", "carol@example.com")], timeout=30):
        pass  # one value: the chat page, with its input, is served
    assert standin.requests == []


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


@pytest.fixture
def anonymous_app(standin, tmp_path: Path) -> Iterator[AppServer]:
    """The app as `scripts/start.sh` runs it: on 127.0.0.1, no sign-in, anonymous use not accepted."""
    server = AppServer(
        app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key), tmp_path
    )
    yield server.start()
    server.stop()


def test_anonymous_mode_behind_the_recipe_s_caddy_serves_nobody(
    browser: Browser, anonymous_app: AppServer, standin, tmp_path: Path
):
    caddy = RecipeCaddy([f"127.0.0.1:{anonymous_app.port}"], tmp_path).start()
    try:
        visitor = new_page(browser)
        for path in ("/", "/admin", "/history"):
            visitor.goto(caddy.url + path)
            expect(visitor.get_by_role("heading", name=REFUSED)).to_be_visible(timeout=FIRST_PAGE)
            expect(
                visitor.get_by_text("came through a proxy (it carries X-Forwarded-For", exact=False)
            ).to_be_visible()
            expect(visitor.get_by_test_id(CHAT_INPUT)).to_have_count(0)
        expect(visitor.get_by_text(".streamlit/secrets.toml", exact=False)).to_be_visible()  # how to sign in
        expect(visitor.get_by_text("Usage and limits")).to_have_count(0)
    finally:
        caddy.stop()

    owner = new_page(browser)  # the same server still serves the browser on its own machine
    owner.goto(anonymous_app.url)
    expect(owner.get_by_test_id(CHAT_INPUT)).to_be_visible(timeout=FIRST_PAGE)
    expect(owner.get_by_role("link", name="Admin")).to_be_visible()
    assert standin.requests == []


def test_anonymous_use_accepted_behind_caddy_chats_but_keeps_the_admin_page_on_the_machine(
    browser: Browser, standin, tmp_path: Path
):
    env = app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key)
    app = AppServer({**env, "GPTPROTO_ALLOW_ANONYMOUS": "true"}, tmp_path).start()
    caddy = RecipeCaddy([f"127.0.0.1:{app.port}"], tmp_path).start()
    try:
        standin.enqueue(Reply(text="Served through the proxy, as the operator chose."))
        visitor = new_page(browser)
        visitor.goto(caddy.url)
        expect(visitor.get_by_test_id(CHAT_INPUT)).to_be_visible(timeout=FIRST_PAGE)
        send(visitor, "Hello")
        expect(visitor.get_by_text("Served through the proxy, as the operator chose.")).to_be_visible()
        expect(visitor.get_by_role("link", name="Admin")).to_have_count(0)
        visitor.goto(caddy.url + "/admin")
        expect(visitor.get_by_role("heading", name="Not available")).to_be_visible()
        expect(visitor.get_by_text("Usage and limits")).to_have_count(0)
    finally:
        caddy.stop()
        app.stop()


def test_anonymous_mode_refuses_a_browser_that_opens_it_by_a_network_name(
    browser: Browser, anonymous_app: AppServer, standin
):
    # A browser elsewhere reaches a loopback-bound app through a relay (socat, an SSH tunnel) by
    # the server's name; here Chromium resolves that name to 127.0.0.1 itself.
    named = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP chat.example.test 127.0.0.1"],
    )
    try:
        visitor = new_page(named)
        visitor.goto(f"http://chat.example.test:{anonymous_app.port}/")
        expect(visitor.get_by_role("heading", name=REFUSED)).to_be_visible(timeout=FIRST_PAGE)
        expect(
            visitor.get_by_text(f"opened as chat.example.test:{anonymous_app.port}", exact=False)
        ).to_be_visible()
        expect(visitor.get_by_test_id(CHAT_INPUT)).to_have_count(0)

        local = new_page(named)  # the same browser, by the loopback address: served
        local.goto(anonymous_app.url)
        expect(local.get_by_test_id(CHAT_INPUT)).to_be_visible(timeout=FIRST_PAGE)
    finally:
        named.close()
    assert standin.requests == []
