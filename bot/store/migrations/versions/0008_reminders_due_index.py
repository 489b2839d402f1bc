"""reminders: an index for "scheduled and due in the next hours"; APScheduler's job table
dropped (the scheduler keeps its jobs in memory and reads reminders from their table)

Revision ID: 0008_reminders_due_index
Revises: 0007_conversations
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0008_reminders_due_index"
down_revision = "0007_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (status, due_at) also serves every lookup by status alone.
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"])
    op.drop_index("ix_reminders_status", table_name="reminders")
    # Left by the SQLAlchemyJobStore of earlier versions; nothing reads it any more.
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    op.create_index("ix_reminders_status", "reminders", ["status"])
    op.drop_index("ix_reminders_status_due_at", table_name="reminders")
