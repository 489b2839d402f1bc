"""privacy: unanswered questions keep their (hashed) chat, user ids become erasable,
who bound a department, failed bind attempts

Revision ID: 0006_privacy
Revises: 0005_catalogue
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_privacy"
down_revision = "0005_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(sa.Column("chat_hash", sa.String(32), nullable=True))
        batch.create_index("ix_unanswered_questions_chat_hash", ["chat_hash"])
    with op.batch_alter_table("department_contacts") as batch:
        batch.add_column(sa.Column("bound_by", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("bind_codes") as batch:
        batch.alter_column("created_by", existing_type=sa.BigInteger(), nullable=True)
    with op.batch_alter_table("report_acks") as batch:
        batch.alter_column("acknowledged_by", existing_type=sa.BigInteger(), nullable=True)
    with op.batch_alter_table("broadcasts") as batch:
        batch.alter_column("created_by", existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        "bind_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bind_attempts_chat_id", "bind_attempts", ["chat_id"])
    op.create_index("ix_bind_attempts_attempted_at", "bind_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_table("bind_attempts")
    for table, column in (
        ("broadcasts", "created_by"),
        ("report_acks", "acknowledged_by"),
        ("bind_codes", "created_by"),
    ):
        op.execute(sa.text(f"UPDATE {table} SET {column} = 0 WHERE {column} IS NULL"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("department_contacts") as batch:
        batch.drop_column("bound_by")
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_index("ix_unanswered_questions_chat_hash")
        batch.drop_column("chat_hash")
