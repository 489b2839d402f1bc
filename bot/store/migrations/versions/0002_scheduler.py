"""scheduler: subscribers, departments, reports, broadcasts, delivery ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("topics", sa.String(200), nullable=False),
        sa.Column("quiet_start", sa.String(5), nullable=False),
        sa.Column("quiet_end", sa.String(5), nullable=False),
        sa.Column("consent_at", TZ_DATETIME, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "department_contacts",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("department", sa.String(32), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("bound_at", TZ_DATETIME, nullable=False),
    )
    op.create_table(
        "bind_codes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", TZ_DATETIME, nullable=True),
    )
    op.create_table(
        "report_acks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_at", TZ_DATETIME, nullable=False),
        sa.UniqueConstraint("period", "department"),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_key", sa.String(80), nullable=False, index=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("not_before", TZ_DATETIME, nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("sent_at", TZ_DATETIME, nullable=True),
        sa.UniqueConstraint("message_key", "chat_id"),
    )


def downgrade() -> None:
    for table in (
        "deliveries",
        "broadcasts",
        "report_acks",
        "bind_codes",
        "department_contacts",
        "subscribers",
    ):
        op.drop_table(table)
