"""A clinic's own note templates (``note_templates``), saved from a note: name (unique in the clinic), body
region and the template's parts as JSON. ptbill's own templates are reference data and need no table.

Revision ID: 0027_note_templates
Revises: 0025_note_types
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_note_templates"
down_revision = "0026_note_drafts"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "note_templates",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("body_region", sa.String(20), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("clinic_id", "name", name="uq_note_templates_name"),
    )
    op.create_index("ix_note_templates_clinic_id", "note_templates", ["clinic_id"])


def downgrade() -> None:
    op.drop_index("ix_note_templates_clinic_id", table_name="note_templates")
    op.drop_table("note_templates")
