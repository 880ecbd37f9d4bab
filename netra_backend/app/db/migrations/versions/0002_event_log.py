"""The event log (``events``, ``event_cursors``), run leases and the ``cancelled`` status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUS = "status IN ('running', 'completed', 'failed')"
NEW_STATUS = "status IN ('running', 'completed', 'failed', 'cancelled')"


def upgrade() -> None:
    """Create the log tables; add ``runs.lease_expires_at``; allow ``cancelled``."""
    op.create_table(
        "events",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "seq", name="pk_events"),
    )
    op.create_index("ix_events_created_at", "events", ["created_at"])
    op.create_table(
        "event_cursors",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_event_cursors"),
    )
    # Batch mode: SQLite cannot alter a CHECK constraint in place (the table is rebuilt).
    # 0001 named the constraint through the naming convention twice: ck_runs_ck_runs_status.
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_runs_ck_runs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_runs_status"), NEW_STATUS)


def downgrade() -> None:
    """Drop the log; ``cancelled`` runs become ``failed`` (code ``cancelled``)."""
    op.execute("UPDATE runs SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_runs_ck_runs_status"), OLD_STATUS)
        batch.drop_column("lease_expires_at")
    op.drop_table("event_cursors")
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_table("events")
