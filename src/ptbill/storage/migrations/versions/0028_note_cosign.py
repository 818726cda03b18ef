"""The plan-of-care lifecycle and co-signature: who co-signed a PTA's or OTA's signed note, when, and which
version (``encounters.cosigned_by_user_id``, ``cosigned_by_name``, ``cosigned_at``, ``cosigned_version``), and
the clinic's own switch for its state's co-signature rule (``clinics.assistant_cosign_from``: the first date of
service it applies to; null: the state asks none).

Revision ID: 0028_note_cosign
Revises: 0027_note_templates
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_note_cosign"
down_revision = "0027_note_templates"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("encounters") as batch:
        batch.add_column(
            sa.Column(
                "cosigned_by_user_id", _ID, sa.ForeignKey("users.id", name="fk_encounters_cosigned_by"), nullable=True
            )
        )
        batch.add_column(sa.Column("cosigned_by_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cosigned_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("assistant_cosign_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("assistant_cosign_from")
    with op.batch_alter_table("encounters") as batch:
        for column in ("cosigned_version", "cosigned_at", "cosigned_by_name", "cosigned_by_user_id"):
            batch.drop_column(column)
