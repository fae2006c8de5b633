"""Group policies: which models the people in a group may use and the limits a group gives them,
decided from the groups their sign-in names, with no database, clock or Streamlit.

Where a policy comes from: GPTPROTO_GROUP_MODELS and GPTPROTO_GROUP_LIMITS give each group's
policy; one an admin saves on the Admin page replaces the settings' policy for that group whole
(removing it there brings the settings' one back).

What a person may use:
- models: the union of the patterns of every group of theirs whose policy names models; when none
  does, GPTPROTO_DEFAULT_MODELS_ALLOWED (`*` by default: any model).
- limits, for each of the three: their own override (Admin page) if set, else the most generous of
  their groups' values (0, no limit, beats any number), else the default from the settings.

Groups, patterns and model ids compare case-insensitively; patterns are fnmatch's (`*`, `?`,
`[...]`), so `gpt-4o*` allows `gpt-4o` and `gpt-4o-mini`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from core.limits import LIMIT_NAMES, UNLIMITED, Limits, merge_limits

ANY_MODEL = ("*",)
# What a group may be called and what a pattern may hold: a model id's characters plus fnmatch's.
_GROUP = re.compile(r"^[^\s=;,]{1,200}$")
_PATTERN = re.compile(r"^[A-Za-z0-9._:/@*?\[\]!-]{1,200}$")
# Short names of the limits in GPTPROTO_GROUP_LIMITS, as they read on a line of settings.
LIMIT_KEYS: dict[str, str] = {
    "rpm": "requests_per_minute",
    "tokens": "tokens_per_day",
    "cost": "cost_per_month_usd",
}


@dataclass(frozen=True)
class GroupPolicy:
    """What one group gives its members. `models` None: the group names no models (its members get
    the models of their other groups, or the default); `limits` fields None: not set by the group."""

    group: str
    models: tuple[str, ...] | None = None
    limits: Limits = field(default_factory=Limits)
    source: str = "settings"  # or "admin": saved on the Admin page, replacing the settings' one

    @property
    def key(self) -> str:
        """The group's name as groups are compared."""
        return group_key(self.group)


@dataclass(frozen=True)
class Allowance:
    """What one person may use, and why: for the sidebar, the Admin page and admission."""

    groups: tuple[str, ...]
    models: tuple[str, ...]  # patterns
    models_from: tuple[str, ...]  # the groups whose policies gave `models`; empty: the default
    limits: Limits  # in force (merged: None is no limit)
    group_limits: Limits = field(default_factory=Limits)  # the most generous of the groups' values


def group_key(name: str) -> str:
    """A group's name as groups are compared (case-insensitive)."""
    return name.strip().casefold()


# -- reading the settings and the sign-in -----------------------------------------------------


def parse_patterns(raw: str, where: str) -> tuple[str, ...]:
    """`gpt-4o*, o4-mini` as patterns; `where` names the setting or box in the message."""
    patterns = tuple(item.strip() for item in raw.split(",") if item.strip())
    for pattern in patterns:
        if not _PATTERN.match(pattern):
            raise ValueError(
                f"{where}: {pattern!r} is not a model id or pattern (letters, digits, . _ : / @ - and "
                "the wildcards * ? [ ]), e.g. gpt-4o-mini or o4-*."
            )
    return patterns


def _group_entries(raw: str, setting: str, example: str) -> Iterable[tuple[str, str]]:
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        group, equals, value = entry.partition("=")
        if not equals or not _GROUP.match(group.strip()):
            raise ValueError(
                f"{setting} entry {entry!r} must look like group=... with groups separated by ';', "
                f"e.g. {example}."
            )
        yield group.strip(), value


def parse_group_models(raw: str) -> dict[str, tuple[str, ...]]:
    """GPTPROTO_GROUP_MODELS: `interns=gpt-4o-mini,o4-mini;research=*`, by group as written."""
    setting = "GPTPROTO_GROUP_MODELS"
    models: dict[str, tuple[str, ...]] = {}
    for group, value in _group_entries(raw, setting, "interns=gpt-4o-mini,o4-mini;research=*"):
        patterns = parse_patterns(value, f"{setting} for {group}")
        if not patterns:
            raise ValueError(f"{setting} for {group} names no model: list at least one, or * for any.")
        models[group] = patterns
    return models


