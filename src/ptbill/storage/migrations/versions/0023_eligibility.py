"""Eligibility: each 270 asked (its trace number unique per clinic, the file as written) and each member's 271
answer matched to the clinic's patient and coverage, or kept unmatched with the reason: key figures as
columns, the parsed answer as JSON.

Revision ID: 0023_eligibility
Revises: 0022_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_eligibility"
down_revision = "0022_jobs"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "eligibility_requests",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("patient_id", _ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("coverage_id", _ID, sa.ForeignKey("coverages.id"), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("trace_number", sa.String(50), nullable=False),
        sa.Column("interchange_control_number", sa.Integer()),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mailbox_file_id", _ID, sa.ForeignKey("mailbox_files.id")),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("clinic_id", "trace_number", name="uq_eligibility_requests_trace"),
    )
    op.create_index("ix_eligibility_requests_clinic_id", "eligibility_requests", ["clinic_id"])
    op.create_index("ix_eligibility_requests_patient_id", "eligibility_requests", ["patient_id"])
    op.create_table(
        "eligibility_responses",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("patient_id", _ID, sa.ForeignKey("patients.id")),
        sa.Column("coverage_id", _ID, sa.ForeignKey("coverages.id")),
        sa.Column("request_id", _ID, sa.ForeignKey("eligibility_requests.id")),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mailbox_file_id", _ID, sa.ForeignKey("mailbox_files.id")),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("member_id", sa.String(80)),
        sa.Column("trace_number", sa.String(50)),
        sa.Column("request_control_number", sa.Integer()),
        sa.Column("coverage_status", sa.String(10), nullable=False),
        sa.Column("plan_begin", sa.Date()),
        sa.Column("plan_end", sa.Date()),
        sa.Column("deductible_remaining", _MONEY),
        sa.Column("deductible_total", _MONEY),
        sa.Column("out_of_pocket_remaining", _MONEY),
        sa.Column("out_of_pocket_total", _MONEY),
        sa.Column("coinsurance_percent", sa.Numeric(5, 2)),
        sa.Column("copay", _MONEY),
        sa.Column("visits_limit", sa.Integer()),
        sa.Column("visits_used", sa.Integer()),
        sa.Column("visits_remaining", sa.Integer()),
        sa.Column("prior_auth_required", sa.Boolean()),
        sa.Column("therapy_applied", _MONEY),
        sa.Column("reasons", sa.String(1000)),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.CheckConstraint("outcome IN ('matched', 'unmatched')", name="ck_eligibility_responses_outcome"),
    )
    op.create_index("ix_eligibility_responses_clinic_id", "eligibility_responses", ["clinic_id"])
    op.create_index(
        "ix_eligibility_responses_coverage",
        "eligibility_responses",
        ["clinic_id", "patient_id", "coverage_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_eligibility_responses_coverage", table_name="eligibility_responses")
    op.drop_index("ix_eligibility_responses_clinic_id", table_name="eligibility_responses")
    op.drop_table("eligibility_responses")
    op.drop_index("ix_eligibility_requests_patient_id", table_name="eligibility_requests")
    op.drop_index("ix_eligibility_requests_clinic_id", table_name="eligibility_requests")
    op.drop_table("eligibility_requests")
