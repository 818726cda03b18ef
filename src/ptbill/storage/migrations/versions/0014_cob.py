"""Coordination of benefits: which payer in the patient's order a claim goes to, the claim of the payer before
it, the coverage it bills, and a primary claim the payer crossed over to another payer itself.

Revision ID: 0014_cob
Revises: 0013_queue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_cob"
down_revision = "0013_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("claims") as batch:
        # SBR01: P primary, S secondary, T tertiary.
        batch.add_column(sa.Column("payer_sequence", sa.String(1), nullable=False, server_default="P"))
        batch.add_column(
            sa.Column(
                "prior_claim_id", kind, sa.ForeignKey("claims.id", name="fk_claims_prior_claim_id"), nullable=True
            )
        )
        batch.add_column(
            sa.Column("coverage_id", kind, sa.ForeignKey("coverages.id", name="fk_claims_coverage_id"), nullable=True)
        )
        # The payer the primary's 835 says it forwarded the claim to (claim status 19/20, NM1*TT), and when.
        batch.add_column(sa.Column("crossed_over_to", sa.String(120), nullable=True))
        batch.add_column(sa.Column("crossed_over_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_claims_prior_claim_id", "claims", ["prior_claim_id"])


def downgrade() -> None:
    op.drop_index("ix_claims_prior_claim_id", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        for column in ("crossed_over_at", "crossed_over_to", "coverage_id", "prior_claim_id", "payer_sequence"):
            batch.drop_column(column)
