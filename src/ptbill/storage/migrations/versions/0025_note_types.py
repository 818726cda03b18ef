"""The whole visit in one note: addenda to signed notes (``note_addenda``, numbered per note), and the note
version each claim was built from (``claims.note_version``, ``claims.note_hash``). Note types and the new
sections live in the note's JSON document and need no column.

Revision ID: 0025_note_types
Revises: 0024_claim_answers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_note_types"
down_revision = "0024_claim_answers"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "note_addenda",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("encounter_id", _ID, sa.ForeignKey("encounters.id"), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("encounter_version", sa.Integer(), nullable=False),
        sa.Column("author_user_id", _ID, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("author_name", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("encounter_id", "sequence", name="uq_note_addenda_sequence"),
    )
    op.create_index("ix_note_addenda_clinic_id", "note_addenda", ["clinic_id"])
    op.create_index("ix_note_addenda_encounter_id", "note_addenda", ["encounter_id"])
    op.add_column("claims", sa.Column("note_version", sa.String(20), nullable=True))
    op.add_column("claims", sa.Column("note_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("note_hash")
        batch.drop_column("note_version")
    op.drop_index("ix_note_addenda_encounter_id", table_name="note_addenda")
    op.drop_index("ix_note_addenda_clinic_id", table_name="note_addenda")
    op.drop_table("note_addenda")
