"""Groups in the real app: the groups a sign-in names (an OIDC provider's claim, or the header of
an authenticating proxy) pick the models a person may use and their limits; a person is told
when most of a limit is used, the Admin page lists them, and a policy edited there on one replica
holds on the other."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.fleet_load.protocol import ChatClient, ProtocolError
from devtools.browser import free_port
from devtools.standin import Reply
from tests.browser.conftest import OIDC_COOKIE_SECRET, AppServer, app_env, new_page
from tests.browser.helpers import pick_option, send
from tests.oidc import OidcProvider, OidcUser, sign_in, write_auth_secrets
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine

pytestmark = pytest.mark.browser

GROUP_MODELS = "interns=gpt-4o-mini,o4-mini;research=*"
INTERNS_REFUSED_O3 = "o3 is not among the models you may use. You may use: gpt-4o-mini, o4-mini."
FIRST_PAGE = 30_000  # a server's first page, on two cores shared with other test runs


def _model_options(page: Page) -> list[str]:
    """The chat sidebar's model picker, opened: every option it offers."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(
        has_text=re.compile("Model")
    ).first.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    offered = [text.strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return offered


def _pick_model(page: Page, model: str) -> None:
    picker = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Model", exact=True)
    pick_option(page, picker, model)


def _type_custom_model(page: Page, model: str) -> None:
    _pick_model(page, "Custom model id…")
    box = page.get_by_role("textbox", name="Custom model id")
    box.fill(model)
    box.press("Enter")


@pytest.mark.timeout(300)  # two sign-ins on two shared cores
def test_groups_from_the_oidc_claim_pick_who_may_use_o3(browser: Browser, standin, tmp_path: Path):
    rita = OidcUser("rita-sub", "rita@example.com", "Rita Research")
    ian = OidcUser("ian-sub", "ian@example.com", "Ian Intern")
    provider = OidcProvider(
        user_claims=[
            {
                "sub": rita.sub,
                "email": rita.email,
                "email_verified": True,
                "name": rita.name,
                "groups": ["research"],
            },
            # Some providers send the groups as one string: names separated by commas.
            {
                "sub": ian.sub,
                "email": ian.email,
                "email_verified": True,
                "name": ian.name,
                "groups": "interns",
            },
        ]
    ).start()
    port = free_port()
    write_auth_secrets(tmp_path, provider, f"http://127.0.0.1:{port}/oauth2callback", OIDC_COOKIE_SECRET)
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_GROUP_MODELS=GROUP_MODELS,
        GPTPROTO_DEFAULT_MODELS_ALLOWED="o4-mini",
    )
    app = AppServer(env, tmp_path, port).start()
    try:
        standin.enqueue(Reply(text="o3 thought hard about it."))
        researcher = new_page(browser)
        sign_in(researcher, app.url, rita)
        expect(researcher.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
        assert "o3" in _model_options(researcher)
        _pick_model(researcher, "o3")
        send(researcher, "Think hard")
        expect(researcher.get_by_text("o3 thought hard about it.")).to_be_visible()
        [asked] = standin.wait_for_requests(1)
        assert asked.body["model"] == "o3"

        intern = new_page(browser)
        sign_in(intern, app.url, ian)
        expect(intern.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
        assert _model_options(intern) == ["o4-mini", "gpt-4o-mini", "Custom model id…"]
        allowance = intern.get_by_test_id("stSidebar").get_by_text("Your allowance")
        allowance.click()
        expect(intern.get_by_text("Your groups: interns")).to_be_visible()
        expect(intern.get_by_text("Models: gpt-4o-mini, o4-mini")).to_be_visible()

        _type_custom_model(intern, "o3")  # typed, since the picker does not offer it
        expect(intern.get_by_test_id("stSidebar").get_by_text(INTERNS_REFUSED_O3)).to_be_visible()
        send(intern, "Let me use o3")
        expect(intern.locator("main").get_by_text(INTERNS_REFUSED_O3, exact=False).first).to_be_visible()
        # The refusal is drawn by the run that decided not to send: no request can follow it.
        assert len(standin.requests) == 1  # Rita's only
    finally:
        app.stop()
        provider.stop()


@pytest.fixture
def proxied(standin, tmp_path: Path) -> Iterator[AppServer]:
    """The app behind an authenticating proxy that names the user and their groups; interns have a
    daily budget of 100 tokens; members of ops administer."""
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email",
        GPTPROTO_GROUPS_HEADER="X-Forwarded-Groups",
        GPTPROTO_GROUP_MODELS=GROUP_MODELS,
        GPTPROTO_GROUP_LIMITS="interns=tokens:100",
        GPTPROTO_ADMIN_GROUPS="ops",
    )
    server = AppServer(env, tmp_path).start()
    yield server
    server.stop()


def _person(browser: Browser, email: str, groups: str | None = None) -> Page:
    headers = {"X-Forwarded-Email": email}
    if groups is not None:
        headers["X-Forwarded-Groups"] = groups
    return new_page(browser, extra_http_headers=headers)


def test_the_proxys_groups_header_picks_the_models_and_80_percent_is_announced_and_listed(
    browser: Browser, proxied: AppServer, standin
):
    intern = _person(browser, "ian@example.com", "interns")
    intern.goto(proxied.url)
    expect(intern.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
    assert _model_options(intern) == ["o4-mini", "gpt-4o-mini", "Custom model id…"]
    expect(intern.get_by_role("link", name="Admin")).to_have_count(0)

    # 70 of the interns' 100 tokens: no notice yet. Then 15 more: 85 of 100, past 80%.
    standin.enqueue(
        Reply(text="First answer.", prompt_tokens=40, completion_tokens=30),
        Reply(text="Second answer.", prompt_tokens=10, completion_tokens=5),
    )
    send(intern, "First question")
    expect(intern.get_by_text("First answer.")).to_be_visible()
    expect(intern.get_by_text("Tokens today (UTC): 70 of 100 (70%)")).to_be_attached()
    expect(intern.get_by_text("of your daily token budget", exact=False)).to_have_count(0)
    send(intern, "Second question")
    expect(intern.get_by_text("Second answer.")).to_be_visible()
    expect(
        intern.get_by_text(
            re.compile(
                r"You have used 85% of your daily token budget: 15 of 100 tokens left\. "
                r"It resets at midnight UTC"
            )
        )
    ).to_be_visible()

    admin = _person(browser, "olga@example.com", "ops")
    admin.goto(proxied.url + "/admin")
    expect(admin.get_by_role("heading", name="Near or over a limit")).to_be_visible(timeout=FIRST_PAGE)
    expect(admin.get_by_text("ian@example.com: tokens per day, 85 of 100 (85%)")).to_be_visible()

    # A person whose proxy sends no groups header is in no group: any model, no limit.
    nobody = _person(browser, "nora@example.com")
    nobody.goto(proxied.url)
    expect(nobody.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
    assert "o3" in _model_options(nobody)


@pytest.fixture
def two_replicas(standin, tmp_path: Path) -> Iterator[tuple[AppServer, AppServer]]:
    schema = f"groups_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        DATABASE_URL=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
        GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email",
        GPTPROTO_GROUPS_HEADER="X-Forwarded-Groups",
        GPTPROTO_GROUP_MODELS=GROUP_MODELS,
        GPTPROTO_ADMIN_GROUPS="ops",
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = AppServer(env, tmp_path / "a").start()
    second = AppServer(env, tmp_path / "b").start()
    yield first, second
    first.stop()
    second.stop()
    drop_schema(schema)


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_a_policy_edited_on_one_replicas_admin_page_holds_on_the_other(
    browser: Browser, two_replicas, standin
):
    first, second = two_replicas
    intern = _person(browser, "ian@example.com", "interns")
    intern.goto(second.url)
    expect(intern.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
    assert _model_options(intern) == ["o4-mini", "gpt-4o-mini", "Custom model id…"]

    admin = _person(browser, "olga@example.com", "ops")
    admin.goto(first.url + "/admin")
    expect(admin.get_by_role("heading", name="Groups and policies")).to_be_visible(timeout=FIRST_PAGE)
    # The form opens on the first group by name: interns, whose policy the settings give.
    expect(admin.get_by_role("combobox", name="Group")).to_have_value("interns")
    models = admin.get_by_role("textbox", name="Models allowed")
    expect(models).to_have_value("gpt-4o-mini, o4-mini")
    models.fill("gpt-4o-mini")
    admin.get_by_role("button", name="Save policy").click()
    expect(admin.get_by_text("Policy saved for interns: models: gpt-4o-mini", exact=False)).to_be_visible()

    intern.reload()  # the other replica reads the policy now in the database
    expect(intern.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=FIRST_PAGE)
    assert _model_options(intern) == ["gpt-4o-mini", "Custom model id…"]
    _type_custom_model(intern, "o4-mini")
    refused = "o4-mini is not among the models you may use. You may use: gpt-4o-mini."
    expect(intern.get_by_test_id("stSidebar").get_by_text(refused)).to_be_visible()
    send(intern, "Still o4-mini?")
    expect(intern.locator("main").get_by_text(refused, exact=False).first).to_be_visible()
    # The refusal is drawn by the run that decided not to send: no request can follow it.
    assert standin.requests == []


def test_a_request_that_carries_the_groups_header_twice_is_refused(proxied: AppServer, standin):
    # A proxy that adds its groups header to one a client sent passes both along: the app trusts
    # neither. A raw websocket client sends what a browser cannot: the same header twice.
    user = [("X-Forwarded-Email", "ian@example.com")]
    twice = [*user, ("X-Forwarded-Groups", "interns"), ("X-Forwarded-Groups", "ops")]
    with pytest.raises(ProtocolError, match=r"no chat input .*; it shows Sign-in required$"):
        ChatClient(proxied.url, headers=twice, timeout=30).open()
    with ChatClient(proxied.url, headers=[*user, ("X-Forwarded-Groups", "interns")], timeout=30):
        pass  # one value: the chat page, with its input, is served
    assert standin.requests == []
