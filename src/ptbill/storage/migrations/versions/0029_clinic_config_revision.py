"""A revision of the clinic's configuration (``clinics.config_revision``): a fresh random token written in the
same transaction as every change to the clinic's payer parameters or fee schedules (``services.clinic_config``),
so each server process can keep what every check reads of them and see a change made by another one with one
cheap read per check. Existing clinics start with the empty token.

Revision ID: 0029_clinic_config_revision
Revises: 0028_note_cosign
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_clinic_config_revision"
down_revision = "0028_note_cosign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("config_revision", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("config_revision")
