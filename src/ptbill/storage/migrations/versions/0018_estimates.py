"""Cost estimates before treatment: the patient's cost sharing on each coverage (deductible remaining,
coinsurance percent, copay per visit, entered by hand until eligibility responses fill them), and the
estimates prepared for a patient, each stored with its lines, totals and the PDF handed to the patient.

Revision ID: 0018_estimates
Revises: 0017_cob_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_estimates"
down_revision = "0017_cob_more"
branch_labels = None
depends_on = None


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    ondelete = "RESTRICT" if target == "clinics.id" else None
    return sa.Column(name, kind, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("coverages") as batch:
        batch.add_column(sa.Column("deductible_remaining", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("coinsurance_percent", sa.Numeric(5, 2), nullable=True))
        batch.add_column(sa.Column("copay", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("cost_sharing_as_of", sa.Date(), nullable=True))
    op.create_table(
        "estimates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        _ref("clinic_id", "clinics.id"),
        _ref("patient_id", "patients.id"),
        _ref("coverage_id", "coverages.id", nullable=True),
        _ref("plan_of_care_id", "plans_of_care.id", nullable=True),
        sa.Column("payer_id", sa.String(60), nullable=True),
        sa.Column("self_pay", sa.Boolean(), nullable=False),
        sa.Column("first_visit", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("allowed_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("patient_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        _ref("created_by_user_id", "users.id", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("visits > 0", name="ck_estimates_visits"),
        sa.CheckConstraint("patient_total >= 0 AND allowed_total >= 0", name="ck_estimates_totals"),
    )
    op.create_index("ix_estimates_clinic_id", "estimates", ["clinic_id"])
    op.create_index("ix_estimates_patient_id", "estimates", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_estimates_patient_id", table_name="estimates")
    op.drop_index("ix_estimates_clinic_id", table_name="estimates")
    op.drop_table("estimates")
    with op.batch_alter_table("coverages") as batch:
        for column in ("cost_sharing_as_of", "copay", "coinsurance_percent", "deductible_remaining"):
            batch.drop_column(column)
