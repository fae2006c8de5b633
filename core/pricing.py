"""What an answer may have cost: the configured prices, read from GPTPROTO_PRICES, applied to the
usage the gateway reported. Always an estimate, never a bill."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from core.conversation import Usage

# Model id -> (input, output) price in USD per million tokens.
Prices: TypeAlias = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class CostEstimate:
    """An estimate from the configured prices (USD per million tokens), never a bill."""

    usd: float
    prompt_price: float
    completion_price: float


def parse_prices(entries: Iterable[str]) -> dict[str, tuple[float, float]]:
    """`model=input/output` entries (USD per million tokens) as prices; raises ValueError naming
    the entry that is not of that shape."""
    prices: dict[str, tuple[float, float]] = {}
    for item in entries:
        model, _, pair = item.partition("=")
        prompt, _, completion = pair.partition("/")
        try:
            prices[model.strip()] = (float(prompt), float(completion))
        except ValueError:
            raise ValueError(
                f"GPTPROTO_PRICES entry {item!r} must look like model=input/output "
                "(USD per million tokens), e.g. gpt-4o=2.5/10."
            ) from None
    return prices


def estimate_cost(model: str, usage: Usage | None, prices: Prices) -> CostEstimate | None:
    """Prompt tokens at the input price, completion (reasoning included) at the output price."""
    if usage is None or model not in prices:
        return None
    prompt_price, completion_price = prices[model]
    usd = (usage.prompt_tokens * prompt_price + usage.completion_tokens * completion_price) / 1_000_000
    return CostEstimate(usd, prompt_price, completion_price)


def request_cost(model: str, usage: Usage | None, prices: Prices) -> float | None:
    """The estimated USD cost of one request, or None when the model has no configured price."""
    cost = estimate_cost(model, usage, prices)
    return None if cost is None else cost.usd


def format_usd(usd: float | None) -> str:
    """'≈ $0.0123', or 'no price set' when the model has no configured price."""
    return "no price set" if usd is None else f"≈ ${usd:.4f}"


def format_price(prompt_price: float, completion_price: float) -> str:
    """'$2.5/$10': a model's input and output price per million tokens."""
    return f"${prompt_price:g}/${completion_price:g}"


def format_cost(cost: CostEstimate | None) -> str:
    """'≈ $0.0123 (est. at $2.5/$10 per 1M tokens)' or 'no price set'."""
    if cost is None:
        return format_usd(None)
    price = format_price(cost.prompt_price, cost.completion_price)
    return f"{format_usd(cost.usd)} (est. at {price} per 1M tokens)"
