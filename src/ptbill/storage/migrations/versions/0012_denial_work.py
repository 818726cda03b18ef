"""Denials as work: one item per denied line of a posted answer, with its history.

The items for answers posted before this migration are made on the clinic's first read of the
worklist (``services.denial_items.open_denial_items`` with no remittance, recorded in
``denial_backfills``): reading a line's denial needs the denial knowledge, which a migration does not load.

Revision ID: 0012_denial_work
Revises: 0009_password_change
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_denial_work"
down_revision = "0011_remittance_files"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "denial_items",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("claim_id", _ID, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("claim_payment_id", _ID, sa.ForeignKey("claim_payments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("line_key", sa.String(20), nullable=False),
        sa.Column("line_index", sa.Integer()),
        sa.Column("line_number", sa.Integer()),
        sa.Column("code", sa.String(10)),
        sa.Column("carc_group", sa.String(2)),
        sa.Column("carc", sa.String(10)),
        sa.Column("rarcs", sa.JSON(), nullable=False),
        sa.Column("denied_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("follow_up", sa.Date()),
        sa.Column("appeal_level", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("decision_date", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("claim_payment_id", "line_key"),
    )
    op.create_index("ix_denial_items_clinic_id", "denial_items", ["clinic_id"])
    op.create_index("ix_denial_items_claim_id", "denial_items", ["claim_id"])
    op.create_index("ix_denial_items_status", "denial_items", ["status"])
    op.create_index("ix_denial_items_assignee_id", "denial_items", ["assignee_id"])
    op.create_table(
        "denial_item_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("item_id", _ID, sa.ForeignKey("denial_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_denial_item_events_clinic_id", "denial_item_events", ["clinic_id"])
    op.create_index("ix_denial_item_events_item_id", "denial_item_events", ["item_id"])
    op.create_table(
        "denial_backfills",
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id"), primary_key=True, autoincrement=False),
        sa.Column("done_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("denial_backfills")
    op.drop_table("denial_item_events")
    op.drop_table("denial_items")
