"""Writes 276 claim status inquiries and 277 answers (005010X212), and the 277CA's shape (005010X214).

The 276 follows the TR3's example (HL 20 payer, 21 information receiver, 19 provider, 22 subscriber,
23 dependent; in 2200D/E TRN, REF*1K, REF*EJ, AMT*T3, DTP*472). The 277 and 277CA are written only as
a stand-in payer or clearinghouse for tests. The caller passes the creation time and control numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ptbill.claim_status.x12_276_277 import GUIDE, REQUEST_FUNCTIONAL_ID, RESPONSE_FUNCTIONAL_ID
from ptbill.domain.claim_status import ClaimInquiry, ClaimStatusEntry, ClaimStatusReport, ClaimStatusRequest, Status
from ptbill.domain.coded import Party
from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.envelope_writer import Parties, write_single
from ptbill.x12.hierarchy import Hierarchy, heading, nm1, period
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier, clean_text
from ptbill.x12.values import amount, ccyymmdd

ACKNOWLEDGMENT_GUIDE = "005010X214"


def _inquiry(h: Hierarchy, provider_hl: int, claim: ClaimInquiry, d: Delimiters) -> list[Segment]:
    dependent = claim.patient is not None
    subscriber_hl, hl = h.hl(provider_hl, "22", dependent)
    out = [hl]
    if claim.subscriber_birth_date is not None and not dependent:
        out.append(Segment("DMG", ("D8", ccyymmdd(claim.subscriber_birth_date))))
    out.append(nm1("IL", claim.subscriber, d, "MI"))
    if claim.patient is not None:
        _, hl = h.hl(subscriber_hl, "23", None)
        out.append(hl)
        if claim.patient_birth_date is not None:
            out.append(Segment("DMG", ("D8", ccyymmdd(claim.patient_birth_date))))
        out.append(nm1("QC", replace(claim.patient, id=None), d, ""))
    out.append(Segment("TRN", ("1", clean_identifier(claim.trace_number, d))))
    if claim.payer_claim_number:
        out.append(Segment("REF", ("1K", clean_identifier(claim.payer_claim_number, d))))
    if claim.patient_control_number:
        out.append(Segment("REF", ("EJ", clean_identifier(claim.patient_control_number, d))))
    if claim.charge is not None:
        out.append(Segment("AMT", ("T3", amount(claim.charge))))
    out.append(Segment("DTP", ("472", *period(claim.service_start, claim.service_end))))
    return out


def write_276(
    request: ClaimStatusRequest,
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange holding one 276 asking ``request.payer`` about each of ``request.claims``."""
    d = delimiters or Delimiters()
    if request.payer is None or request.receiver is None or request.provider is None:
        raise ValueError("a 276 names its payer, its information receiver and its provider")
    payer, receiver, provider = request.payer, request.receiver, request.provider

    def build(control: int) -> list[Segment]:
        h = Hierarchy()
        body = heading("276", control, GUIDE, ("0010", "13"), request.reference, created, d)
        payer_hl, hl = h.hl(None, "20", True)
        body += [hl, nm1("PR", payer, d, "PI")]
        receiver_hl, hl = h.hl(payer_hl, "21", True)
        body += [hl, nm1("41", receiver, d, "46")]
        provider_hl, hl = h.hl(receiver_hl, "19", True)
        body += [hl, nm1("1P", provider, d, "XX")]
        for claim in request.claims:
            body += _inquiry(h, provider_hl, claim, d)
        return body

    return write_single(
        replace(parties, functional_id=REQUEST_FUNCTIONAL_ID, version=GUIDE), created, numbers, build, d
    )


def stc(status: Status, d: Delimiters, *, acknowledgment: bool, rejected: bool = False) -> Segment:
    composite = tuple(c.code if c is not None else "" for c in (status.category, status.status, status.entity))
    action = ("U" if rejected else "WQ") if acknowledgment else ""
    return Segment(
        "STC",
        (
            composite,
            ccyymmdd(status.effective) if status.effective else "",
            action,
            amount(status.charge) if status.charge is not None else "",
            amount(status.paid) if status.paid is not None and not acknowledgment else "",
            ccyymmdd(status.finalized) if status.finalized and not acknowledgment else "",
            "",
            ccyymmdd(status.remittance_date) if status.remittance_date and not acknowledgment else "",
            clean_identifier(status.check_or_eft, d) if status.check_or_eft and not acknowledgment else "",
            "",
            "",
            clean_text(status.message, d)[:264] if status.message else "",
        ),
    )


ClaimBuilder = Callable[[Hierarchy, int, ClaimStatusEntry], list[Segment]]


def _answer_claim(d: Delimiters) -> ClaimBuilder:
    def build(h: Hierarchy, provider_hl: int, claim: ClaimStatusEntry) -> list[Segment]:
        _, hl = h.hl(provider_hl, "22", False)
        out = [hl, nm1("IL", claim.patient or Party("UNKNOWN"), d, "MI")]
        out.append(
            Segment("TRN", ("2", clean_identifier(claim.trace_number or claim.patient_control_number or "0", d)))
        )
        out += [stc(s, d, acknowledgment=False) for s in claim.statuses]
        if claim.payer_claim_number:
            out.append(Segment("REF", ("1K", clean_identifier(claim.payer_claim_number, d))))
        if claim.patient_control_number:
            out.append(Segment("REF", ("EJ", clean_identifier(claim.patient_control_number, d))))
        if claim.service_start and claim.service_end:
            out.append(Segment("DTP", ("472", *period(claim.service_start, claim.service_end))))
        return out

    return build


def providers(report: ClaimStatusReport) -> list[tuple[Party, list[ClaimStatusEntry]]]:
    """The report's claims grouped by provider, in the order the providers first appear."""
    grouped: dict[Party, list[ClaimStatusEntry]] = {}
    for claim in report.claims:
        grouped.setdefault(claim.provider or Party("UNKNOWN"), []).append(claim)
    return list(grouped.items())


def write_277(
    report: ClaimStatusReport,
    receiver: Party,
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange holding one 277 (005010X212) answering with ``report``'s claims and statuses."""
    d = delimiters or Delimiters()
    payer = report.payer or Party("PAYER")
    claim_loop = _answer_claim(d)

    def build(control: int) -> list[Segment]:
        h = Hierarchy()
        body = heading("277", control, GUIDE, ("0010", "08"), report.reference, created, d, "DG")
        payer_hl, hl = h.hl(None, "20", True)
        body += [hl, nm1("PR", payer, d, "PI")]
        receiver_hl, hl = h.hl(payer_hl, "21", True)
        body += [hl, nm1("41", receiver, d, "46")]
        for provider, claims in providers(report):
            provider_hl, hl = h.hl(receiver_hl, "19", True)
            body += [hl, nm1("1P", provider, d, "XX")]
            for claim in claims:
                body += claim_loop(h, provider_hl, claim)
        return body

    return write_single(
        replace(parties, functional_id=RESPONSE_FUNCTIONAL_ID, version=GUIDE), created, numbers, build, d
    )
