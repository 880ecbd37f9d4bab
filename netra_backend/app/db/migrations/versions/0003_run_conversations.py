"""Runs remember their conversation: ``runs.conversation_id`` and its per-user index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column and the index the history of a conversation is read by."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("conversation_id", sa.String(128), nullable=True))
    op.create_index(
        "ix_runs_user_id_conversation_id", "runs", ["user_id", "conversation_id", "started_at"]
    )


def downgrade() -> None:
    """Drop the index and the column (the id stays in each run's ``request``)."""
    op.drop_index("ix_runs_user_id_conversation_id", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("conversation_id")
