"""Who each user is, every request sent to the gateway, and per-user limits.

Revision ID: 0003
Revises: 0002

`users` gains the identity a sign-in brings (all nullable: the local user and users stored before
sign-in have none). `gateway_requests` is the usage log the limits count and the admin page reads;
`user_limits` holds an admin's overrides of the default limits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
USER_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("issuer", sa.String(500), nullable=True),
    sa.Column("subject", sa.String(255), nullable=True),
    sa.Column("last_seen_at", WHEN, nullable=True),
]


def _user_id(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "user_id",
        sa.String(64),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild on SQLite): every other table's rows and the search
    # index's triggers stay as they are.
    for column in USER_COLUMNS:
        op.add_column("users", column)
    op.create_table(
        "gateway_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _user_id(),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("page", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("total_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("first_token_s", sa.Float(), nullable=True),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("error_kind", sa.String(32), nullable=True),
    )
    op.create_index("ix_gateway_requests_user_created", "gateway_requests", ["user_id", "created_at"])
    op.create_index("ix_gateway_requests_created", "gateway_requests", ["created_at"])
    op.create_table(
        "user_limits",
        _user_id(primary_key=True),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("tokens_per_day", sa.Integer(), nullable=True),
        sa.Column("cost_per_month_usd", sa.Float(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("user_limits")
    op.drop_index("ix_gateway_requests_created", table_name="gateway_requests")
    op.drop_index("ix_gateway_requests_user_created", table_name="gateway_requests")
    op.drop_table("gateway_requests")
    # Not a batch: rebuilding `users` on SQLite would drop it, and with it (foreign keys on) every
    # conversation. SQLite 3.35+ drops a column in place.
    for column in reversed(USER_COLUMNS):
        op.drop_column("users", column.name)
