"""Conversations that last: SQLAlchemy storage on SQLite (default) or PostgreSQL, migrated at start."""

from core.storage.audit_store import AuditStore
from core.storage.comparison_store import ComparisonStore, StoredComparison
from core.storage.conversation_store import (
    ConversationInfo,
    ConversationStore,
    NotFound,
    StoredConversation,
    title_from,
)
from core.storage.engine import database_url, make_engine, migrate
from core.storage.preset_store import PresetInfo, PresetStore
from core.storage.prompt_set_store import PromptSetInfo, PromptSetStore
from core.storage.usage_store import (
    DailyUsage,
    ModelTotals,
    RequestRow,
    TokenTotals,
    UsageStore,
    UserTotals,
)
from core.storage.users import LOCAL_USER_ID, UserInfo, find_user, list_users, upsert_user, users_with_email

__all__ = [
    "LOCAL_USER_ID",
    "AuditStore",
    "ComparisonStore",
    "ConversationInfo",
    "ConversationStore",
    "DailyUsage",
    "ModelTotals",
    "NotFound",
    "PresetInfo",
    "PresetStore",
    "PromptSetInfo",
    "PromptSetStore",
    "RequestRow",
    "StoredComparison",
    "StoredConversation",
    "TokenTotals",
    "UsageStore",
    "UserInfo",
    "UserTotals",
    "database_url",
    "find_user",
    "list_users",
    "make_engine",
    "migrate",
    "title_from",
    "upsert_user",
    "users_with_email",
]
