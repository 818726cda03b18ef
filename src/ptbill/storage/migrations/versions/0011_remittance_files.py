"""835 files posted in the app with their posting summary, provider-level adjustments (PLB) as rows, and
each remittance's payment method (BPR04) and check or EFT number (TRN02).

Revision ID: 0011_remittance_files
Revises: 0009_password_change
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_remittance_files"
down_revision = "0010_claim_actions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "remittance_files",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by_user_id", _ID, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.UniqueConstraint("clinic_id", "sha256"),
    )
    op.create_index("ix_remittance_files_clinic_id", "remittance_files", ["clinic_id"])
    op.create_table(
        "provider_adjustments",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("remittance_id", _ID, sa.ForeignKey("remittances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason_code", sa.String(2), nullable=False),
        sa.Column("reference_id", sa.String(80), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("claim_id", _ID, sa.ForeignKey("claims.id"), nullable=True),
    )
    op.create_index("ix_provider_adjustments_clinic_id", "provider_adjustments", ["clinic_id"])
    op.create_index("ix_provider_adjustments_remittance_id", "provider_adjustments", ["remittance_id"])
    op.create_index("ix_provider_adjustments_claim_id", "provider_adjustments", ["claim_id"])
    with op.batch_alter_table("remittances") as batch:
        batch.add_column(sa.Column("payment_method", sa.String(3), nullable=True))
        batch.add_column(sa.Column("check_number", sa.String(80), nullable=True))
        batch.add_column(sa.Column("remittance_file_id", _ID, nullable=True))
        batch.create_foreign_key("fk_remittances_remittance_file", "remittance_files", ["remittance_file_id"], ["id"])
        batch.create_index("ix_remittances_remittance_file_id", ["remittance_file_id"])


def downgrade() -> None:
    with op.batch_alter_table("remittances") as batch:
        batch.drop_index("ix_remittances_remittance_file_id")
        batch.drop_constraint("fk_remittances_remittance_file", type_="foreignkey")
        batch.drop_column("remittance_file_id")
        batch.drop_column("check_number")
        batch.drop_column("payment_method")
    op.drop_table("provider_adjustments")
    op.drop_table("remittance_files")
