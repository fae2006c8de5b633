"""A conversation as a tree: every message follows a parent; siblings are alternative answers
(regenerate) or edited prompts (branches). The page shows one path from the root to a leaf."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.conversation import Message


@dataclass
class ConversationTree:
    """All messages of one conversation, with the leaf of the path on show."""

    messages: dict[str, Message] = field(default_factory=dict)
    leaf_id: str | None = None

    @classmethod
    def of(cls, messages: Iterable[Message], leaf_id: str | None = None) -> ConversationTree:
        """Messages in creation order; without a leaf, the newest message's path is shown."""
        ordered = {message.id: message for message in messages}
        tree = cls(ordered, None)
        tree.leaf_id = leaf_id if leaf_id in ordered else tree.latest_leaf_under(None)
        return tree

    def add(self, message: Message) -> None:
        """A new message at the end of its parent's children; it becomes the leaf on show."""
        self.messages[message.id] = message
        self.leaf_id = message.id

    def children(self, parent_id: str | None) -> list[Message]:
        return [m for m in self.messages.values() if m.parent_id == parent_id]

    def path(self) -> list[Message]:
        """Root to the leaf on show."""
        path: list[Message] = []
        current = self.messages.get(self.leaf_id) if self.leaf_id else None
        seen: set[str] = set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            path.append(current)
            current = self.messages.get(current.parent_id) if current.parent_id else None
        path.reverse()
        return path

    def siblings(self, message: Message) -> list[Message]:
        """The message and its alternatives, oldest first."""
        return self.children(message.parent_id)

    def latest_leaf_under(self, message_id: str | None) -> str | None:
        """Follow the newest child down to a leaf."""
        current = message_id
        while True:
            children = self.children(current)
            if not children:
                return current
            current = children[-1].id

    def show(self, message_id: str) -> None:
        """Switch the path on show to go through this message (its newest continuation)."""
        if message_id in self.messages:
            self.leaf_id = self.latest_leaf_under(message_id)

    def remove_pair(self, prompt_id: str) -> tuple[list[str], list[Message]]:
        """Delete a prompt and its answers; what followed the answer on show is re-attached to
        the prompt's parent. Returns the ids removed (other branches under it go too) and the
        messages re-attached."""
        prompt = self.messages[prompt_id]
        on_path = {m.id for m in self.path()}
        keep_after = [
            child
            for answer in self.children(prompt_id)
            if answer.id in on_path
            for child in self.children(answer.id)
        ]
        for child in keep_after:
            child.parent_id = prompt.parent_id
        kept = {child.id for child in keep_after}
        removed = self._subtree(prompt_id, stop=kept)
        for message_id in removed:
            del self.messages[message_id]
        if self.leaf_id in removed:
            self.leaf_id = self.latest_leaf_under(prompt.parent_id)
        return removed, keep_after

    def _subtree(self, root_id: str, stop: set[str]) -> list[str]:
        found, pending = [], [root_id]
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(c.id for c in self.children(current) if c.id not in stop)
        return found
