"""Writes a Remittance as an X12 835 (005010X221A1): what a payer would send back.

A clinic never sends 835s; this exists to simulate payers for the demo clinic, the posting tests and
the posting benchmark, and round-trips through our reader. Loops: 1000A payer, 1000B payee,
2000 header number, 2100 claim payment, 2110 service payment; PLB after the last claim.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835 import GUIDE
from ptbill.x12.adjustments import cas_segments
from ptbill.x12.envelope_writer import Parties, st, write_interchange
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier, clean_text
from ptbill.x12.values import amount, ccyymmdd, quantity

# How Medicare answers a line it denies for the liability modifier it carries (Medicare Claims Processing Manual,
# Pub. 100-04, ch.30 §50; the X12 CARC and RARC lists): GA, an ABN on file, denied as not medically necessary
# with the patient liable (PR-50, remark M38); GZ, no ABN, denied with the clinic liable (CO-50); GY, not a
# Medicare benefit, denied as non-covered with the patient liable (PR-96, remark N425).
LIABILITY_DENIALS: dict[str, tuple[AdjustmentGroup, str, tuple[str, ...]]] = {
    "GA": (AdjustmentGroup.PATIENT, "50", ("M38",)),
    "GZ": (AdjustmentGroup.CONTRACTUAL, "50", ()),
    "GY": (AdjustmentGroup.PATIENT, "96", ("N425",)),
}


def liability_denial(
    code: str, modifiers: Sequence[str], charge: Decimal, units: Decimal, service_start: date | None
) -> ServicePayment | None:
    """The simulated Medicare answer to a line carrying GA, GZ or GY: nothing paid, the whole charge adjusted
    in the group that says who is liable; None for any other line (the payer's usual answer applies)."""
    modifier = next((m for m in modifiers if m in LIABILITY_DENIALS), None)
    if modifier is None:
        return None
    group, reason, remarks = LIABILITY_DENIALS[modifier]
    return ServicePayment(
        "HC",
        code,
        tuple(modifiers),
        charge,
        Decimal("0.00"),
        units_paid=units,
        service_start=service_start,
        adjustments=(Adjustment(group, reason, charge),),
        remark_codes=remarks,
    )


def _service(line: ServicePayment, d: Delimiters) -> Iterator[Segment]:
    yield Segment(
        "SVC",
        (
            (line.code_qualifier, line.procedure_code, *line.modifiers),
            amount(line.charge),
            amount(line.paid),
            "",
            quantity(line.units_paid),
        ),
    )
    if line.service_start:
        yield Segment("DTM", ("472", ccyymmdd(line.service_start)))
    yield from cas_segments(line.adjustments)
    if line.line_control_number:
        yield Segment("REF", ("6R", clean_text(line.line_control_number, d)[:50]))
    if line.allowed_amount is not None:
        yield Segment("AMT", ("B6", amount(line.allowed_amount)))
    for remark in line.remark_codes:
        yield Segment("LQ", ("HE", remark))


def _claim(claim: ClaimPayment, d: Delimiters) -> Iterator[Segment]:
    yield Segment(
        "CLP",
        (
            clean_identifier(claim.patient_control_number, d)[:38],
            claim.status.value,
            amount(claim.charge),
            amount(claim.paid),
            amount(claim.patient_responsibility) if claim.patient_responsibility is not None else "",
            claim.filing_indicator or "MB",
            claim.payer_claim_control_number or "",
            claim.facility_code or "11",
            claim.frequency or "1",
        ),
    )
    yield from cas_segments(claim.adjustments)
    if claim.patient is not None:
        yield Segment(
            "NM1",
            (
                "QC",
                "1",
                clean_text(claim.patient.last_name, d)[:60],
                clean_text(claim.patient.first_name or "", d)[:35],
                "",
                "",
                "",
                "MI" if claim.patient.member_id else "",
                claim.patient.member_id or "",
            ),
        )
    if claim.crossover_carrier:  # 2100 NM1*TT: the payer the claim was forwarded to (a crossover)
        yield Segment(
            "NM1", ("TT", "2", clean_text(claim.crossover_carrier, d)[:60], "", "", "", "", "PI", "CROSSOVER")
        )
    if claim.remark_codes:
        yield Segment("MOA", ("", "", *claim.remark_codes[:5]))
    if claim.service_start:
        yield Segment("DTM", ("232", ccyymmdd(claim.service_start)))
    for line in claim.service_lines:
        yield from _service(line, d)


def _plb(adjustments: Sequence[ProviderAdjustment], provider_id: str, fiscal_end: date) -> Iterator[Segment]:
    for start in range(0, len(adjustments), 6):
        elements: list[str | tuple[str, ...]] = [provider_id, ccyymmdd(fiscal_end)]
        for item in adjustments[start : start + 6]:
            elements += [
                (item.reason_code, item.reference_id) if item.reference_id else item.reason_code,
                amount(item.amount),
            ]
        yield Segment("PLB", tuple(elements))


def write_835(
    remittance: Remittance,
    *,
    sender_id: str = "PAYERSIM",
    receiver_id: str = "PTBILLCLINIC",
    interchange_control: int = 1,
    created: datetime | None = None,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange with one 835 transaction holding the remittance."""
    d = delimiters or Delimiters()
    created = created or datetime(2026, 1, 1, 12, 0)
    payment_date = remittance.payment_date or created.date()
    body: list[Segment] = [
        st("835", 1),
        Segment(
            "BPR",
            (
                "I",
                amount(remittance.payment_amount),
                "C",
                "ACH",
                "CCP",
                "01",
                "011000015",
                "DA",
                "123456789",
                "1512345678",
                "",
                "01",
                "021000021",
                "DA",
                "987654321",
                ccyymmdd(payment_date),
            ),
        ),
        Segment("TRN", ("1", remittance.trace_number or "0", "1512345678")),
        Segment("DTM", ("405", ccyymmdd(remittance.production_date or payment_date))),
        Segment("N1", ("PR", clean_text(remittance.payer_name or "PAYER", d)[:60])),
        Segment("N3", ("1 PAYER WAY",)),
        Segment("N4", ("BALTIMORE", "MD", "21244")),
        Segment("PER", ("BL", "PROVIDER SERVICES", "TE", "8005550199")),
        Segment(
            "N1",
            ("PE", clean_text(remittance.payee_name or "PAYEE", d)[:60], "XX", remittance.payee_npi or "1245319599"),
        ),
    ]
    for number, claim in enumerate(remittance.claims, start=1):
        if number == 1:
            body.append(Segment("LX", ("1",)))
        body.extend(_claim(claim, d))
    body.extend(
        _plb(remittance.provider_adjustments, remittance.payee_npi or "1245319599", date(payment_date.year, 12, 31))
    )
    parties = Parties(sender_id, receiver_id, "HP", GUIDE)  # GS01 HP: health care claim payment/advice
    return write_interchange(parties, d, created, interchange_control, interchange_control, [body])
