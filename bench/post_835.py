"""Posting a large 835 into PostgreSQL: 50,000 claim payments in one transaction (target ≤ 20 s).

Sets up a fresh schema, a clinic and 50,000 billed claims (bulk-inserted: setup is not timed), writes
the 835 a payer would send for them, then times read_835 + posting + commit.
Run: .venv/bin/python bench/post_835.py [CLAIMS] [DATABASE_URL]
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from billed_claims import LINES, TOTAL, insert_billed_claims
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services.access import Actor, hash_password
from ptbill.services.posting import post_remittances
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory
from ptbill.storage.tables import ClaimPaymentRow, ClinicRow, UserRow


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    base = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/test"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        engine = make_engine(url)
        factory = session_factory(engine)
        started = time.perf_counter()
        with factory() as session, session.begin():
            clinic = ClinicRow(
                name="Bench PT",
                npi="1245319599",
                tax_id="954512345",
                address_line1="1 Main",
                city="Goleta",
                state="CA",
                zip="93117",
            )
            session.add(clinic)
            session.flush()
            user = UserRow(
                clinic_id=clinic.id,
                email="bench@example.org",
                name="Bench Biller",
                role="biller",
                password_hash=hash_password("x"),
            )
            session.add(user)
            session.flush()
            insert_billed_claims(session, clinic.id, count)
            actor = Actor(user.id, clinic.id, "biller", user.name)
        setup = time.perf_counter() - started

        payments = []
        for i in range(count):
            lines = tuple(
                ServicePayment(
                    "HC",
                    code,
                    mods,
                    charge,
                    Decimal("18.00"),
                    service_start=date(2026, 3, 2),
                    adjustments=(
                        Adjustment(AdjustmentGroup.CONTRACTUAL, "45", charge - Decimal("22.00")),
                        Adjustment(AdjustmentGroup.PATIENT, "2", Decimal("4.00")),
                    ),
                )
                for code, mods, charge in LINES
            )
            payments.append(
                ClaimPayment(
                    f"BENCH-{i:06d}",
                    ClaimStatus.PRIMARY,
                    TOTAL,
                    Decimal("36.00"),
                    patient_responsibility=Decimal("8.00"),
                    payer_claim_control_number=f"P{i:09d}",
                    patient=PatientName("PATIENT", "BENCH"),
                    service_lines=lines,
                )
            )
        remittance = Remittance(
            payer_name="AETNA",
            payer_id="60054",
            payee_name="BENCH PT",
            payee_npi="1245319599",
            payee_tax_id=None,
            handling=None,
            payment_amount=Decimal("36.00") * count,
            credit_debit=None,
            payment_method=None,
            payment_date=date(2026, 3, 20),
            trace_number="BENCHTRACE",
            originating_company_id=None,
            production_date=None,
            claims=tuple(payments),
        )
        document = write_835(remittance)

        started = time.perf_counter()
        parsed = list(read_835(document))
        reading = time.perf_counter() - started
        with factory() as session, session.begin():
            summary = post_remittances(session, actor, parsed, "bench.835")
        seconds = time.perf_counter() - started
        with factory() as session:
            posted = session.scalar(select(text("count(*)")).select_from(ClaimPaymentRow))
        print(
            f"setup (not timed): {count:,} claims with {count * len(LINES):,} lines inserted in {setup:.1f} s; "
            f"835 of {len(document) / 1e6:.1f} MB"
        )
        print(
            f"read + post + commit of {count:,} claim payments into PostgreSQL: {seconds:.1f} s "
            f"({count / seconds:,.0f} payments/s; target <= 20 s): reading {reading:.1f} s, posting and commit "
            f"{seconds - reading:.1f} s; posted {summary.claims_posted:,}, rows {posted:,}"
        )
        engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
