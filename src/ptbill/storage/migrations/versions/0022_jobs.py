"""Background jobs: the ``job_runs`` table (kind, clinic, status, progress, message, who asked) on every
database, and on PostgreSQL procrastinate's queue (its ``schema.sql``, in the search path's schema, beside
the app's tables). SQLite runs the same jobs in-process and needs no queue.

Revision ID: 0022_jobs
Revises: 0020_statements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_jobs"
down_revision = "0021_mailbox"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT")),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(500)),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("input", sa.LargeBinary()),
        sa.Column("input_name", sa.String(200)),
        sa.Column("result_id", sa.BigInteger()),
        sa.Column("user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_job_runs_status"),
        sa.CheckConstraint("progress_done >= 0 AND progress_total >= 0 AND attempts >= 0", name="ck_job_runs_counts"),
    )
    op.create_index("ix_job_runs_clinic_id", "job_runs", ["clinic_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # The driver's own cursor: the schema's functions hold % and : that a bound statement would read.
        cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())
        cursor.close()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("events", "periodic_defers", "jobs", "workers"):
            op.execute(sa.text(f"DROP TABLE IF EXISTS procrastinate_{table} CASCADE"))
        for kind in ("job_status", "job_event_type", "job_to_defer_v1"):
            op.execute(sa.text(f"DROP TYPE IF EXISTS procrastinate_{kind} CASCADE"))
    op.drop_index("ix_job_runs_clinic_id", table_name="job_runs")
    op.drop_table("job_runs")
