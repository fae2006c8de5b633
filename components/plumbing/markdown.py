"""Every text the app did not write itself (answers, prompts, titles, names) goes through here
before Streamlit renders it as markdown: remote images off the allow-list become links (no fetch
without a click) and script links become plain text. Names and other one-line texts go through
`core.safe_text.literal` instead, which shows them as written."""

from __future__ import annotations

from components.plumbing.config import load_settings
from core.math_markdown import math_markdown
from core.safe_markdown import is_allowed_image_url, safe_markdown
from core.safe_text import SafeMarkdown


def safe(text: str) -> SafeMarkdown:
    """`text` as markdown that loads nothing remote by itself (GPTPROTO_ALLOWED_IMAGE_HOSTS aside),
    its LaTeX in the forms the renderer draws and its other dollar signs kept as dollars."""
    return safe_markdown(math_markdown(text), load_settings().allowed_image_hosts)


def image_allowed(url: str) -> bool:
    """True for an image link from a host the operator trusts (loaded without a click)."""
    return is_allowed_image_url(url, load_settings().allowed_image_hosts)
