"""The biller's queue reads columns, not JSON: each check's expected payment (its planned lines summed) and
the rule ids of its findings, both backfilled here; indexes for the queue's order and its filter choices.

Revision ID: 0013_queue
Revises: 0009_password_change
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013_queue"
down_revision = "0012_denial_work"
branch_labels = None
depends_on = None

BATCH = 1000


def _expected(lines: Any) -> str | None:
    from decimal import Decimal

    if isinstance(lines, str):
        lines = json.loads(lines)
    known = [Decimal(str(line["expected_payment"])) for line in lines or [] if line.get("expected_payment") is not None]
    return str(sum(known, Decimal("0.00")).quantize(Decimal("0.01"))) if known else None


def _rules(findings: Any) -> str:
    if isinstance(findings, str):
        findings = json.loads(findings)
    rules = sorted({str(finding.get("rule")) for finding in findings or []})
    return f" {' '.join(rules)} " if rules else ""


def upgrade() -> None:
    with op.batch_alter_table("encounter_checks") as batch:
        batch.add_column(sa.Column("expected_payment", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("finding_rules", sa.Text(), nullable=True))
    op.create_index("ix_encounters_queue", "encounters", ["clinic_id", "status", "verdict", "date_of_service", "id"])
    # The latest check's columns the queue reads, without reading the check's JSON.
    op.create_index(
        "ix_encounter_checks_latest", "encounter_checks", ["encounter_id", "id", "expected_payment", "finding_rules"]
    )
    op.create_index(
        "ix_encounters_queue_choices", "encounters", ["clinic_id", "status", "payer_id", "therapist_user_id"]
    )
    connection = op.get_bind()
    checks = sa.table(
        "encounter_checks",
        sa.column("id", sa.Integer),
        sa.column("claim_lines", sa.JSON),
        sa.column("findings", sa.JSON),
        sa.column("expected_payment", sa.Numeric(12, 2)),
        sa.column("finding_rules", sa.Text),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(checks.c.id, checks.c.claim_lines, checks.c.findings)
            .where(checks.c.id > last)
            .order_by(checks.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values = [
            {"check_id": row.id, "amount": _expected(row.claim_lines), "rules": _rules(row.findings)} for row in rows
        ]
        connection.execute(
            checks.update()
            .where(checks.c.id == sa.bindparam("check_id"))
            .values(expected_payment=sa.bindparam("amount"), finding_rules=sa.bindparam("rules")),
            values,
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_encounter_checks_latest", table_name="encounter_checks")
    op.drop_index("ix_encounters_queue_choices", table_name="encounters")
    op.drop_index("ix_encounters_queue", table_name="encounters")
    with op.batch_alter_table("encounter_checks") as batch:
        batch.drop_column("finding_rules")
        batch.drop_column("expected_payment")