def parse_group_limits(raw: str) -> dict[str, Limits]:
    """GPTPROTO_GROUP_LIMITS: `interns=rpm:5,tokens:100000,cost:20;research=cost:off` (a limit left
    out is not set by the group; `off` is no limit)."""
    setting = "GPTPROTO_GROUP_LIMITS"
    example = "interns=rpm:5,tokens:100000,cost:20;research=cost:off"
    limits: dict[str, Limits] = {}
    for group, value in _group_entries(raw, setting, example):
        values: dict[str, float] = {}
        for item in (part.strip() for part in value.split(",") if part.strip()):
            key, colon, number = item.partition(":")
            name = LIMIT_KEYS.get(key.strip().lower())
            if not colon or name is None:
                raise ValueError(
                    f"{setting} for {group}: {item!r} must be rpm:N, tokens:N or cost:USD (or :off), "
                    f"e.g. {example}."
                )
            values[name] = _limit_value(number, f"{setting} for {group}, {key.strip()}")
        if not values:
            raise ValueError(
                f"{setting} for {group} sets no limit: give rpm, tokens or cost, e.g. {example}."
            )
        limits[group] = Limits(
            _whole(values.get("requests_per_minute")),
            _whole(values.get("tokens_per_day")),
            values.get("cost_per_month_usd"),
        )
    return limits


def _limit_value(raw: str, where: str) -> float:
    text = raw.strip().lower().lstrip("$")
    if text in ("off", "none"):
        return UNLIMITED
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where} must be a number, or off for no limit; got {raw.strip()!r}.") from None
    if value <= 0:
        raise ValueError(f"{where} must be above zero (or off for no limit); got {raw.strip()!r}.")
    return value


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def parse_groups(value: object) -> tuple[str, ...]:
    """A person's groups from a sign-in claim or a proxy's header: a list of names, or one string
    of names separated by commas. Anything else (a number, an object) names no group."""
    if isinstance(value, str):
        items: Sequence[object] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        return ()
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(group_key(item), item.strip())
    return tuple(seen.values())


def in_any(groups: Iterable[str], wanted: Iterable[str]) -> bool:
    """True when one of `groups` is one of `wanted` (e.g. GPTPROTO_ADMIN_GROUPS)."""
    keys = {group_key(name) for name in wanted}
    return any(group_key(name) in keys for name in groups)


# -- the policies in force ----------------------------------------------------------------------


def settings_policies(
    group_models: Mapping[str, tuple[str, ...]], group_limits: Mapping[str, Limits]
) -> dict[str, GroupPolicy]:
    """Each group's policy as the settings give it, by `group_key`."""
    names = {group_key(name): name for name in [*group_limits, *group_models]}
    models = {group_key(name): value for name, value in group_models.items()}
    limits = {group_key(name): value for name, value in group_limits.items()}
    return {key: GroupPolicy(name, models.get(key), limits.get(key, Limits())) for key, name in names.items()}


def policies_in_force(
    from_settings: Mapping[str, GroupPolicy], saved: Iterable[GroupPolicy]
) -> dict[str, GroupPolicy]:
    """The settings' policies with each one saved on the Admin page in place of its group's."""
    policies = dict(from_settings)
    for policy in saved:
        policies[policy.key] = policy
    return dict(sorted(policies.items()))


