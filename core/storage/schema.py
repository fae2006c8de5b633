"""The database tables: users, conversations (chats and comparisons), messages (a tree), their
images, compare rounds and votes, prompt sets, presets, share links, the gateway usage log with
per-user limits, the audit log and the upkeep locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who signed in, as the identity provider (or the trusted header) said; None for the local user.
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # True only when the provider (or the trusted proxy) vouched for the email at the last sign-in.
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The groups the last sign-in named, so the Admin page knows each person's group policies.
    groups: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class ConversationRow(Base):
    __tablename__ = "conversations"
    # The library's order (pinned first, then newest), so a listing that filters, as search does
    # for common terms, reads conversations in order and stops at its limit.
    __table_args__ = (Index("ix_conversations_user_pinned_updated", "user_id", "pinned", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    leaf_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # 'chat', or 'comparison' (its rounds in compare_rounds): one library, rename, pin and delete.
    kind: Mapped[str] = mapped_column(String(16), default="chat", server_default="chat")


class MessageRow(Base):
    __tablename__ = "messages"
    # One order per conversation: two sessions writing the same chat can never both take a seq.
    __table_args__ = (Index("uq_messages_conversation_seq", "conversation_id", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    usage_reported: Mapped[bool] = mapped_column(Boolean, default=True)
    first_token_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A prompt's attached documents: [{name, kind, text, pages, size}], their text as extracted.
    documents: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImageRow(Base):
    __tablename__ = "message_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)


class VoteRow(Base):
    __tablename__ = "compare_votes"
    __table_args__ = (Index("ix_compare_votes_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(Text)
    models: Mapped[list[str]] = mapped_column(JSON)
    winner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompareRoundRow(Base):
    """One round of a comparison: its prompt (a message), each model's answer (messages whose
    parent is the prompt), the blind order, the verdict and the options it was sent with."""

    __tablename__ = "compare_rounds"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompt_id: Mapped[str] = mapped_column(String(32))
    models: Mapped[list[str]] = mapped_column(JSON)
    answer_ids: Mapped[list[str]] = mapped_column(JSON)
    blind_order: Mapped[list[int]] = mapped_column(JSON)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    fresh: Mapped[bool] = mapped_column(Boolean, default=False)  # sent without the earlier rounds
    winner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromptSetRow(Base):
    """A presenter's run sheet: an ordered list of prompts, each with instructions and images."""

    __tablename__ = "prompt_sets"
    __table_args__ = (Index("ix_prompt_sets_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{text, instructions, images}]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PresetRow(Base):
    """A preset (persona): what a new chat starts from. Its owner's own, or, once an admin
    published it, everyone's to use."""

    __tablename__ = "presets"
    __table_args__ = (
        Index("ix_presets_user", "user_id"),
        Index("ix_presets_published", "published"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # {model, instructions, instructions_role, parameters, starters}
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShareRow(Base):
    """A read-only link to a snapshot of a conversation or comparison."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_user", "user_id"),)

    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GatewayRequestRow(Base):
    """One request sent to the gateway: 'sent' while in flight, its figures then what admission
    holds for it (an estimate), and once the answer ends its final status and figures."""

    __tablename__ = "gateway_requests"
    __table_args__ = (
        Index("ix_gateway_requests_user_created", "user_id", "created_at"),
        Index("ix_gateway_requests_created", "created_at"),
        Index("ix_gateway_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    page: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_token_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The token figures (and cost) are an estimate: a hold while sent, or an answer without usage.
    estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UserLimitsRow(Base):
    """An admin's override of the default limits for one user (None: the default; 0: no limit)."""

    __tablename__ = "user_limits"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost_per_month_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(320), nullable=True)


class GroupPolicyRow(Base):
    """A group's policy saved on the Admin page, in place of the settings' one for that group.
    `models` None: the group names no models; a limit None: not set by the group (0: no limit)."""

    __tablename__ = "group_policies"

    group_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # the name, case-folded
    name: Mapped[str] = mapped_column(String(200))  # as the admin wrote it
    models: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost_per_month_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(320), nullable=True)


class AuditRow(Base):
    """One thing someone did, as it happened: who (the id, and their email or name then), what,
    to what, from which address, and figures about it. Never a prompt, an answer or a title."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # No foreign key: the record of what someone did outlives their data and their user row.
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: the app itself
    actor: Mapped[str | None] = mapped_column(String(320), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    origin: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class MaintenanceLockRow(Base):
    """Who runs a piece of upkeep (the retention purge) right now, on SQLite: a row held until its
    holder lets go or `expires_at` passes (a holder that died). PostgreSQL uses an advisory lock."""

    __tablename__ = "maintenance_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The search index over message text lives outside these models, created by migration 0002 in the
# dialect's own form: a SQLite FTS5 table (trigram tokenizer) kept in step by triggers, or a
# PostgreSQL pg_trgm GIN index. Comparisons of the models with the database leave them out.
MESSAGES_FTS = "messages_fts"
TRGM_INDEX = "ix_messages_text_trgm"


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic filter: False for the search index's tables and index, which no model describes."""
    return not (name or "").startswith((MESSAGES_FTS, TRGM_INDEX))


def max_length(column: Any) -> int | None:
    """The longest string `column` (a mapped attribute) stores, or None when it has no limit."""
    length: int | None = getattr(column.property.columns[0].type, "length", None)
    return length
