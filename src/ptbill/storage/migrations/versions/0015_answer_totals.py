"""Each posted answer's accounted figures stored beside it (``services/answer_totals.py``): the patient's
share by reason, contractual, sequestration, other adjustments and denied amounts on ``claim_payments``,
and one row per 835 service line in ``claim_payment_lines``, so the reports add them up in SQL.

The answers posted before this migration are accounted here, by the same function posting uses (the
answer's stored JSON read back and accounted by ``remittance.accounting``), so old databases agree.

Revision ID: 0015_answer_totals
Revises: 0014_cob
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015_answer_totals"
down_revision = "0014_cob"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_FIGURES = (
    "deductible",
    "coinsurance",
    "copay",
    "patient_other",
    "contractual",
    "sequestration",
    "other_adjusted",
    "denied_amount",
)
_FLAGS = ("denied", "denial_keys", "denial_reasons")
_STORED = (
    "id",
    "clinic_id",
    "claim_id",
    "status_code",
    "patient_control_number",
    "charge",
    "paid",
    "patient_responsibility",
    "adjustments",
    "lines",
    "remarks",
)


def _money(name: str, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("claim_payments") as batch:
        for name in _FIGURES:
            batch.add_column(_money(name, True))
        batch.add_column(sa.Column("denied", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("denial_keys", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("denial_reasons", sa.JSON(), nullable=True))
    op.create_table(
        "claim_payment_lines",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("claim_payment_id", _ID, sa.ForeignKey("claim_payments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("claim_id", _ID, sa.ForeignKey("claims.id"), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(48), nullable=False),
        _money("charge", False),
        _money("paid", False),
        *(_money(name, False) for name in _FIGURES),
    )
    op.create_index("ix_claim_payment_lines_clinic_id", "claim_payment_lines", ["clinic_id"])
    op.create_index("ix_claim_payment_lines_claim_payment_id", "claim_payment_lines", ["claim_payment_id"])
    op.create_index("ix_claim_payment_lines_claim_id", "claim_payment_lines", ["claim_id"])
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    # The one accounting posting stores (imported here, not at the top: the migration environment loads
    # storage only, and a migration that never runs this need not load the denial knowledge).
    from ptbill.services.answer_totals import answer_figures

    meta = sa.MetaData()
    payments = sa.Table("claim_payments", meta, autoload_with=connection)
    lines = sa.Table("claim_payment_lines", meta, autoload_with=connection)
    last = 0
    while True:
        query = sa.select(*(payments.c[n] for n in _STORED)).where(payments.c.id > last).order_by(payments.c.id)
        chunk = connection.execute(query.limit(2000)).mappings().all()
        if not chunk:
            return
        updates, rows = [], []
        for answer in chunk:
            columns, answer_lines = answer_figures(answer)
            updates.append({"answer_id": answer["id"], **{f"new_{k}": v for k, v in columns.items()}})
            head = {"clinic_id": answer["clinic_id"], "claim_payment_id": answer["id"], "claim_id": answer["claim_id"]}
            rows += [{**head, **line} for line in answer_lines]
        statement = (
            payments.update()
            .where(payments.c.id == sa.bindparam("answer_id"))
            .values(
                {name: sa.bindparam(f"new_{name}") for name in (*_FIGURES, "denied", "denial_keys", "denial_reasons")}
            )
        )
        connection.execute(statement, updates)
        if rows:
            connection.execute(lines.insert(), rows)
        last = chunk[-1]["id"]


def downgrade() -> None:
    op.drop_table("claim_payment_lines")
    with op.batch_alter_table("claim_payments") as batch:
        for name in ("denial_reasons", "denial_keys", "denied", *reversed(_FIGURES)):
            batch.drop_column(column_name=name)
