"""Claims are built once and frozen: the claim as built (JSON), the fingerprint of the rules and reference
data that built it, and the claim a corrected claim replaces; each stored check result gets its fingerprint.

Claims built before this migration have no stored JSON: the first export builds them and freezes them then.

Revision ID: 0005_frozen
Revises: 0004_clinic_locality
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_frozen"
down_revision = "0004_clinic_locality"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("claim_json", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=80), nullable=True))
        batch.add_column(
            sa.Column("corrects_claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch.create_foreign_key("fk_claims_corrects_claim_id", "claims", ["corrects_claim_id"], ["id"])
        batch.create_index("ix_claims_corrects_claim_id", ["corrects_claim_id"])
    with op.batch_alter_table("encounter_checks") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("encounter_checks") as batch:
        batch.drop_column("fingerprint")
    with op.batch_alter_table("claims") as batch:
        batch.drop_index("ix_claims_corrects_claim_id")
        batch.drop_constraint("fk_claims_corrects_claim_id", type_="foreignkey")
        batch.drop_column("corrects_claim_id")
        batch.drop_column("fingerprint")
        batch.drop_column("claim_json")
