"""The claim page's actions: write-offs with a reason, notes returned to their therapist, reopening requests.

Revision ID: 0010_claim_actions
Revises: 0009_password_change
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_claim_actions"
down_revision = "0009_password_change"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    ondelete = "RESTRICT" if target == "clinics.id" else None
    return sa.Column(name, kind, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "claim_write_offs",
        _id(),
        _ref("clinic_id", "clinics.id"),
        _ref("claim_id", "claims.id"),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("reason_code", sa.String(30), nullable=False),
        sa.Column("reason_text", sa.String(500), nullable=True),
        _ref("created_by_user_id", "users.id", nullable=True),
        _now("created_at"),
    )
    op.create_index("ix_claim_write_offs_clinic_id", "claim_write_offs", ["clinic_id"])
    op.create_index("ix_claim_write_offs_claim_id", "claim_write_offs", ["claim_id"])
    op.create_table(
        "note_returns",
        _id(),
        _ref("clinic_id", "clinics.id"),
        _ref("encounter_id", "encounters.id"),
        _ref("claim_id", "claims.id", nullable=True),
        sa.Column("message", sa.String(1000), nullable=False),
        _ref("returned_by_user_id", "users.id", nullable=True),
        _now("returned_at"),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_note_returns_clinic_id", "note_returns", ["clinic_id"])
    op.create_index("ix_note_returns_encounter_id", "note_returns", ["encounter_id"])
    op.create_table(
        "reopening_requests",
        _id(),
        _ref("clinic_id", "clinics.id"),
        _ref("claim_id", "claims.id"),
        sa.Column("change_text", sa.String(1000), nullable=False),
        sa.Column("reason_text", sa.String(1000), nullable=False),
        _ref("created_by_user_id", "users.id", nullable=True),
        _now("created_at"),
    )
    op.create_index("ix_reopening_requests_clinic_id", "reopening_requests", ["clinic_id"])
    op.create_index("ix_reopening_requests_claim_id", "reopening_requests", ["claim_id"])


def downgrade() -> None:
    for table in ("reopening_requests", "note_returns", "claim_write_offs"):
        op.drop_table(table)
