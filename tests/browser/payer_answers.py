"""The payers' side of a journey test: the 835 files each payer would send back for a batch the biller
built and submitted in the browser. Every line is paid at its expected amount (or 60 % of the charge
where none was priced) less the patient's coinsurance, with the contractual write-down; one line of the
first claim is denied as not medically necessary (CO-50 with remark N115), so the claim is paid with one
line denied. The files are real X12 from ``remittance.x12_835.writer``, uploaded through the page as a
clearinghouse download would be."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services.demo_data import CLINIC_NPI
from ptbill.storage.tables import ClaimRow

CENT = Decimal("0.01")
DENIED_REASON = ("50", ("N115",))  # not medically necessary; the LCD/NCD remark


def _line_answer(line, service_date: date, deny: bool, medicaid: bool) -> ServicePayment:  # type: ignore[no-untyped-def]
    if deny:
        return ServicePayment(
            "HC",
            line.code,
            tuple(line.modifiers),
            line.charge,
            Decimal(0),
            units_paid=Decimal(line.units),
            service_start=service_date,
            adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, DENIED_REASON[0], line.charge),),
            remark_codes=DENIED_REASON[1],
        )
    allowed = min(line.charge, (line.expected_payment or line.charge * Decimal("0.6")).quantize(CENT))
    patient = Decimal(0) if medicaid else (allowed * Decimal("0.2")).quantize(CENT)
    adjustments = [Adjustment(AdjustmentGroup.CONTRACTUAL, "45", line.charge - allowed)]
    if patient:
        adjustments.append(Adjustment(AdjustmentGroup.PATIENT, "2", patient))
    return ServicePayment(
        "HC",
        line.code,
        tuple(line.modifiers),
        line.charge,
        allowed - patient,
        units_paid=Decimal(line.units),
        service_start=service_date,
        adjustments=tuple(a for a in adjustments if a.amount),
    )


def answer_batch(session: Session, batch_id: int, paid_on: date, folder: Path) -> tuple[list[Path], int]:
    """Write each payer's 835 for the batch into ``folder``; returns the files and the id of the claim
    with the denied line."""
    claims = list(session.scalars(select(ClaimRow).where(ClaimRow.batch_id == batch_id).order_by(ClaimRow.id)))
    assert claims, f"batch {batch_id} holds no claims"
    denied_claim = next(c for c in claims if len(c.lines) > 1)
    by_payer: dict[str, list[ClaimRow]] = {}
    for claim in claims:
        by_payer.setdefault(claim.payer_id, []).append(claim)
    catalog = default_catalog()
    files = []
    for number, (payer_id, payer_claims) in enumerate(sorted(by_payer.items()), start=1):
        medicaid = payer_id.endswith("medicaid")
        payments = []
        for claim in payer_claims:
            lines = tuple(
                _line_answer(
                    line, claim.service_date, claim is denied_claim and index == len(claim.lines) - 1, medicaid
                )
                for index, line in enumerate(claim.lines)
            )
            paid = sum((s.paid for s in lines), Decimal(0))
            patient = sum(
                (a.amount for s in lines for a in s.adjustments if a.group is AdjustmentGroup.PATIENT), Decimal(0)
            )
            payments.append(
                ClaimPayment(
                    claim.patient_control_number,
                    ClaimStatus.PRIMARY,
                    claim.total_charge,
                    paid,
                    patient_responsibility=patient,
                    payer_claim_control_number=f"J{paid_on:%y%m%d}{claim.id:08d}",
                    patient=PatientName("PATIENT", "JOURNEY"),
                    service_lines=lines,
                )
            )
        payer = catalog.payers().get(payer_id)
        remittance = Remittance(
            payer_name=(payer.name if payer else payer_id).upper(),
            payer_id=payer_id.upper()[:80],
            payee_name="HARBOR PHYSICAL THERAPY",
            payee_npi=CLINIC_NPI,
            payee_tax_id=None,
            handling=None,
            payment_amount=sum((p.paid for p in payments), Decimal(0)),
            credit_debit=None,
            payment_method=None,
            payment_date=paid_on,
            trace_number=f"EFT{paid_on:%Y%m%d}{batch_id:03d}{number:02d}",
            originating_company_id=None,
            production_date=None,
            claims=tuple(payments),
        )
        path = folder / f"era-{payer_id}-{paid_on:%Y%m%d}.835"
        path.write_text(write_835(remittance, interchange_control=700 + number), encoding="ascii")
        files.append(path)
    return files, denied_claim.id
