"""The gateway's model list as the pickers offer it: the list read strictly, each id's family,
which ids can chat, and the menu (the configured favourites first, then the rest by family)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from core.gateway.request import InputError, validate_model_id
from core.models import is_reasoning_model
from core.policies import ANY_MODEL, model_allowed, offered_models

# A list of a few thousand models is well under 1 MB; anything larger is not a model list.
MAX_LIST_BYTES = 2 * 1024 * 1024
OTHER = "Other"


class ModelListUnavailable(Exception):
    """The gateway's model list could not be read; the message says why, in a few words."""


def _base(model: str) -> str:
    """The id without a provider prefix (openai/gpt-4o -> gpt-4o), lower case."""
    return model.strip().lower().rsplit("/", 1)[-1]


# Each family and how its ids start, in the order the pickers show them (first match wins, so
# gpt-4o and gpt-4.1 come before gpt-4).
_FAMILIES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("o-series", is_reasoning_model),
    ("GPT-5", lambda base: base.startswith("gpt-5")),
    ("GPT-4.1", lambda base: base.startswith("gpt-4.1")),
    ("GPT-4o", lambda base: base.startswith(("gpt-4o", "chatgpt-4o"))),
    ("GPT-4", lambda base: base.startswith("gpt-4")),
    ("GPT-3.5", lambda base: base.startswith("gpt-3.5")),
    ("Claude", lambda base: base.startswith("claude")),
    ("Gemini", lambda base: base.startswith(("gemini", "gemma"))),
    ("Llama", lambda base: base.startswith("llama")),
    ("DeepSeek", lambda base: base.startswith("deepseek")),
    ("Mistral", lambda base: base.startswith(("mistral", "mixtral", "codestral", "magistral"))),
    ("Grok", lambda base: base.startswith("grok")),
    ("Qwen", lambda base: base.startswith(("qwen", "qwq"))),
)
FAMILY_ORDER: tuple[str, ...] = (*(name for name, _ in _FAMILIES), OTHER)


def model_family(model: str) -> str:
    """The family a model id belongs to (e.g. 'o-series', 'GPT-4o', 'Claude'), else 'Other'."""
    base = _base(model)
    return next((name for name, belongs in _FAMILIES if belongs(base)), OTHER)


# A word of the id (split at - _ . / :) that marks a model the chat endpoint does not serve:
# embeddings, image and video generation, speech, transcription, moderation, realtime audio,
# and the old completion-only base models.
_NOT_CHAT_WORDS = frozenset(
    {
        "embed",
        "embedding",
        "embeddings",
        "dall",
        "image",
        "imagen",
        "sora",
        "tts",
        "whisper",
        "transcribe",
        "moderation",
        "realtime",
        "davinci",
        "babbage",
    }
)
_WORD_BREAK = re.compile(r"[-_.:/]")


def can_chat(model: str) -> bool:
    """False for ids that name a model the chat endpoint does not serve (see _NOT_CHAT_WORDS)."""
    return not _NOT_CHAT_WORDS.intersection(_WORD_BREAK.split(model.strip().lower()))


def parse_model_list(raw: bytes) -> tuple[str, ...]:
    """The ids of an OpenAI-format model list ({"object": "list", "data": [{"id": ...,
    "object": "model", ...}]}), in its order, each once; ModelListUnavailable says what is wrong.
    Ids the app could not send (see validate_model_id) are left out."""
    if len(raw) > MAX_LIST_BYTES:
        raise ModelListUnavailable(f"the model list is larger than {MAX_LIST_BYTES // (1024 * 1024)} MB")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ModelListUnavailable("the model list is not valid JSON") from None
    if not isinstance(document, dict) or document.get("object") != "list":
        raise ModelListUnavailable('the model list is not an object with "object": "list"')
    data = document.get("data")
    if not isinstance(data, list):
        raise ModelListUnavailable('the model list has no "data" array')
    ids: dict[str, None] = {}
    for index, item in enumerate(data):
        model = _listed_id(item, index)
        if model is not None:
            ids.setdefault(model, None)
    return tuple(ids)


def _listed_id(item: Any, index: int) -> str | None:
    where = f"data[{index}]"
    if not isinstance(item, dict):
        raise ModelListUnavailable(f"{where} of the model list is not an object")
    model = item.get("id")
    if not isinstance(model, str):
        raise ModelListUnavailable(f'{where} of the model list has no "id" string')
    if item.get("object") != "model":
        raise ModelListUnavailable(f'{where} of the model list is not "object": "model"')
    for name, kind in (("created", int), ("owned_by", str)):
        if name in item and item[name] is not None and not isinstance(item[name], kind):
            raise ModelListUnavailable(f'{where}."{name}" of the model list is not a {kind.__name__}')
    try:
        return validate_model_id(model)
    except InputError:
        return None


def is_hidden(model: str, hidden: Iterable[str]) -> bool:
    """True when an entry of `hidden` names the id (case-insensitive; `*` matches any run)."""
    name = model.strip().lower()
    return any(fnmatchcase(name, pattern.strip().lower()) for pattern in hidden)


@dataclass(frozen=True)
class ModelMenu:
    """What a model picker offers: the favourites, then the other models family by family, and
    why only the configured ones are there when the gateway's list could not be read."""

    favourites: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (family, its ids), in FAMILY_ORDER
    note: str | None = None

    def options(self, *also: str) -> list[str]:
        """Every id in the order shown, with `also` (an id already picked) added at the end
        when the menu does not have it."""
        shown = [*self.favourites, *(model for _, models in self.groups for model in models)]
        return shown + [model for model in dict.fromkeys(also) if model and model not in shown]

    def label(self, model: str) -> str:
        """How the picker names an id: one of the gateway's (or the extra ids) as 'Claude ·
        claude-...', so that its family shows, and can be searched, beside it; a favourite, or an
        id typed or picked before, as it is (a typed id reads back as typed)."""
        if any(model in models for _, models in self.groups):
            return f"{model_family(model)} · {model}"
        return model


def build_menu(
    favourites: Sequence[str],
    listed: Sequence[str] | None,
    *,
    hidden: Iterable[str] = (),
    extra: Iterable[str] = (),
    allowed: Sequence[str] = ANY_MODEL,
    note: str | None = None,
) -> ModelMenu:
    """The menu: the favourites as configured, then the chat-capable ids of the gateway's list
    (None: it could not be read) and the `extra` ids, less the `hidden` ones, by family; only
    ids the `allowed` patterns let the user use (see core.policies)."""
    hidden = tuple(hidden)
    candidates = [model for model in listed or () if can_chat(model)] + list(extra)
    chosen = [
        model
        for model in dict.fromkeys(candidates)
        if model not in favourites and not is_hidden(model, hidden) and model_allowed(model, allowed)
    ]
    by_family: dict[str, list[str]] = {}
    for model in chosen:
        by_family.setdefault(model_family(model), []).append(model)
    groups = tuple(
        (family, tuple(sorted(by_family[family], key=str.lower)))
        for family in FAMILY_ORDER
        if family in by_family
    )
    return ModelMenu(tuple(offered_models(list(dict.fromkeys(favourites)), allowed)), groups, note)


def fallback_note(problem: str) -> str:
    """The one quiet line a picker shows when the gateway's list could not be read."""
    return f"Showing the configured models: {problem}. You can still type a custom model id."
