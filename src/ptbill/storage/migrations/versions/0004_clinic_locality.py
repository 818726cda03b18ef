"""The clinic's own Medicare payment locality (MAC-locality key), which wins over the ZIP-code guess.

Revision ID: 0004_clinic_locality
Revises: 0003_control_numbers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_clinic_locality"
down_revision = "0003_control_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("medicare_locality", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("medicare_locality")
