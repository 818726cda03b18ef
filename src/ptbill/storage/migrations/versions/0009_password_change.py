"""A temporary password from an admin (an invitation or a reset) must be changed before anything else.

Revision ID: 0009_password_change
Revises: 0008_clinic_settings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_password_change"
down_revision = "0008_clinic_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_must_change")
