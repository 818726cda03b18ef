"""The index the note history and the patient ledger's audit ids need at scale: ``audit_log`` by
(clinic, entity, entity id). Both read one record's audit rows; without it PostgreSQL reads every audit row of
the clinic (every read of patient data writes one) and filters them (bench/clinic_scale.py, docs/performance.md).

Revision ID: 0031_scale_indexes
Revises: 0028_note_cosign
"""

from __future__ import annotations

from alembic import op

revision = "0031_scale_indexes"
down_revision = "0029_clinic_config_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_record", "audit_log", ["clinic_id", "entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_record", table_name="audit_log")
