"""The patient's money: payments received (cash, check, card reference), their application to visits, and
refunds. Balances are not stored: the ledger derives them from these rows and the payers' answers.

Revision ID: 0016_patient_ledger
Revises: 0015_answer_totals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0016_patient_ledger"
down_revision = "0015_answer_totals"
branch_labels = None
depends_on = None


def _common(name: str) -> list[SchemaItem]:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return [
        sa.Column("id", kind, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", kind, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("patient_id", kind, sa.ForeignKey("patients.id", name=f"fk_{name}_patient_id"), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_by_user_id", kind, sa.ForeignKey("users.id", name=f"fk_{name}_user_id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("amount > 0", name=f"ck_{name}_amount_positive"),
    ]


def upgrade() -> None:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "patient_payments",
        *_common("patient_payments"),
        sa.Column("method", sa.String(10), nullable=False),  # cash, check, card
        sa.Column("reference", sa.String(40), nullable=True),  # the check number, or the card receipt's reference
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("source", sa.String(10), nullable=False, server_default="user"),  # user, statement
    )
    op.create_table(
        "payment_applications",
        *_common("payment_applications"),
        sa.Column(
            "claim_id", kind, sa.ForeignKey("claims.id", name="fk_payment_applications_claim_id"), nullable=False
        ),
        # The payment applied at receipt; null when applied later from the patient's credit.
        sa.Column(
            "payment_id",
            kind,
            sa.ForeignKey("patient_payments.id", name="fk_payment_applications_payment_id"),
            nullable=True,
        ),
        sa.Column("applied_on", sa.Date, nullable=False),
    )
    op.create_table(
        "patient_refunds",
        *_common("patient_refunds"),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(40), nullable=True),
        sa.Column("refunded_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
    )
    for table in ("patient_payments", "payment_applications", "patient_refunds"):
        op.create_index(f"ix_{table}_clinic_patient", table, ["clinic_id", "patient_id"])
    op.create_index("ix_payment_applications_claim_id", "payment_applications", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_payment_applications_claim_id", table_name="payment_applications")
    for table in ("patient_refunds", "payment_applications", "patient_payments"):
        op.drop_index(f"ix_{table}_clinic_patient", table_name=table)
        op.drop_table(table)
