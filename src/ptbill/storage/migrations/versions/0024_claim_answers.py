"""What the clearinghouse and the payer said of each claim before its 835: the 999's verdict on the claim's
transaction set, the 277CA's acknowledgement, the 277's status, and the 276 inquiries sent, with their codes,
the file they came in (or went out in), and the fix for a rejection.

Revision ID: 0024_claim_answers
Revises: 0023_eligibility
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_claim_answers"
down_revision = "0023_eligibility"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "claim_answers",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("claim_id", _ID, sa.ForeignKey("claims.id", ondelete="CASCADE"), nullable=False),
        sa.Column("mailbox_file_id", _ID, sa.ForeignKey("mailbox_files.id")),
        sa.Column("kind", sa.String(6), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("fix", sa.String(1000)),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("payer_claim_number", sa.String(50)),
        sa.Column("trace_number", sa.String(50)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("claim_id", "mailbox_file_id", "kind", name="uq_claim_answers_file"),
    )
    op.create_index("ix_claim_answers_clinic_id", "claim_answers", ["clinic_id"])
    op.create_index("ix_claim_answers_claim", "claim_answers", ["claim_id", "id"])
    op.create_index("ix_claim_answers_clinic_outcome", "claim_answers", ["clinic_id", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_claim_answers_clinic_outcome", table_name="claim_answers")
    op.drop_index("ix_claim_answers_claim", table_name="claim_answers")
    op.drop_index("ix_claim_answers_clinic_id", table_name="claim_answers")
    op.drop_table("claim_answers")
