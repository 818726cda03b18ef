"""Patients and their coverage: contact details, coverage order and subscriber, prior authorizations,
and plans of care with their referral.

Revision ID: 0007_patients
Revises: 0006_two_factor
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_patients"
down_revision = "0006_two_factor"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owned(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    """A table of a clinic's patient: id, clinic, patient, the columns given, and when it was added."""
    op.create_table(
        name,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        *columns,
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(name) as batch:
        batch.create_index(batch.f(f"ix_{name}_clinic_id"), ["clinic_id"], unique=False)
        batch.create_index(batch.f(f"ix_{name}_patient_id"), ["patient_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("middle_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("address_line2", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch.create_index("ix_patients_clinic_name", ["clinic_id", "last_name", "first_name"], unique=False)
    with op.batch_alter_table("coverages") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("subscriber_first_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("subscriber_last_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("subscriber_birth_date", sa.Date(), nullable=True))
    _owned(
        "authorizations",
        sa.Column("coverage_id", ID, sa.ForeignKey("coverages.id"), nullable=True),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("unit_kind", sa.String(length=10), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
    )
    _owned(
        "plans_of_care",
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("visits_per_week", sa.Integer(), nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=False),
        sa.Column("physician_name", sa.String(length=120), nullable=False),
        sa.Column("physician_npi", sa.String(length=10), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("diagnoses", sa.JSON(), nullable=False),
        sa.Column("referring_provider_name", sa.String(length=120), nullable=True),
        sa.Column("referring_provider_npi", sa.String(length=10), nullable=True),
        sa.Column("referral_date", sa.Date(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("plans_of_care")
    op.drop_table("authorizations")
    with op.batch_alter_table("coverages") as batch:
        batch.drop_column("subscriber_birth_date")
        batch.drop_column("subscriber_last_name")
        batch.drop_column("subscriber_first_name")
        batch.drop_column("priority")
    with op.batch_alter_table("patients") as batch:
        batch.drop_index("ix_patients_clinic_name")
        batch.drop_column("email")
        batch.drop_column("phone")
        batch.drop_column("address_line2")
        batch.drop_column("middle_name")
