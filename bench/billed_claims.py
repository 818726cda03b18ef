"""Billed claims in bulk for the benches that post a large 835 (``post_835.py``, ``remittance_pages.py``):
one patient and note, ``count`` submitted claims ``BENCH-000000``… of two lines each, inserted with Core
statements (setup, not timed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from ptbill.storage.tables import ClaimLineRow, ClaimRow

LINES = (("97012", ("GP",), Decimal("28.46")), ("97110", ("GP",), Decimal("57.58")))
SERVICE_DATE = date(2026, 3, 2)
TOTAL = sum(charge for _, _, charge in LINES)


def claim_number(index: int) -> str:
    return f"BENCH-{index:06d}"


def insert_billed_claims(session: Session, clinic_id: int, count: int) -> None:
    """A patient, a billed note and ``count`` submitted claims with their lines, in the caller's transaction."""
    session.execute(
        text(
            "INSERT INTO patients (clinic_id, chart_number, first_name, last_name, birth_date, sex) "
            "VALUES (:c, 'B-1', 'Bench', 'Patient', '1960-01-01', 'F')"
        ),
        {"c": clinic_id},
    )
    session.execute(
        text(
            "INSERT INTO encounters (clinic_id, patient_id, external_id, date_of_service, payer_id, status, "
            "document, version) SELECT :c, id, 'E-1', '2026-03-02', 'aetna', 'billed', '{}', 1 FROM patients"
        ),
        {"c": clinic_id},
    )
    encounter_id = session.scalar(text("SELECT id FROM encounters"))
    claims = [
        {
            "clinic_id": clinic_id,
            "encounter_id": encounter_id,
            "patient_control_number": claim_number(i),
            "payer_id": "aetna",
            "status": "submitted",
            "frequency": "1",
            "total_charge": TOTAL,
            "expected_payment": Decimal("40.00"),
            "paid_amount": Decimal(0),
            "patient_responsibility": Decimal(0),
            "service_date": SERVICE_DATE,
        }
        for i in range(count)
    ]
    session.execute(insert(ClaimRow), claims)
    ids = dict(session.execute(select(ClaimRow.patient_control_number, ClaimRow.id)).all())
    session.execute(
        insert(ClaimLineRow),
        [
            {
                "claim_id": ids[claim_number(i)],
                "line_number": n + 1,
                "code": code,
                "modifiers": list(mods),
                "units": 1,
                "charge": charge,
                "expected_payment": Decimal("20.00"),
                "paid_amount": Decimal(0),
                "diagnosis_pointers": [1],
            }
            for i in range(count)
            for n, (code, mods, charge) in enumerate(LINES)
        ],
    )
