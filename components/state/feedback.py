"""The widget keys of the feedback under an answer, on the page (`chat` or `compare`) that shows it."""

from __future__ import annotations

CHAT = "chat"  # the pages that show feedback, as the first part of its keys
COMPARE = "compare"


def rating_key(page: str, message_id: str) -> str:
    """The thumbs under one answer."""
    return f"{page}.feedback.rating.{message_id}"


def comment_box_key(page: str, message_id: str) -> str:
    """The popover that holds the comment."""
    return f"{page}.feedback.comment_box.{message_id}"


def comment_key(page: str, message_id: str) -> str:
    """The comment's text area."""
    return f"{page}.feedback.comment.{message_id}"


def comment_save_key(page: str, message_id: str) -> str:
    """The button that saves the comment."""
    return f"{page}.feedback.comment_save.{message_id}"
