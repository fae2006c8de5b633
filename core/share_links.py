"""Share links: an unguessable token naming a read-only snapshot, and the snapshot's format.

A chat's snapshot IS the conversation's JSON export (core.formats.conversation), limited to the
branch on show; a comparison's is the comparison's JSON export (core.formats.comparison). The
viewer reads either through the same strict import as an uploaded file, hostile-input checks
included, and "Copy into my chats" stores that import as the viewer's own. The snapshot is taken
once, so nothing the owner adds later reaches the link."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import urlsplit

from core.safe_text import one_line

if TYPE_CHECKING:  # the export's pydantic models load when a snapshot is made or read, not when
    # a page draws its Share button
    from collections.abc import Sequence

    from core.branches import ConversationTree
    from core.compare import CompareRound
    from core.conversation import ChatParams
    from core.formats.comparison import ImportedComparison
    from core.formats.conversation import Imported
    from core.images import ImageLimits

Kind = Literal["chat", "comparison"]
KINDS: tuple[Kind, ...] = get_args(Kind)
KIND_LABELS: dict[str, str] = {"chat": "Conversation", "comparison": "Comparison"}

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG: no link can be guessed or enumerated
TOKEN_LENGTH = 43  # what secrets.token_urlsafe(32) gives (base64url, no padding)
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")

SHARED_PATH = "shared"  # the page's url_path in app.py
QUERY = "s"  # <app url>/shared?s=<token>
MAX_TITLE_CHARS = 200  # the shares.title column

# One answer for an unknown, malformed and revoked token alike: a link tells nobody whether it
# ever existed.
MISSING = "That page does not exist (or is no longer shared)."


class NothingToShare(ValueError):
    """The conversation cannot be shared as it is; the message says why and what to do."""


def new_token() -> str:
    """A fresh share token: 43 URL-safe characters carrying 256 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def link_label(token: str) -> str:
    """How the audit log names a link: the token's first 8 characters, which say which link it was
    without being one (the other 35 stay secret)."""
    return f"link {token[:8]}"


def looks_like_token(text: str | None) -> bool:
    """True when `text` has a token's shape (anything else is missing without asking storage)."""
    return text is not None and _TOKEN.fullmatch(text) is not None


def app_base_url(page_url: str | None, base_path: str, fallback_origin: str) -> str:
    """The app's root as the browser reached it: the origin of `page_url` (the page the user is
    on, or `fallback_origin` when the browser did not say) plus the server's base path."""
    parts = urlsplit(page_url or "")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else fallback_origin
    path = base_path.strip("/")
    return origin.rstrip("/") + (f"/{path}" if path else "")


def share_link(base_url: str, token: str) -> str:
    """The link to a share: `<app url>/shared?s=<token>`."""
    return f"{base_url.rstrip('/')}/{SHARED_PATH}?{QUERY}={token}"


def share_title(title: str) -> str:
    """A title that fits the shares table: one line, at most MAX_TITLE_CHARS characters."""
    line = one_line(title) or "Shared conversation"
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1] + "…"


def chat_snapshot(title: str, params: ChatParams, tree: ConversationTree) -> str:
    """The branch on show, as the JSON export: what the owner sees is what the link shows
    (alternatives and edited-away branches they are not looking at stay private)."""
    from core.branches import ConversationTree
    from core.formats.conversation import export_json

    path = tree.path()
    if not path:
        raise NothingToShare("There is nothing to share yet: send a message first.")
    shown = ConversationTree.of(path, path[-1].id)
    return export_json(share_title(title), params, shown)


def read_chat_snapshot(snapshot: str, limits: ImageLimits | None = None) -> Imported:
    """A chat snapshot read back through the strict import (fresh ids at every call, so each
    copy stores new rows); raises ImportRejected when it is not a valid export."""
    from core.formats.conversation import import_json

    return import_json(snapshot.encode("utf-8"), limits)


def comparison_snapshot(title: str, params: ChatParams, rounds: Sequence[CompareRound]) -> str:
    """Every round of a comparison, as its JSON export (blind orders and verdicts included, so a
    round the owner had not voted on yet stays blind for the viewer too)."""
    from core.formats.comparison import export_comparison_json

    if not rounds:
        raise NothingToShare("There is nothing to share yet: send a prompt first.")
    return export_comparison_json(share_title(title), params, rounds)


def read_comparison_snapshot(snapshot: str, limits: ImageLimits | None = None) -> ImportedComparison:
    """A comparison snapshot read back through the strict comparison import (fresh ids)."""
    from core.formats.comparison import import_comparison_json

    return import_comparison_json(snapshot.encode("utf-8"), limits)


def check_snapshot(kind: str, snapshot: str, limits: ImageLimits | None = None) -> None:
    """Refuse, before a link exists, a snapshot its viewers could not open."""
    from core.formats.strict import ImportRejected

    read = read_comparison_snapshot if kind == "comparison" else read_chat_snapshot
    try:
        read(snapshot, limits)
    except ImportRejected as exc:
        what = "comparison" if kind == "comparison" else "conversation"
        raise NothingToShare(f"This {what} cannot be shared as it is: {exc}") from None
