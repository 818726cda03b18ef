"""A rejection in a biller's words: what to fix before the claim is sent again, and the ptbill checks
(``docs/rules.md``) that look at the same thing, like the denial loop's CARC entries.

A 277CA names the problem by its STC: the status code (X12 external code list 508, claim status codes,
https://x12.org/codes/claim-status-codes) and the entity it is about (entity identifier codes, element 98). A
999 names the segment (IK3, at its position in the transaction set we sent) and the element (IK4, by its
data element number) of the 837P (ASC X12N 005010X231A1 and 005010X222A1). Anything not listed gets the
general fix: read the codes, correct the claim and send it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ptbill.domain.acknowledgment import SegmentNote
from ptbill.domain.claim_status import Status


@dataclass(frozen=True, slots=True)
class Fix:
    text: str
    rule_ids: tuple[str, ...] = ()


MEMBER_ID = Fix(
    "Check the patient's coverage: the member id and the subscriber's name and date of birth exactly as on the "
    "insurance card (ask for a new card or run an eligibility check), then send the claim again."
)
NPI = Fix(
    "Check the NPI of the provider the rejection names (the billing provider in the clinic's settings, the "
    "therapist on the providers roster): ten digits with a valid check digit, registered in NPPES under that "
    "name, then send the claim again.",
    ("NPI_INVALID",),
)
DIAGNOSIS = Fix(
    "Check the note's diagnoses: valid, billable ICD-10-CM codes for the date of service, the principal one "
    "first, each line pointing to one of them; correct the note and send the claim again.",
    ("DIAGNOSIS_INVALID", "DIAGNOSIS_MISSING", "DIAGNOSIS_POINTER_INVALID"),
)
PROCEDURE = Fix(
    "Check the lines' procedure codes and modifiers (GP for physical therapy, CQ for an assistant, no two "
    "modifiers that contradict each other), then send the claim again.",
    ("CODE_UNKNOWN", "MODIFIER_UNKNOWN", "MODIFIER_CONFLICT", "MODIFIER_GP_MISSING"),
)
DATES = Fix(
    "Check the date of service on the note and on each line (not in the future, inside the plan of care), "
    "then send the claim again.",
    ("DATE_OF_SERVICE_IN_FUTURE",),
)
PAYER = Fix(
    "Check the payer: the coverage may belong to another payer, or the clearinghouse's payer id "
    "(parameter claims.payer_identifier) is wrong; correct it and send the claim again.",
    ("PAYER_UNKNOWN",),
)
GENERAL = Fix(
    "Read the codes below, correct what they name on the note, the patient's coverage or the clinic's "
    "settings, and send the claim again; the payer never entered this claim, so it is sent as new."
)

_BY_STATUS = {
    "33": MEMBER_ID,
    "164": MEMBER_ID,
    "562": NPI,
    "254": DIAGNOSIS,
    "255": DIAGNOSIS,
    "453": PROCEDURE,
    "454": PROCEDURE,
    "187": DATES,
}
_BY_ENTITY = {"IL": MEMBER_ID, "QC": MEMBER_ID, "85": NPI, "82": NPI, "DN": NPI, "DK": NPI, "PR": PAYER}
# 999 IK3: the segment in error (IK301), an NM1 by the entity it names in the 837P sent (NM101).
_BY_SEGMENT = {"HI": DIAGNOSIS, "SV1": PROCEDURE, "DTP": DATES, "SBR": MEMBER_ID}


def fix_for_statuses(statuses: tuple[Status, ...]) -> Fix:
    """The fix for a claim's STCs: its status codes first, then the entity named."""
    for status in statuses:
        if status.status is not None and status.status.code in _BY_STATUS:
            return _BY_STATUS[status.status.code]
    for status in statuses:
        if status.entity is not None and status.entity.code in _BY_ENTITY:
            return _BY_ENTITY[status.entity.code]
    return GENERAL


def fix_for_segments(segments: tuple[SegmentNote, ...], sent: Callable[[int], Sequence[str] | None]) -> Fix:
    """The fix for a 999's segment errors. ``sent(position)`` is the segment at that position (ST = 1) of the
    transaction set we sent, as its elements: an NM1 is judged by the entity it names (IL subscriber, 85
    billing provider ...), any other segment by its id."""
    for note in segments:
        found = sent(note.position) if note.position else None
        if found and found[0] == note.segment_id == "NM1" and len(found) > 1 and found[1] in _BY_ENTITY:
            return _BY_ENTITY[found[1]]
        if note.segment_id in _BY_SEGMENT:
            return _BY_SEGMENT[note.segment_id]
    return GENERAL
