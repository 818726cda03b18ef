"""The demo's payers answering: every signed demo note billed in one batch, and the 835s its payers would
send posted (payments near each payer's real 97012 rate, patient shares, some underpayments and denials)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import SYSTEM_CLOCK, Clock, FixedClock
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.domain.vocabulary import PayerType
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import liability_denial, write_835
from ptbill.services.access import Actor
from ptbill.services.batches import create_batch, mark_batch_submitted
from ptbill.services.billing import ClaimRecord, build_claims
from ptbill.services.demo_cob import crossed_over
from ptbill.services.demo_data import CLINIC_NPI, DEMO_CLINIC
from ptbill.services.posting import post_remittances
from ptbill.services.remittance_files import record_file
from ptbill.storage.tables import ClinicRow, EncounterRow, UserRow

DEMO_DENIALS = [
    ("4", ("N519",), "modifier"),  # procedure code inconsistent with the modifier
    ("197", (), "authorization"),
    ("50", ("N661",), "necessity"),
    ("16", ("N443",), "time"),
    ("236", (), "pair"),
    ("151", ("N640",), "frequency"),
]


def simulate_payments(
    session: Session, seed: int = 2026, *, clock: Clock = SYSTEM_CLOCK, today: date | None = None
) -> int:
    """Bill every signed demo note and post the 835s its payer would send: payments near each payer's
    real 97012 rate, patient shares, some underpayments and denials with their codes."""
    today = today or clock.today()
    rng = random.Random(seed)
    # The demo clinic's biller (the newest demo clinic's), whatever other clinics the database holds.
    biller_row = session.scalar(
        select(UserRow)
        .join(ClinicRow, ClinicRow.id == UserRow.clinic_id)
        .where(UserRow.role == "biller", ClinicRow.name == DEMO_CLINIC)
        .order_by(UserRow.id.desc())
    )
    if biller_row is None:  # pragma: no cover - seed_demo always creates one
        return 0
    biller = Actor(biller_row.id, biller_row.clinic_id, "biller", biller_row.name)
    signed = [
        r.id
        for r in session.scalars(
            select(EncounterRow)
            .where(EncounterRow.clinic_id == biller.clinic_id, EncounterRow.status == "signed")
            .order_by(EncounterRow.id)
        )
    ]
    claims = build_claims(session, biller, signed[: int(len(signed) * 0.85)], clock=clock)
    if not claims:
        return 0
    # Sent on the demo's day (its filing limits are measured from then, not from the machine's day).
    sent = clock if clock.today() == today else FixedClock(today)
    batch = create_batch(session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), clock=sent)
    mark_batch_submitted(session, biller, batch.id, clock=sent)  # the payers answered it, so it was sent
    catalog = default_catalog()
    by_payer: dict[str, list[ClaimRecord]] = {}
    for claim in claims:
        by_payer.setdefault(claim.payer_id, []).append(claim)
    posted = 0
    for number, (payer_id, payer_claims) in enumerate(sorted(by_payer.items())):
        payments = []
        seed_rate = catalog.snapshot(payer_id, today).value("fees.seed_average.97012", 14.0)
        for claim in payer_claims:
            denial = DEMO_DENIALS[rng.randrange(len(DEMO_DENIALS))] if rng.random() < 0.2 else None
            medicare, day = catalog.payers()[payer_id].type is PayerType.MEDICARE, claim.service_date
            lines = []
            for line in claim.lines:
                units = Decimal(line.units)
                if medicare and (answer := liability_denial(line.code, line.modifiers, line.charge, units, day)):
                    lines.append(answer)  # GA: the patient's (PR-50, M38); GZ: the clinic's (CO-50); GY: PR-96
                    continue
                if line.code == "97012":
                    rate = Decimal(str(seed_rate)) * Decimal(str(rng.uniform(0.85, 1.12)))
                else:
                    rate = (line.expected_payment or line.charge / 3) * Decimal(str(rng.uniform(0.8, 1.02)))
                paid = Decimal(0) if denial else (rate * line.units).quantize(Decimal("0.01"))
                patient = (
                    Decimal(0)
                    if denial or claim.payer_id.endswith("medicaid")
                    else (paid * Decimal("0.2")).quantize(Decimal("0.01"))
                )
                paid -= patient
                adjustments = [
                    Adjustment(AdjustmentGroup.CONTRACTUAL, denial[0] if denial else "45", line.charge - paid - patient)
                ]
                if patient:
                    adjustments.append(Adjustment(AdjustmentGroup.PATIENT, "2", patient))
                lines.append(
                    ServicePayment(
                        "HC",
                        line.code,
                        tuple(line.modifiers),
                        line.charge,
                        paid,
                        units_paid=units,
                        service_start=claim.service_date,
                        adjustments=tuple(adjustments),
                        remark_codes=denial[1] if denial else (),
                    )
                )
            paid_total = sum((s.paid for s in lines), Decimal(0))
            responsibility = sum(
                (a.amount for s in lines for a in s.adjustments if a.group is AdjustmentGroup.PATIENT), Decimal(0)
            )
            payments.append(
                ClaimPayment(
                    claim.patient_control_number,
                    ClaimStatus.DENIED if denial or not paid_total else ClaimStatus.PRIMARY,
                    claim.total_charge,
                    paid_total,
                    patient_responsibility=responsibility,
                    payer_claim_control_number=f"{number:02d}{claim.id:08d}",
                    patient=PatientName("PATIENT", "DEMO"),
                    service_lines=tuple(lines),
                )
            )
        total = sum((p.paid for p in payments), Decimal(0))
        payment_day = min(max(c.service_date for c in payer_claims) + timedelta(days=rng.randint(14, 30)), today)
        remittance = Remittance(
            payer_name=catalog.payers()[payer_id].name.upper(),
            payer_id=payer_id.upper()[:80],
            payee_name="HARBOR PHYSICAL THERAPY",
            payee_npi=CLINIC_NPI,
            payee_tax_id=None,
            handling=None,
            payment_amount=total,
            credit_debit=None,
            payment_method=None,
            payment_date=payment_day,
            trace_number=f"EFT{seed}{number:04d}",
            originating_company_id=None,
            production_date=None,
            claims=tuple(crossed_over(session, payer_claims, payments)),
        )
        text, name = write_835(remittance, interchange_control=number + 1), f"demo-{payer_id}.835"
        summary = post_remittances(session, biller, read_835(text), name)
        record_file(session, biller, name, text.encode(), summary)  # its summary on /remittances
        posted += summary.claims_posted
    return posted
