"""Writes a 277CA claim acknowledgment (005010X214) for a batch of claims: a stand-in clearinghouse or
payer for tests. Per claim (loop 2200D) TRN*2 the patient control number, STC with WQ (accepted) or U
(rejected, category A3, A4, A6, A7 or A8), REF*1K when the payer gave a claim number, DTP*472."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from ptbill.claim_status.x12_276_277 import RESPONSE_FUNCTIONAL_ID
from ptbill.claim_status.x12_276_277.writer import providers, stc
from ptbill.claim_status.x12_277ca import GUIDE
from ptbill.domain.claim_status import Acknowledged, ClaimStatusEntry, ClaimStatusReport
from ptbill.domain.coded import Party
from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.envelope_writer import Parties, write_single
from ptbill.x12.hierarchy import Hierarchy, heading, nm1, period
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier
from ptbill.x12.values import amount, ccyymmdd


def _charge(claim: ClaimStatusEntry) -> Decimal:
    return next((s.charge for s in claim.statuses if s.charge is not None), Decimal(0))


def _totals(claims: list[ClaimStatusEntry], day: str, provider: bool = False) -> list[Segment]:
    """The STC, counts and amounts of a submitter's batch (2200B: QTY 90/AA) or a provider's (2200C: QA/QC,
    no STC02)."""
    accepted = [c for c in claims if c.acknowledged is not Acknowledged.REJECTED]
    rejected = [c for c in claims if c.acknowledged is Acknowledged.REJECTED]
    out: list[Segment] = []  # the counts first, then the amounts (the TR3's segment order)
    if accepted:
        out.append(Segment("QTY", ("QA" if provider else "90", str(len(accepted)))))
    if rejected:
        out.append(Segment("QTY", ("QC" if provider else "AA", str(len(rejected)))))
    if accepted:
        out.append(Segment("AMT", ("YU", amount(sum(map(_charge, accepted), Decimal(0))))))
    if rejected:
        out.append(Segment("AMT", ("YY", amount(sum(map(_charge, rejected), Decimal(0))))))
    total = amount(sum(map(_charge, claims), Decimal(0)))
    return [Segment("STC", (("A1", "19"), "" if provider else day, "WQ", total)), *out]


def _claim(h: Hierarchy, provider_hl: int, claim: ClaimStatusEntry, d: Delimiters) -> list[Segment]:
    _, hl = h.hl(provider_hl, "PT", None)
    rejected = claim.acknowledged is Acknowledged.REJECTED
    out = [hl, nm1("QC", claim.patient or Party("UNKNOWN"), d, "MI")]
    out.append(Segment("TRN", ("2", clean_identifier(claim.patient_control_number or "0", d))))
    out += [stc(s, d, acknowledgment=True, rejected=rejected) for s in claim.statuses]
    if claim.payer_claim_number:
        out.append(Segment("REF", ("1K", clean_identifier(claim.payer_claim_number, d))))
    if claim.service_start and claim.service_end:
        out.append(Segment("DTP", ("472", *period(claim.service_start, claim.service_end))))
    return out


def write_277ca(
    report: ClaimStatusReport,
    receiver: Party,
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    received: date | None = None,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange holding one 277CA acknowledging ``report.claims`` (received on ``received``,
    else the creation day) to ``receiver``, the submitter."""
    d = delimiters or Delimiters()
    payer = report.payer or Party("CLEARINGHOUSE")
    today = ccyymmdd(created.date())
    received_day = ccyymmdd(received or created.date())

    def build(control: int) -> list[Segment]:
        h = Hierarchy()
        body = heading("277", control, GUIDE, ("0085", "08"), report.reference, created, d, "TH")
        reference = body[1].element(3)  # BHT03: the report's reference, else the control number
        payer_hl, hl = h.hl(None, "20", True)
        body += [hl, nm1("PR", payer, d, "PI"), Segment("TRN", ("1", reference))]
        body += [Segment("DTP", ("050", "D8", received_day)), Segment("DTP", ("009", "D8", today))]
        receiver_hl, hl = h.hl(payer_hl, "21", True)
        body += [hl, nm1("41", receiver, d, "46"), Segment("TRN", ("2", reference))]
        body += _totals(list(report.claims), today)
        for index, (provider, claims) in enumerate(providers(report), start=1):
            provider_hl, hl = h.hl(receiver_hl, "19", True)
            body += [hl, nm1("85", provider, d, "XX"), Segment("TRN", ("1", f"{reference}-{index}"))]
            body += _totals(claims, today, provider=True)
            for claim in claims:
                body += _claim(h, provider_hl, claim, d)
        return body

    return write_single(
        replace(parties, functional_id=RESPONSE_FUNCTIONAL_ID, version=GUIDE), created, numbers, build, d
    )
