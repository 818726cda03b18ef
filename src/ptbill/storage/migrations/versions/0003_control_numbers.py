"""Control numbers in the main database, and a status on each claim batch.

The interchange, group and transaction control numbers move from a SQLite file beside the app into
``control_numbers``, one row per kind, raised with an atomic upsert; a batch's status (built,
submitted) follows the transition table of ``ptbill.domain.status``.

Revision ID: 0003_control_numbers
Revises: 0002_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_control_numbers"
down_revision = "0002_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control_numbers",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "kind"),
    )
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="built", nullable=False))
    op.execute("UPDATE claim_batches SET status = 'submitted' WHERE submitted_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.drop_column("status")
    op.drop_table("control_numbers")
