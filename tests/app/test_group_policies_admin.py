"""The Admin page's groups: a policy saved there replaces the settings' one for its group (stored,
so every replica reads it), a bad pattern is refused with what to write, the budgets count each
person's groups, and who has used 80% of a limit is listed. Every change goes through the one
saving function, `components.plumbing.policy_changes.save_change`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from components.state import admin as admin_state
from core.audit import AuditFilter
from core.conversation import Usage
from core.policies import GroupPolicy, GroupPolicyRemoved, GroupPolicySaved, PersonLimitsChange
from core.quotas import Limits
from core.storage import AuditStore, UsageStore, database_url, make_engine, migrate, upsert_user
from core.storage.policy_store import PolicyStore
from tests.app.test_admin_page import ADMIN, BUDGETS, look_as, open_admin, table

SETTINGS = {
    "GPTPROTO_GROUP_MODELS": "interns=gpt-4o-mini,o4-mini",
    "GPTPROTO_GROUP_LIMITS": "interns=tokens:1000",
}


@pytest.fixture
def engine(tmp_path, monkeypatch) -> Iterator[Engine]:
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    created = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(created)
    # Ian is an intern and has used 850 of the interns' 1,000 tokens today; Rita is in no group.
    upsert_user(
        created, "ian", email="ian@example.com", name="Ian", issuer="i", subject="ian", groups=("interns",)
    )
    upsert_user(created, "rita", email="rita@example.com", name="Rita", issuer="i", subject="rita", groups=())
    usage = UsageStore(created)
    [row] = usage.reserve(
        "ian", ["o4-mini"], page="chat", defaults=Limits(), at=datetime.now(UTC) - timedelta(seconds=5)
    )  # type: ignore[misc]
    usage.finish(row, status="complete", usage=Usage(800, 50, 850))
    yield created
    created.dispose()


@pytest.fixture
def changes(monkeypatch) -> list[object]:
    """Every change the page saves, as the one saving function hears it."""
    from components.plumbing import policy_changes

    heard: list[object] = []
    original = policy_changes.save_change

    def recording(store, change, by):
        heard.append((change, by))
        return original(store, change, by)

    monkeypatch.setattr(policy_changes, "save_change", recording)
    monkeypatch.setattr("components.group_policy_view.save_change", recording)
    return heard


def test_budgets_count_the_groups_and_the_near_limit_list_names_the_person(monkeypatch, engine):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    budgets = table(at, BUDGETS).set_index("user")
    assert budgets.loc["ian@example.com", "tokens today"] == "850 of 1,000 (85%)"
    assert budgets.loc["ian@example.com", "limits"] == "group"
    assert budgets.loc["ian@example.com", "groups"] == "interns"
    assert budgets.loc["rita@example.com", "tokens today"] == "0 (no limit)"
    assert [md.value for md in at.markdown if md.value.startswith("- ")] == [
        "- ian@example.com: tokens per day, 850 of 1,000 (85%)"
    ]


def test_a_policy_saved_on_the_page_replaces_the_settings_one_and_can_be_removed(
    monkeypatch, engine, changes
):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    assert at.selectbox(key=admin_state.POLICY_GROUP).value == "interns"
    assert at.text_input(key=admin_state.policy_key("models", "interns")).value == "gpt-4o-mini, o4-mini"
    assert at.number_input(key=admin_state.policy_key("tokens_per_day", "interns")).value == 1000
    at.text_input(key=admin_state.policy_key("models", "interns")).set_value("gpt-4o*")
    at.number_input(key=admin_state.policy_key("tokens_per_day", "interns")).set_value(2000)
    at.button(key=admin_state.POLICY_SAVE).click().run()
    assert not at.exception, at.exception
    saved = GroupPolicy("interns", ("gpt-4o*",), Limits(None, 2000, None), "admin")
    assert PolicyStore(engine).saved() == [saved]
    assert changes == [(GroupPolicySaved(saved), "ada@example.com")]
    # As written, through the guard into markdown (which escapes the pattern's star).
    assert at.success[0].value == (
        "Policy saved for interns: models: gpt-4o\\*; requests per minute: not set; "
        "tokens per day: 2,000; cost per month (USD): not set."
    )
    # Ian's budget is the new policy's now.
    assert table(at, BUDGETS).set_index("user").loc["ian@example.com", "tokens today"] == "850 of 2,000 (42%)"

    at.button(key=admin_state.POLICY_REMOVE).click().run()
    assert not at.exception, at.exception
    assert PolicyStore(engine).saved() == []
    assert changes[-1] == (GroupPolicyRemoved("interns"), "ada@example.com")
    assert at.text_input(key=admin_state.policy_key("models", "interns")).value == "gpt-4o-mini, o4-mini"
    # Both changes are in the audit log, with who made them and the figures, oldest last.
    removed, saved_entry = AuditStore(engine).entries(AuditFilter(actor_id="admin-1"))[:2]
    assert (removed.action, removed.subject, removed.actor) == (
        "policy_removed",
        "interns",
        "ada@example.com",
    )
    assert (saved_entry.action, saved_entry.subject) == ("policy_saved", "interns")
    assert saved_entry.details == {
        "models": 1,
        "requests_per_minute": None,
        "tokens_per_day": 2000,
        "cost_per_month_usd": None,
    }


def test_a_bad_pattern_is_refused_with_what_to_write_and_nothing_is_saved(monkeypatch, engine, changes):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    at.text_input(key=admin_state.policy_key("models", "interns")).set_value("gpt 4o")
    at.button(key=admin_state.POLICY_SAVE).click().run()
    assert not at.exception, at.exception
    assert (
        "The policy was not saved: Models allowed: 'gpt 4o' is not a model id or pattern" in at.error[0].value
    )
    assert PolicyStore(engine).saved() == [] and changes == []
    # What the admin typed stays in the box, to correct.
    assert at.text_input(key=admin_state.policy_key("models", "interns")).value == "gpt 4o"


def test_a_persons_limits_are_saved_through_the_same_function(monkeypatch, engine, changes):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    at.selectbox(key=admin_state.LIMITS_USER).set_value("ian").run()
    at.number_input(key=admin_state.limit_key("tokens_per_day", "ian")).set_value(0)
    at.button(key=admin_state.LIMITS_SAVE).click().run()
    assert not at.exception, at.exception
    assert changes == [
        (PersonLimitsChange("ian", "ian@example.com", Limits(None, 0, None)), "ada@example.com")
    ]
    assert table(at, BUDGETS).set_index("user").loc["ian@example.com", "tokens today"] == "850 (no limit)"
