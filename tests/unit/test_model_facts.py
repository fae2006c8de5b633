"""The line of facts a picker shows beside a model, each from the setting that holds it."""

from __future__ import annotations

from core.model_facts import model_facts
from core.settings import resolve_settings


def test_facts_of_a_configured_reasoning_model_with_images_and_a_price():
    settings = resolve_settings({}, {"GPTPROTO_PRICES": "o3=2/8"}, {})
    assert model_facts("o3", settings) == "200,000-token context · images · reasoning · $2/$8 per 1M tokens"


def test_a_model_the_settings_know_nothing_of_gets_the_defaults_they_give():
    settings = resolve_settings({}, {"GPTPROTO_CONTEXT_WINDOWS": "*=32000,claude-sonnet-4-5=1000000"}, {})
    assert model_facts("gpt-4.1-nano", settings) == "32,000-token context · no price set"
    assert model_facts("claude-sonnet-4-5", settings) == "1,000,000-token context · no price set"


def test_a_dated_snapshot_takes_its_models_window():
    settings = resolve_settings({}, {"GPTPROTO_PRICES": "gpt-4o-2024-08-06=2.5/10"}, {})
    assert model_facts("gpt-4o-2024-08-06", settings) == "128,000-token context · $2.5/$10 per 1M tokens"


def test_the_price_can_be_left_out():
    settings = resolve_settings({}, {"GPTPROTO_PRICES": "o3=2/8"}, {})
    assert model_facts("o3", settings, with_price=False) == "200,000-token context · images · reasoning"
