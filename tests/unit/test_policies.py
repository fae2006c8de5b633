"""Group policies: reading the settings and the sign-in's groups, which models a person may use,
which limits are in force (person > most generous group > default), and the 80% notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.identity import GroupRules, IdentityConfigError, header_identity, identity_mode, oidc_identity
from core.policies import (
    GroupPolicy,
    allowance,
    describe_models,
    model_allowed,
    models_refusal,
    most_generous,
    offered_models,
    parse_groups,
    policies_in_force,
    settings_policies,
)
from core.quotas import Limits, UsageWindow, budget_notices
from core.settings import SettingsError, resolve_settings

NOW = datetime(2026, 12, 3, 15, 0, 0, tzinfo=UTC)


# -- settings ---------------------------------------------------------------------------------


def test_group_settings_are_read_with_their_defaults():
    settings = resolve_settings(
        environ={
            "GPTPROTO_GROUP_MODELS": "interns=gpt-4o-mini, o4-mini; research=*",
            "GPTPROTO_GROUP_LIMITS": "interns=rpm:5,tokens:100000,cost:20;research=cost:off",
            "GPTPROTO_ADMIN_GROUPS": "platform, ops",
            "GPTPROTO_GROUPS_HEADER": "X-Forwarded-Groups",
            "GPTPROTO_IDENTITY_HEADER": "X-Forwarded-Email",
        }
    )
    assert settings.group_models == {"interns": ("gpt-4o-mini", "o4-mini"), "research": ("*",)}
    assert settings.group_limits == {
        "interns": Limits(5, 100_000, 20.0),
        "research": Limits(None, None, 0),  # off: no limit for the group
    }
    assert settings.admin_groups == ("platform", "ops")
    assert settings.groups_header == "X-Forwarded-Groups"
    assert settings.groups_claim == "groups"
    assert settings.default_models_allowed == ("*",)
    assert resolve_settings(environ={"GPTPROTO_GROUPS_CLAIM": "roles"}).groups_claim == "roles"


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("GPTPROTO_GROUP_MODELS", "interns:gpt-4o", "must look like group=..."),
        ("GPTPROTO_GROUP_MODELS", "interns=", "names no model"),
        ("GPTPROTO_GROUP_MODELS", "interns=gpt 4o", "is not a model id or pattern"),
        ("GPTPROTO_GROUP_LIMITS", "interns=rpm=5", "must be rpm:N, tokens:N or cost:USD"),
        ("GPTPROTO_GROUP_LIMITS", "interns=speed:5", "must be rpm:N, tokens:N or cost:USD"),
        ("GPTPROTO_GROUP_LIMITS", "interns=tokens:lots", "must be a number, or off"),
        ("GPTPROTO_GROUP_LIMITS", "interns=cost:0", "above zero (or off"),
        ("GPTPROTO_DEFAULT_MODELS_ALLOWED", " , ", None),  # blank: the default stays
        ("GPTPROTO_DEFAULT_MODELS_ALLOWED", "gpt-4o mini", "is not a model id or pattern"),
        ("GPTPROTO_GROUPS_HEADER", "X Groups", "X-Forwarded-Groups"),
        ("GPTPROTO_GROUPS_CLAIM", "my groups", "claim's name"),
    ],
)
def test_a_bad_group_setting_names_itself_and_what_to_write(name, raw, says):
    if says is None:
        with pytest.raises(SettingsError, match="names no model"):
            resolve_settings(environ={name: raw})
        return
    with pytest.raises(SettingsError, match=name) as raised:
        resolve_settings(environ={name: raw})
    assert says in str(raised.value)


def test_groups_come_as_a_list_or_a_comma_separated_string():
    assert parse_groups(["research", "Interns", " ", 7, "interns"]) == ("research", "Interns")
    assert parse_groups("research, interns,,") == ("research", "interns")
    assert parse_groups(None) == ()
    assert parse_groups({"research": True}) == ()


# -- the sign-in's groups -----------------------------------------------------------------------

CLAIMS = {"is_logged_in": True, "iss": "https://idp", "sub": "ann", "email": "ann@example.com"}


def test_oidc_groups_come_from_the_configured_claim_and_admin_groups_administer():
    rules = GroupRules(claim="roles", admin_groups=("Platform",))
    ann = oidc_identity({**CLAIMS, "roles": ["research", "platform"], "groups": ["interns"]}, (), rules)
    assert ann is not None and ann.groups == ("research", "platform")
    assert ann.is_admin
    bob = oidc_identity({**CLAIMS, "sub": "bob", "roles": "interns"}, (), rules)
    assert bob is not None and bob.groups == ("interns",) and not bob.is_admin


def test_the_groups_header_is_trusted_only_beside_the_user_header():
    rules = GroupRules(header="X-Forwarded-Groups", admin_groups=("ops",))
    ann = header_identity(["ann@example.com"], "X-Forwarded-Email", (), ["research, ops"], rules)
    assert ann is not None and ann.groups == ("research", "ops") and ann.is_admin
    # No groups header: no group. Two of them: nobody, as with two user headers.
    alone = header_identity(["ann@example.com"], "X-Forwarded-Email", (), [], rules)
    assert alone is not None and alone.groups == () and not alone.is_admin
    assert header_identity(["ann@example.com"], "X-Forwarded-Email", (), ["interns", "ops"], rules) is None
    # Groups never make a person out of a request without exactly one user header.
    assert header_identity([], "X-Forwarded-Email", (), ["ops"], rules) is None


def test_a_groups_header_without_a_proxy_that_names_the_user_is_a_configuration_error():
    with pytest.raises(
        IdentityConfigError, match="GPTPROTO_GROUPS_HEADER is set, but no GPTPROTO_IDENTITY_HEADER"
    ):
        identity_mode(True, None, "X-Forwarded-Groups")
    with pytest.raises(IdentityConfigError):
        identity_mode(False, None, "X-Forwarded-Groups")
    assert identity_mode(False, "X-Forwarded-Email", "X-Forwarded-Groups") == "header"


# -- models -----------------------------------------------------------------------------------

POLICIES = settings_policies(
    {"interns": ("gpt-4o-mini", "o4-mini"), "Research": ("*",), "vision": ("gpt-4o*",)},
    {"interns": Limits(5, 100_000, 20.0), "research": Limits(None, None, 0), "vision": Limits(10, 50_000)},
)
DEFAULTS = Limits(3, 10_000, 5.0)


def test_a_person_may_use_the_union_of_their_groups_models():
    interns = allowance(["interns"], POLICIES, ("o4-mini",), DEFAULTS)
    assert interns.models == ("gpt-4o-mini", "o4-mini")
    both = allowance(["INTERNS", "vision"], POLICIES, ("o4-mini",), DEFAULTS)
    assert both.models == ("gpt-4o-mini", "o4-mini", "gpt-4o*")
    assert both.models_from == ("interns", "vision")
    assert model_allowed("gpt-4o-2024-08-06", both.models)
    assert not model_allowed("o3", both.models)
    assert allowance(["research"], POLICIES, ("o4-mini",), DEFAULTS).models == ("*",)


def test_a_person_in_no_group_with_models_gets_the_default_models():
    nobody = allowance([], POLICIES, ("o4-mini", "gpt-4o-mini"), DEFAULTS)
    assert nobody.models == ("o4-mini", "gpt-4o-mini") and nobody.models_from == ()
    limits_only = {"ops": GroupPolicy("ops", None, Limits(100))}
    assert allowance(["ops"], limits_only, ("o4-mini",), DEFAULTS).models == ("o4-mini",)


def test_the_picker_offers_only_allowed_models_and_a_refusal_lists_the_allowed_ones():
    curated = ["o4-mini", "gpt-4o", "gpt-4o-mini", "o3"]
    assert offered_models(curated, ("gpt-4o-mini", "o4-mini")) == ["o4-mini", "gpt-4o-mini"]
    assert offered_models(curated, ("*",)) == curated
    assert models_refusal(["o4-mini"], ("o4-mini",)) is None
    assert models_refusal(["o3", "o4-mini", "o3"], ("gpt-4o-mini", "o4-mini")) == (
        "Not sent: o3 is not among the models you may use. You may use: gpt-4o-mini, o4-mini. "
        "Pick one of them; your prompt is kept."
    )
    assert "o3, gpt-4o are not among" in (models_refusal(["o3", "gpt-4o"], ("o4-mini",)) or "")
    assert describe_models(("gpt-4o*", "*")) == "any model"


# -- limits -----------------------------------------------------------------------------------


def test_limits_person_override_then_most_generous_group_then_default():
    # interns: 5 rpm, 100,000 tokens, $20; vision: 10 rpm, 50,000 tokens, no cost set.
    both = allowance(["interns", "vision"], POLICIES, ("*",), DEFAULTS)
    assert both.limits == Limits(10, 100_000, 20.0)
    # research lifts the cost limit (off beats any number), the rest stays the default.
    assert allowance(["research", "interns"], POLICIES, ("*",), DEFAULTS).limits == Limits(5, 100_000, None)
    assert allowance(["research"], POLICIES, ("*",), DEFAULTS).limits == Limits(3, 10_000, None)
    # The person's own override wins field by field; 0 there is no limit.
    own = allowance(["interns"], POLICIES, ("*",), DEFAULTS, Limits(2, None, 0))
    assert own.limits == Limits(2, 100_000, None)
    assert allowance([], POLICIES, ("*",), DEFAULTS).limits == DEFAULTS


def test_most_generous_takes_no_limit_over_any_number():
    assert most_generous([Limits(5, None, 3.0), Limits(9, 0, None)]) == Limits(9, 0, 3.0)
    assert most_generous([]) == Limits()


def test_a_policy_saved_on_the_admin_page_replaces_the_settings_one_whole():
    saved = GroupPolicy("Interns", ("gpt-4o-mini",), Limits(None, 1_000), "admin")
    policies = policies_in_force(POLICIES, [saved])
    assert policies["interns"] == saved
    interns = allowance(["interns"], policies, ("*",), DEFAULTS)
    # rpm and cost are not set by the saved policy: the defaults apply, not the settings' 5 and $20.
    assert interns.limits == Limits(3, 1_000, 5.0)
    assert interns.models == ("gpt-4o-mini",)


# -- 80% notices ------------------------------------------------------------------------------


def test_a_notice_at_80_percent_says_what_is_left_and_when_it_resets():
    limits = Limits(5, 100_000, 20.0)
    under = UsageWindow(tokens_today=79_999, cost_this_month_usd=15.99)
    assert budget_notices(limits, under, NOW) == []
    window = UsageWindow(
        request_times=tuple(NOW - timedelta(seconds=s) for s in (50, 40, 30, 20)),
        tokens_today=85_000,
        cost_this_month_usd=16.0,
    )
    notices = budget_notices(limits, window, NOW)
    # Closest first: tokens 85%, then rpm 80% and cost 80%.
    assert [n.limit for n in notices] == ["tokens_per_day", "requests_per_minute", "cost_per_month_usd"]
    assert notices[0].message == (
        "You have used 85% of your daily token budget: 15,000 of 100,000 tokens left. "
        "It resets at midnight UTC (in 9 h)."
    )
    # The oldest of the 4 requests was sent 50 s ago: it stops counting in 10 s.
    assert notices[1].message == (
        "You have sent 4 of your 5 requests per minute (1 left): the oldest stops counting in 10 s "
        "(at 15:00:10 UTC)."
    )
    assert notices[2].message == (
        "You have used 80% of your monthly cost budget (estimated): $4.00 of $20.00 left. "
        "It resets on 1 January 2027 at 00:00 UTC (in 28 d 9 h)."
    )
    over = budget_notices(Limits(None, 1_000, None), UsageWindow(tokens_today=1_500), NOW)
    assert over[0].message.startswith(
        "You have used 100% of your daily token budget: 0 of 1,000 tokens left."
    )


def test_the_readmes_worked_example_holds():
    settings = resolve_settings(
        environ={
            "GPTPROTO_GROUP_MODELS": "interns=gpt-4o-mini,o4-mini;research=*",
            "GPTPROTO_DEFAULT_MODELS_ALLOWED": "o4-mini",
            "GPTPROTO_GROUP_LIMITS": "interns=rpm:5,tokens:100000,cost:20;research=cost:off",
            "GPTPROTO_LIMIT_TOKENS_PER_DAY": "20000",
            "GPTPROTO_LIMIT_COST_PER_MONTH": "5",
        }
    )
    policies = settings_policies(settings.group_models, settings.group_limits)
    defaults = Limits(None, 20_000, 5.0)

    def of(*groups: str):
        return allowance(groups, policies, settings.default_models_allowed, defaults)

    assert (of("interns").models, of("interns").limits) == (
        ("gpt-4o-mini", "o4-mini"),
        Limits(5, 100_000, 20.0),
    )
    assert (of("research").models, of("research").limits) == (("*",), Limits(None, 20_000, None))
    both = of("interns", "research")
    assert model_allowed("o3", both.models) and both.limits == Limits(5, 100_000, None)
    assert (of().models, of().limits) == (("o4-mini",), defaults)
