"""Usage estimates, and the requests in flight found without reading a user's whole log.

Revision ID: 0006
Revises: 0005

`gateway_requests.estimated` says the row's token figures (and cost) are an estimate: what
admission holds for an answer still streaming, or what an answer was taken to have used when the
gateway reported no usage (stopped, its tab closed, cut short, or its process killed). The index
on (status, created_at) finds the few rows still marked 'sent', which admission settles once
they can no longer be streaming.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default (no table rebuild on SQLite): every earlier row carries
    # the figures the gateway reported, or 0 where it reported none.
    op.add_column(
        "gateway_requests",
        sa.Column("estimated", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_gateway_requests_status_created", "gateway_requests", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_gateway_requests_status_created", table_name="gateway_requests")
    # SQLite 3.35+ drops a column in place; a batch rebuild is not needed.
    op.drop_column("gateway_requests", "estimated")
