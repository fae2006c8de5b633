"""Conversations that last: SQLAlchemy storage on SQLite (default) or PostgreSQL, migrated at start."""

from core.storage.engine import database_url, make_engine, migrate
from core.storage.store import ConversationInfo, ConversationStore, NotFound, StoredConversation, title_from

__all__ = [
    "ConversationInfo",
    "ConversationStore",
    "NotFound",
    "StoredConversation",
    "database_url",
    "make_engine",
    "migrate",
    "title_from",
]
