"""Autosaved note drafts (``note_drafts``): what a clinician typed into a note's form, kept as the raw form values
(so even an entry the note cannot read yet is kept), one row per clinic, user and draft key, written by an upsert
and removed when the note is saved.

Revision ID: 0026_note_drafts
Revises: 0025_note_types
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_note_drafts"
down_revision = "0025_note_types"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "note_drafts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("user_id", _ID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("draft_key", sa.String(60), nullable=False),
        sa.Column("encounter_id", _ID, sa.ForeignKey("encounters.id", ondelete="CASCADE"), nullable=True),
        sa.Column("patient_id", _ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audited_save", sa.Integer(), nullable=False),
        sa.UniqueConstraint("clinic_id", "user_id", "draft_key", name="uq_note_drafts_key"),
    )
    op.create_index("ix_note_drafts_encounter_id", "note_drafts", ["encounter_id"])


def downgrade() -> None:
    op.drop_index("ix_note_drafts_encounter_id", table_name="note_drafts")
    op.drop_table("note_drafts")
