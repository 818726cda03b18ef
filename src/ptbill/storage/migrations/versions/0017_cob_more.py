"""Coordination of benefits, more: one claim per payer in the order for each claim before it. Two requests
building the secondary claim of the same primary answer at once cannot both succeed.

Revision ID: 0017_cob_more
Revises: 0016_patient_ledger
"""

from __future__ import annotations

from alembic import op

revision = "0017_cob_more"
down_revision = "0016_patient_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # prior_claim_id is null on primary claims; null values never collide in a unique index.
    op.create_index("uq_claims_prior_sequence", "claims", ["prior_claim_id", "payer_sequence"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_claims_prior_sequence", table_name="claims")
