"""Ledger marks (issue 17, item 4): a row in ``ledger_marks`` written by the database itself, in the same
transaction, whenever something an A/R report reads changes: a claim (built, sent, answered, voided, corrected,
its status or chain), an answer posted or restated, a clinic write-off, a patient payment applied, and the few
note, patient and user columns the reports group or filter by. Triggers write the marks, so no code path can
change the ledger without one.

The clinic's revision is ``ledger_mark_totals.marks`` (the marks counted and folded there by the
``ledger_marks_compact`` job) plus the count of its marks still in ``ledger_marks``: it only grows, so two
reads that find the same number saw the same ledger. ``services.reports.ledger.ledger_revision`` reads it in
one statement (one snapshot, so a compaction committing meanwhile changes neither term's sum), and the A/R
aging keeps its computed report per process under it. On PostgreSQL a transaction writes at most one
mark per clinic (``INSERT ... ON CONFLICT DO NOTHING`` on the clinic and the transaction id), and concurrent
transactions insert different keys, so postings never wait on each other for their marks. SQLite writes one
or two per changed row (a single writer at a time there anyway).

Revision ID: 0031_ledger_marks
Revises: 0030_page_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_ledger_marks"
down_revision = "0030_page_indexes"
branch_labels = None
depends_on = None

# Each watched table, and the columns whose change marks it (None: any insert, update or delete).
WATCHED: dict[str, tuple[str, ...] | None] = {
    "claims": None,
    "claim_payments": None,
    "claim_write_offs": None,
    "payment_applications": None,
    "encounters": ("patient_id", "therapist_user_id", "document", "clinic_id"),  # grouping and filters
    "patients": ("first_name", "last_name", "clinic_id"),  # the by-patient rows' names
    "users": ("email", "clinic_id"),  # the therapist filter reads users by email
}

POSTGRES_FUNCTION = """
CREATE FUNCTION ptbill_ledger_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        marked := OLD.clinic_id;
    ELSE
        marked := NEW.clinic_id;
        IF TG_OP = 'UPDATE' AND OLD.clinic_id IS DISTINCT FROM NEW.clinic_id THEN
            INSERT INTO ledger_marks (clinic_id, tx) VALUES (OLD.clinic_id, txid_current()) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    INSERT INTO ledger_marks (clinic_id, tx) VALUES (marked, txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""


def _events(columns: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """(name suffix, event) pairs: every insert, update and delete, or the updates of the columns given (a new
    note, patient or user changes no report until a claim refers to it, and claims are watched)."""
    if columns is None:
        return [("insert", "INSERT"), ("update", "UPDATE"), ("delete", "DELETE")]
    return [("update", f"UPDATE OF {', '.join(columns)}")]


def upgrade() -> None:
    op.create_table(
        "ledger_marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("clinic_id", sa.Integer, nullable=False),
        sa.Column("tx", sa.BigInteger, nullable=True),  # PostgreSQL's transaction id; NULL on SQLite
    )
    op.create_index("ux_ledger_marks_tx", "ledger_marks", ["clinic_id", "tx"], unique=True)
    op.create_table(
        "ledger_mark_totals",
        sa.Column("clinic_id", sa.Integer, primary_key=True),
        sa.Column("marks", sa.BigInteger, nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(POSTGRES_FUNCTION)
    for table, columns in WATCHED.items():
        for suffix, event in _events(columns):
            name = f"ledger_mark_{table}_{suffix}"
            if postgres:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION ptbill_ledger_mark()"
                )
            else:
                rows = {"insert": ["NEW"], "update": ["OLD", "NEW"], "delete": ["OLD"]}[suffix]
                insert = "INSERT INTO ledger_marks (clinic_id, tx) VALUES ({}.clinic_id, NULL);"
                marks = " ".join(insert.format(r) for r in rows)
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {marks} END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in WATCHED.items():
        for suffix, _event in _events(columns):
            name = f"ledger_mark_{table}_{suffix}"
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute("DROP FUNCTION ptbill_ledger_mark()")
    op.drop_table("ledger_mark_totals")
    op.drop_index("ux_ledger_marks_tx", table_name="ledger_marks")
    op.drop_table("ledger_marks")
