"""Indexes for the pages a biller waits on (issue 17, item 4):

- one record's audit rows, newest first, as the claim page's History reads them (``audit_views.record_history``:
  clinic, entity, entity id, by id descending). Without it PostgreSQL walked the clinic's whole audit log (58,000
  rows on the 5,000-claim demo) for each claim page; the note history and the patient ledger's audit ids read
  one record's rows the same way (bench/clinic_scale.py found them filtering 1,545 rows a lookup);
- the answers stored without their figures (``answer_totals.fill_missing``, which every A/R report runs first):
  a partial index of the rows whose ``denied`` is still NULL, so finding none reads no table (it read all the
  clinic's answers, with their JSON, on every report);
- the claims a payer forwarded (``crossed_over_to``, a partial index): the A/R reports read them every time.

Revision ID: 0030_page_indexes
Revises: 0029_clinic_config_revision
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_page_indexes"
down_revision = "0029_clinic_config_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_record", "audit_log", ["clinic_id", "entity", "entity_id", "id"])
    unaccounted = sa.text("denied IS NULL")
    op.create_index(
        "ix_claim_payments_unaccounted",
        "claim_payments",
        ["clinic_id", "id"],
        postgresql_where=unaccounted,
        sqlite_where=unaccounted,
    )
    crossed = sa.text("crossed_over_to IS NOT NULL")
    op.create_index(
        "ix_claims_crossed_over", "claims", ["clinic_id", "id"], postgresql_where=crossed, sqlite_where=crossed
    )


def downgrade() -> None:
    op.drop_index("ix_claims_crossed_over", table_name="claims")
    op.drop_index("ix_claim_payments_unaccounted", table_name="claim_payments")
    op.drop_index("ix_audit_log_record", table_name="audit_log")
