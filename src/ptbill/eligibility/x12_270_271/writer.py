"""Writes a 270 eligibility inquiry (005010X279A1): a patient's coverage on a date of service, as the
TR3's examples do (HL 20 payer, 21 provider, 22 subscriber, 23 dependent; TRN*1, NM1, DMG, DTP*291,
then one EQ loop (2110C/D) per service type: 30 health plan coverage and PT physical therapy by default).
The caller passes the creation time and control numbers; ``originator`` is TRN03 (10 characters, '9'
and the provider's tax id by convention)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ptbill.domain.eligibility import EligibilityInquiry, EligibilityRequest
from ptbill.eligibility.x12_270_271 import GUIDE, REQUEST_FUNCTIONAL_ID
from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.envelope_writer import Parties, write_single
from ptbill.x12.hierarchy import Hierarchy, heading, nm1
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier
from ptbill.x12.values import ccyymmdd


def _member(
    h: Hierarchy, provider_hl: int, inquiry: EligibilityInquiry, originator: str, d: Delimiters
) -> list[Segment]:
    dependent = inquiry.patient is not None
    subscriber_hl, hl = h.hl(provider_hl, "22", dependent)
    trn = Segment("TRN", ("1", clean_identifier(inquiry.trace_number, d), clean_identifier(originator, d)))
    questions = [Segment("DTP", ("291", "D8", ccyymmdd(inquiry.service_date)))]
    questions += [Segment("EQ", (clean_identifier(code, d),)) for code in inquiry.service_types]
    out = [hl]
    if inquiry.patient is None:
        out += [trn, nm1("IL", inquiry.subscriber, d, "MI")]
        if inquiry.subscriber_birth_date is not None:
            out.append(Segment("DMG", ("D8", ccyymmdd(inquiry.subscriber_birth_date))))
        return out + questions
    out.append(nm1("IL", inquiry.subscriber, d, "MI"))
    _, hl = h.hl(subscriber_hl, "23", False)
    out += [hl, trn, nm1("03", replace(inquiry.patient, id=None), d, "")]
    if inquiry.patient_birth_date is not None:
        out.append(Segment("DMG", ("D8", ccyymmdd(inquiry.patient_birth_date))))
    return out + questions


def write_270(
    request: EligibilityRequest,
    originator: str,
    parties: Parties,
    created: datetime,
    numbers: ControlNumberSource,
    delimiters: Delimiters | None = None,
) -> str:
    """One interchange holding one 270 asking ``request.payer`` about each of ``request.inquiries``."""
    d = delimiters or Delimiters()
    if request.payer is None or request.provider is None:
        raise ValueError("a 270 names its payer and its provider")
    payer, provider = request.payer, request.provider

    def build(control: int) -> list[Segment]:
        h = Hierarchy()
        body = heading("270", control, GUIDE, ("0022", "13"), request.reference, created, d)
        payer_hl, hl = h.hl(None, "20", True)
        body += [hl, nm1("PR", payer, d, "PI")]
        provider_hl, hl = h.hl(payer_hl, "21", True)
        body += [hl, nm1("1P", provider, d, "XX")]
        for inquiry in request.inquiries:
            body += _member(h, provider_hl, inquiry, originator, d)
        return body

    return write_single(
        replace(parties, functional_id=REQUEST_FUNCTIONAL_ID, version=GUIDE), created, numbers, build, d
    )
