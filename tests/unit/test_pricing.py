"""Cost estimates from the configured prices (USD per million input/output tokens)."""

import pytest

from core.conversation import Usage
from core.pricing import estimate_cost, format_cost, request_cost

PRICES = {"gpt-4o": (2.5, 10.0), "o3": (2.0, 8.0)}


def test_cost_from_prices():
    cost = estimate_cost("gpt-4o", Usage(prompt_tokens=1_000, completion_tokens=2_000), PRICES)
    # 1,000 × $2.5 + 2,000 × $10 per million tokens = $0.0225
    assert cost is not None and cost.usd == pytest.approx(0.0225)
    assert format_cost(cost) == "≈ $0.0225 (est. at $2.5/$10 per 1M tokens)"
    assert estimate_cost("unknown", Usage(prompt_tokens=1), PRICES) is None
    assert format_cost(None) == "no price set"
    assert estimate_cost("gpt-4o", None, PRICES) is None


def test_cost_of_a_request_uses_the_configured_prices():
    prices = {"gpt-4o": (2.5, 10.0)}
    assert request_cost("gpt-4o", Usage(prompt_tokens=1_000, completion_tokens=2_000), prices) == 0.0225
    assert request_cost("o3", Usage(prompt_tokens=1_000), prices) is None
    assert request_cost("gpt-4o", None, prices) is None
