"""subsidy catalogue versions and entries

Revision ID: 0005_catalogue
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_catalogue"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("valid_from", sa.Date(), nullable=False, index=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("imported_by", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "catalogue_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer(),
            sa.ForeignKey("catalogue_versions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("occupation", sa.String(100), nullable=False),
        sa.Column("level", sa.String(24), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(10, 2), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.UniqueConstraint("version_id", "occupation", "level"),
    )


def downgrade() -> None:
    op.drop_table("catalogue_entries")
    op.drop_table("catalogue_versions")
