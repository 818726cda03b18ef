"""Advance Beneficiary Notices (form CMS-R-131): one row per notice given to a patient, its services with the
clinic's own labels and estimated costs. Signed once: the date signed and the option chosen are set together,
by compare-and-set on an unsigned row, and never changed after (a new notice replaces it): triggers refuse
to update or delete a signed notice, or to add, change or remove its services.

Revision ID: 0019_abn
Revises: 0018_estimates
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_abn"
down_revision = "0018_estimates"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "abns",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("patient_id", _ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("form_version", sa.String(60), nullable=False),
        sa.Column("notifier", sa.String(400), nullable=False),
        sa.Column("patient_name", sa.String(130), nullable=False),
        sa.Column("identification", sa.String(40), nullable=False),
        sa.Column("reason_kind", sa.String(20), nullable=False),
        sa.Column("reason_text", sa.String(500), nullable=False),
        sa.Column("additional_info", sa.String(1000)),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date()),
        sa.Column("option", sa.Integer()),
        sa.Column("created_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("signature_recorded_by_user_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("signature_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("option IS NULL OR option IN (1, 2, 3)", name="ck_abns_option"),
        sa.CheckConstraint("(signed_on IS NULL) = (option IS NULL)", name="ck_abns_signed_with_option"),
        sa.CheckConstraint("signed_on IS NULL OR signed_on >= given_on", name="ck_abns_signed_after_given"),
    )
    op.create_index("ix_abns_clinic_id", "abns", ["clinic_id"])
    op.create_index("ix_abns_patient_id", "abns", ["patient_id"])
    op.create_table(
        "abn_services",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("clinic_id", _ID, sa.ForeignKey("clinics.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("abn_id", _ID, sa.ForeignKey("abns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(12, 2), nullable=False),
        sa.CheckConstraint("estimated_cost >= 0", name="ck_abn_services_cost"),
        sa.UniqueConstraint("abn_id", "position"),
    )
    op.create_index("ix_abn_services_clinic_id", "abn_services", ["clinic_id"])
    op.create_index("ix_abn_services_abn_id", "abn_services", ["abn_id"])
    dialect = op.get_bind().dialect.name
    for statement in TRIGGERS_POSTGRESQL if dialect == "postgresql" else TRIGGERS_SQLITE:
        op.execute(statement)


FROZEN = "a signed ABN is never changed: prepare a new one"
TRIGGERS_SQLITE = [
    f"CREATE TRIGGER abns_signed_no_update BEFORE UPDATE ON abns WHEN OLD.signed_on IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END",
    f"CREATE TRIGGER abns_signed_no_delete BEFORE DELETE ON abns WHEN OLD.signed_on IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END",
    *(
        f"CREATE TRIGGER abn_services_signed_no_{op_name.lower()} BEFORE {op_name} ON abn_services "
        f"WHEN (SELECT signed_on FROM abns WHERE id = {row}.abn_id) IS NOT NULL "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END"
        for op_name, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ),
]
TRIGGERS_POSTGRESQL = [
    "CREATE FUNCTION abn_signed_frozen() RETURNS trigger AS $$ "
    "DECLARE notice bigint; "
    "BEGIN "
    "IF TG_TABLE_NAME = 'abns' THEN "
    f"  IF OLD.signed_on IS NOT NULL THEN RAISE EXCEPTION '{FROZEN}'; END IF; "
    "ELSE "
    "  IF TG_OP = 'INSERT' THEN notice := NEW.abn_id; ELSE notice := OLD.abn_id; END IF; "
    "  IF EXISTS (SELECT 1 FROM abns WHERE id = notice AND signed_on IS NOT NULL) THEN "
    f"    RAISE EXCEPTION '{FROZEN}'; "
    "  END IF; "
    "END IF; "
    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
    "RETURN NEW; "
    "END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER abns_signed_frozen BEFORE UPDATE OR DELETE ON abns "
    "FOR EACH ROW EXECUTE FUNCTION abn_signed_frozen()",
    "CREATE TRIGGER abn_services_signed_frozen BEFORE INSERT OR UPDATE OR DELETE ON abn_services "
    "FOR EACH ROW EXECUTE FUNCTION abn_signed_frozen()",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS abn_services_signed_frozen ON abn_services")
        op.execute("DROP TRIGGER IF EXISTS abns_signed_frozen ON abns")
        op.execute("DROP FUNCTION IF EXISTS abn_signed_frozen()")
    else:
        for name in (
            "abns_signed_no_update",
            "abns_signed_no_delete",
            *(f"abn_services_signed_no_{op_name}" for op_name in ("insert", "update", "delete")),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_abn_services_abn_id", table_name="abn_services")
    op.drop_index("ix_abn_services_clinic_id", table_name="abn_services")
    op.drop_table("abn_services")
    op.drop_index("ix_abns_patient_id", table_name="abns")
    op.drop_index("ix_abns_clinic_id", table_name="abns")
    op.drop_table("abns")
