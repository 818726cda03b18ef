"""Clinic settings: taxonomy, time zone, pay-to address, claim and statement defaults, trading partners;
the clinic's service locations and its providers roster.

Revision ID: 0008_clinic_settings
Revises: 0007_patients
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_clinic_settings"
down_revision = "0007_patients"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CLINIC_COLUMNS = (
    ("taxonomy_code", sa.String(length=10)),
    ("time_zone", sa.String(length=64)),
    ("pay_to_address_line1", sa.String(length=120)),
    ("pay_to_city", sa.String(length=60)),
    ("pay_to_state", sa.String(length=2)),
    ("pay_to_zip", sa.String(length=10)),
    ("place_of_service", sa.String(length=2)),
    ("statement_cycle_days", sa.Integer()),
    ("statement_message", sa.String(length=200)),
    ("submitter_id", sa.String(length=15)),
    ("submitter_name", sa.String(length=60)),
    ("receiver_id", sa.String(length=15)),
    ("receiver_name", sa.String(length=60)),
    ("contact_phone", sa.String(length=15)),
)


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        for name, kind in CLINIC_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "service_locations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("address_line1", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip", sa.String(length=10), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_locations") as batch:
        batch.create_index(batch.f("ix_service_locations_clinic_id"), ["clinic_id"], unique=False)
    op.create_table(
        "providers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("discipline", sa.String(length=5), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("credentials", sa.String(length=40), nullable=True),
        sa.Column("licence_state", sa.String(length=2), nullable=False),
        sa.Column("licence_number", sa.String(length=30), nullable=False),
        sa.Column("supervisor_id", ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["supervisor_id"], ["providers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "npi", name="uq_providers_clinic_npi"),
    )
    with op.batch_alter_table("providers") as batch:
        batch.create_index(batch.f("ix_providers_clinic_id"), ["clinic_id"], unique=False)


def downgrade() -> None:
    op.drop_table("providers")
    op.drop_table("service_locations")
    with op.batch_alter_table("clinics") as batch:
        for name, _kind in reversed(CLINIC_COLUMNS):
            batch.drop_column(name)
