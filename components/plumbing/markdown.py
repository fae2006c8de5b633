"""Every text the app did not write itself (answers, prompts, titles, names) goes through here
before Streamlit renders it as markdown: remote images off the allow-list become links (no fetch
without a click) and script links become plain text."""

from __future__ import annotations

from components.plumbing.config import load_settings
from core.safe_markdown import is_allowed_image_url, safe_markdown


def safe(text: str) -> str:
    """`text` as markdown that loads nothing remote by itself (GPTPROTO_ALLOWED_IMAGE_HOSTS aside)."""
    return safe_markdown(text, load_settings().allowed_image_hosts)


def image_allowed(url: str) -> bool:
    """True for an image link from a host the operator trusts (loaded without a click)."""
    return is_allowed_image_url(url, load_settings().allowed_image_hosts)
