"""The denial worklist with 500 denied notes: one page's worth of work, before and after stored results.

Before, each view ran the rules engine again for every denied note whose denial names checks (to say
whether the note still fails them). Now the worklist reads the check result stored when the note was
saved. Setup (not timed): a clinic with N notes saved, signed and billed through the services (each
checked once on save, as in the app), and one 835 that denies every claim with CO-16 / N443 (missing
times, which names the time checks). Timed: the worklist as it is now, and "before": the same worklist
plus one engine run per denied note, which is what the old worklist added.
Run: .venv/bin/python bench/denial_worklist.py [NOTES] [DATABASE_URL]   (default 500, a temporary SQLite file)
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ptbill.domain.encounter_json import encounter_from_dict
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
from ptbill.services import access, billing, notes, patients
from ptbill.services.denials import denial_worklist
from ptbill.services.posting import post_remittances
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimRow, ClinicRow, EncounterRow, UserRow

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "medicare-lumbar-traction-clean.json"
VIEWS = 3


def _setup(factory: object, count: int) -> tuple[access.Actor, int]:
    with transaction(factory) as session:  # type: ignore[arg-type]
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
        users = [
            UserRow(
                clinic_id=clinic.id,
                email="pt@bench.example",
                name="Dana Reyes",
                role="therapist",
                credential="PT",
                npi="1093817462",
                password_hash="x",
            ),
            UserRow(
                clinic_id=clinic.id, email="billing@bench.example", name="Bo Biller", role="biller", password_hash="x"
            ),
        ]
        session.add_all(users)
        session.flush()
        therapist = access.Actor(users[0].id, clinic.id, "therapist", users[0].name)
        biller = access.Actor(users[1].id, clinic.id, "biller", users[1].name)
        example = json.loads(EXAMPLE.read_text())
        claims = []
        for i in range(count):
            chart = f"B-{i:05d}"
            patient = patients.create_patient(
                session,
                therapist,
                {
                    "chart_number": chart,
                    "first_name": "Ava",
                    "last_name": f"Bench{i}",
                    "birth_date": date(1961, 4, 2),
                    "sex": "F",
                },
            )
            document = copy.deepcopy(example)
            document["id"] = f"bench-{i:05d}"
            document["patient"]["id"] = chart
            row, _ = notes.save_encounter(session, therapist, document, patient.id)
            notes.sign_encounter(session, therapist, row.id)
            claims.extend(billing.build_claims(session, biller, [row.id]))
        payments = [
            ClaimPayment(
                claim.patient_control_number,
                ClaimStatus.DENIED,
                claim.total_charge,
                Decimal("0"),
                patient_responsibility=Decimal("0"),
                payer_claim_control_number=f"P{claim.id:09d}",
                patient=PatientName("BENCH", "AVA"),
                service_lines=tuple(
                    ServicePayment(
                        "HC",
                        line.code,
                        tuple(line.modifiers),
                        line.charge,
                        Decimal("0"),
                        service_start=claim.service_date,
                        adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "16", line.charge),),
                        remark_codes=("N443",),
                    )
                    for line in claim.lines
                ),
            )
            for claim in claims
        ]
        remittance = Remittance(
            payer_name="MEDICARE",
            payer_id="01182",
            payee_name="BENCH PT",
            payee_npi="1245319599",
            payee_tax_id=None,
            handling=None,
            payment_amount=Decimal("0"),
            credit_debit=None,
            payment_method=None,
            payment_date=date(2026, 3, 20),
            trace_number="BENCHDENY",
            originating_company_id=None,
            production_date=None,
            claims=tuple(payments),
        )
        post_remittances(session, biller, read_835(write_835(remittance)), "bench.835")
        return biller, len(claims)


def _view(factory: object, biller: access.Actor, rerun: bool) -> tuple[float, int]:
    started = time.perf_counter()
    with transaction(factory) as session:  # type: ignore[arg-type]
        groups = denial_worklist(session, biller)
        if rerun:  # what the old worklist did besides: the engine again for every denied note
            ids = [session.get(ClaimRow, item.claim_id).encounter_id for g in groups for item in g.items]  # type: ignore[union-attr]
            for note in session.scalars(select(EncounterRow).where(EncounterRow.id.in_(ids))):
                notes.check_for_clinic(session, biller.clinic_id, encounter_from_dict(note.document, "note"))
    return time.perf_counter() - started, sum(len(g.items) for g in groups)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        factory = session_factory(engine)
        started = time.perf_counter()
        biller, claims = _setup(factory, count)
        setup = time.perf_counter() - started
        print(f"setup (not timed): {claims} notes saved, signed, billed and denied in {setup:.1f} s")
        for label, rerun in (("before (engine per denied note)", True), ("after (stored results)", False)):
            times = []
            for _ in range(VIEWS):
                seconds, shown = _view(factory, biller, rerun)
                times.append(seconds)
            print(f"{label}: {shown} denials, best of {VIEWS} views {min(times) * 1000:,.0f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
