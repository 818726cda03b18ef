"""Patient statements and the runs that make them: each statement kept as printed (the PDF), with the amount
due, the day the oldest amount became due and its reminder level; a run's threshold, count and total. A run
never states a patient twice on one day (a partial unique index over run statements).

Revision ID: 0020_statements
Revises: 0019_abn
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_statements"
down_revision = "0019_abn"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "statement_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("threshold", sa.Numeric(12, 2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("threshold >= 0 AND total >= 0 AND count >= 0", name="ck_statement_runs_totals"),
    )
    op.create_index("ix_statement_runs_clinic_id", "statement_runs", ["clinic_id"])
    op.create_table(
        "statements",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("patient_id", _ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("run_id", _ID, sa.ForeignKey("statement_runs.id")),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("amount_due", sa.Numeric(12, 2), nullable=False),
        sa.Column("oldest_due", sa.Date()),
        sa.Column("reminder_level", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("amount_due >= 0", name="ck_statements_amount_due"),
        sa.CheckConstraint("reminder_level BETWEEN 0 AND 3", name="ck_statements_reminder_level"),
    )
    op.create_index("ix_statements_clinic_id", "statements", ["clinic_id"])
    op.create_index("ix_statements_patient_id", "statements", ["patient_id"])
    op.create_index("ix_statements_run_id", "statements", ["run_id"])
    op.create_index(
        "uq_statements_run_patient_day",
        "statements",
        ["clinic_id", "patient_id", "statement_date"],
        unique=True,
        sqlite_where=sa.text("run_id IS NOT NULL"),
        postgresql_where=sa.text("run_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_statements_run_patient_day", table_name="statements")
    op.drop_index("ix_statements_run_id", table_name="statements")
    op.drop_index("ix_statements_patient_id", table_name="statements")
    op.drop_index("ix_statements_clinic_id", table_name="statements")
    op.drop_table("statements")
    op.drop_index("ix_statement_runs_clinic_id", table_name="statement_runs")
    op.drop_table("statement_runs")
