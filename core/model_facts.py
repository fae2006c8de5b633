"""What the app knows about a model, in one line for the pickers: each fact read from the one
place that holds it (the context window from core.context_fit, images from the vision models
setting, reasoning from core.models, the price from core.pricing)."""

from __future__ import annotations

from core.context_fit import context_window
from core.models import is_reasoning_model
from core.pricing import format_price
from core.settings import Settings


def model_facts(model: str, settings: Settings, *, with_price: bool = True) -> str:
    """'200,000-token context · images · reasoning · $1.1/$4.4 per 1M tokens' (or 'no price
    set'; nothing of the price without `with_price`): what the app assumes of `model`."""
    facts = [f"{context_window(settings.context_windows, model):,}-token context"]
    if model in settings.vision_models:
        facts.append("images")
    if is_reasoning_model(model):
        facts.append("reasoning")
    price = settings.prices.get(model)
    if with_price:
        facts.append(f"{format_price(*price)} per 1M tokens" if price else "no price set")
    return " · ".join(facts)
