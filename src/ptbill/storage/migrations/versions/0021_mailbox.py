"""The clearinghouse mailbox: each clinic's transport settings (the credential encrypted with the app's secret
key) and every file sent or received, received once per clinic by content hash, with its handling and retries.

Revision ID: 0021_mailbox
Revises: 0020_statements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_mailbox"
down_revision = "0020_statements"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "clinic_mailboxes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False, unique=True),
        sa.Column("transport", sa.String(10), nullable=False),
        sa.Column("host", sa.String(255)),
        sa.Column("port", sa.Integer()),
        sa.Column("username", sa.String(100)),
        sa.Column("auth", sa.String(10)),
        sa.Column("credential_encrypted", sa.Text()),
        sa.Column("known_host_key", sa.Text()),
        sa.Column("outbox_path", sa.String(255)),
        sa.Column("inbox_path", sa.String(255)),
        sa.Column("archive_path", sa.String(255)),
        sa.Column("name_template", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "mailbox_files",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("transaction_type", sa.String(10), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("message", sa.String(500)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True)),
        sa.Column("archived_at", sa.DateTime(timezone=True)),
        sa.Column("batch_id", _ID, sa.ForeignKey("claim_batches.id")),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("clinic_id", "direction", "sha256"),
    )
    op.create_index("ix_mailbox_files_clinic_id", "mailbox_files", ["clinic_id"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_files_clinic_id", table_name="mailbox_files")
    op.drop_table("mailbox_files")
    op.drop_table("clinic_mailboxes")
