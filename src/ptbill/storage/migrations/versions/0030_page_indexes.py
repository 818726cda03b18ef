"""Indexes for the pages a biller waits on (issue 17, item 4): one record's audit rows, newest first, as the
claim page's History reads them (``audit_views.record_history``: clinic, entity, entity id, by id descending).
Without it PostgreSQL walked the clinic's whole audit log (58,000 rows on the 5,000-claim demo) for each claim
page.

Revision ID: 0030_page_indexes
Revises: 0028_note_cosign
"""

from __future__ import annotations

from alembic import op

revision = "0030_page_indexes"
down_revision = "0028_note_cosign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_record", "audit_log", ["clinic_id", "entity", "entity_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_record", table_name="audit_log")