def allowance(
    groups: Sequence[str],
    policies: Mapping[str, GroupPolicy],
    default_models: tuple[str, ...],
    default_limits: Limits,
    override: Limits | None = None,
) -> Allowance:
    """What a person in `groups` may use (see the module docstring for the rules)."""
    mine = [policies[group_key(name)] for name in groups if group_key(name) in policies]
    naming = [policy for policy in mine if policy.models is not None]
    patterns: dict[str, str] = {}
    for policy in naming:
        for pattern in policy.models or ():
            patterns.setdefault(pattern.casefold(), pattern)
    models = tuple(patterns.values()) if naming else default_models
    given = most_generous([policy.limits for policy in mine])
    limits = merge_limits(merge_limits(default_limits, given), override)
    return Allowance(tuple(groups), models, tuple(policy.group for policy in naming), limits, given)


def most_generous(layers: Sequence[Limits]) -> Limits:
    """Per limit, the most generous value any layer sets: 0 (no limit) over any number, a larger
    number over a smaller; None where no layer sets it."""
    values: dict[str, float | None] = {}
    for name in LIMIT_NAMES:
        set_here = [getattr(layer, name) for layer in layers if getattr(layer, name) is not None]
        if not set_here:
            values[name] = None
        elif any(value <= UNLIMITED for value in set_here):
            values[name] = UNLIMITED
        else:
            values[name] = max(set_here)
    rpm, tokens, cost = (values[name] for name in LIMIT_NAMES)
    return Limits(_whole(rpm), _whole(tokens), cost)


# -- models -----------------------------------------------------------------------------------


def model_allowed(model: str, patterns: Sequence[str]) -> bool:
    """True when `model` matches one of `patterns` (case-insensitive)."""
    wanted = model.strip().casefold()
    return any(fnmatchcase(wanted, pattern.casefold()) for pattern in patterns)


def offered_models(choices: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The curated models a person may pick: `choices` that their patterns allow, in order."""
    return [model for model in choices if model_allowed(model, patterns)]


def describe_models(patterns: Sequence[str]) -> str:
    """'any model', or the patterns as a list: 'gpt-4o-mini, o4-mini'."""
    if any(pattern.strip() == "*" for pattern in patterns):
        return "any model"
    return ", ".join(patterns) if patterns else "no model"


def models_problem(models: Sequence[str], patterns: Sequence[str]) -> str | None:
    """None when every one of `models` is allowed, else what is wrong: those refused and the
    models the person may use (shown under the model picker)."""
    refused = list(dict.fromkeys(model for model in models if not model_allowed(model, patterns)))
    if not refused:
        return None
    verb = "is" if len(refused) == 1 else "are"
    return (
        f"{', '.join(refused)} {verb} not among the models you may use. "
        f"You may use: {describe_models(patterns)}."
    )


def models_refusal(models: Sequence[str], patterns: Sequence[str]) -> str | None:
    """`models_problem` as admission says it: nothing was sent, and the prompt is kept."""
    problem = models_problem(models, patterns)
    return None if problem is None else f"Not sent: {problem} Pick one of them; your prompt is kept."


# -- changes an admin saves -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonLimitsChange:
    """An admin's per-person override of the limits (empty: back to the group's or the default)."""

    user_id: str
    label: str  # how the Admin page names the person
    override: Limits


@dataclass(frozen=True)
class GroupPolicySaved:
    """An admin's policy for a group, in place of the settings' one."""

    policy: GroupPolicy


@dataclass(frozen=True)
class GroupPolicyRemoved:
    """An admin's policy for a group removed: the settings' one (if any) applies again."""

    group: str


PolicyChange = PersonLimitsChange | GroupPolicySaved | GroupPolicyRemoved


def describe_policy(policy: GroupPolicy) -> str:
    """'models: gpt-4o-mini, o4-mini; 5 requests per minute; tokens per day: not set; ...'."""
    models = "not set" if policy.models is None else describe_models(policy.models)
    parts = [f"models: {models}"]
    names = {"requests_per_minute": "requests per minute", "tokens_per_day": "tokens per day"}
    names["cost_per_month_usd"] = "cost per month (USD)"
    for name in LIMIT_NAMES:
        value = getattr(policy.limits, name)
        shown = "not set" if value is None else "no limit" if value <= UNLIMITED else f"{value:,}"
        parts.append(f"{names[name]}: {shown}")
    return "; ".join(parts)
