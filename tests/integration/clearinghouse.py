"""A stand-in clearinghouse for the mailbox tests: it reads an uploaded 837P batch as a clearinghouse would
and answers it with a 999 (each transaction set accepted, or rejected with an IK3/IK4 pointing to a claim), a
277CA (each claim accepted with a payer claim number, one rejected for its billing provider's NPI: A7:562:85)
and a 277 (claim status, pended or finalized), written by ptbill's own stand-in writers."""

from __future__ import annotations

from datetime import datetime
from itertools import count

from ptbill.acknowledgments.x12_999.codes import ACKNOWLEDGMENT, ELEMENT_ERRORS, SEGMENT_ERRORS, coded
from ptbill.acknowledgments.x12_999.writer import write_999
from ptbill.claim_status.x12_276_277.codes import category, entity, status_code
from ptbill.claim_status.x12_276_277.writer import write_277
from ptbill.claim_status.x12_277ca.writer import write_277ca
from ptbill.claims.x12_837p.reader import ParsedClaim, read_837p
from ptbill.domain.acknowledgment import AckVerdict, ElementNote, GroupAck, SegmentNote, TransactionSetAck
from ptbill.domain.claim_status import ClaimStatusEntry, ClaimStatusReport, Status
from ptbill.domain.coded import Party
from ptbill.x12.envelope_writer import Parties
from ptbill.x12.reader import read_lenient

CLEARINGHOUSE = Party("STAND-IN CLEARINGHOUSE", "CH0001")
PAYER = Party("STAND-IN PAYER", "PAYER01")


class Numbers:
    """The clearinghouse's own control numbers."""

    def __init__(self) -> None:
        self.counters = {"interchange": count(700), "group": count(700), "transaction": count(700)}

    def next(self, kind: str, how_many: int = 1) -> int:
        first = next(self.counters[kind])
        for _ in range(how_many - 1):
            next(self.counters[kind])
        return first


def parsed(batch: bytes) -> list[tuple[str, str, list[ParsedClaim]]]:
    """The batch's (GS06, ST02, claims)."""
    return [
        (t.envelope.group_control_number, t.envelope.transaction_control_number, list(t.claims))
        for t in read_837p(batch.decode())
    ]


def _parties(batch: bytes) -> Parties:
    first = next(read_837p(batch.decode())).envelope
    return Parties(first.receiver_id.strip(), first.sender_id.strip(), "FA", "005010X231A1", usage=first.usage)


def _subscriber_position(batch: bytes, control: str) -> int:
    """Where the first NM1*IL is in the transaction set ``control`` (ST = 1), as a 999's IK302 counts."""
    position, inside = 0, False
    for elements in read_lenient(batch.decode()):
        inside = inside or (elements[0] == "ST" and elements[2] == control)
        position += inside
        if inside and elements[:2] == ["NM1", "IL"]:
            return position
    raise AssertionError(f"no subscriber in transaction set {control}")


def answer_999(batch: bytes, when: datetime, numbers: Numbers, reject_claim: str | None = None) -> str:
    """Every transaction set accepted; with ``reject_claim``, its set rejected with an NM109 error in the
    subscriber's NM1 (loop 2010, CTX naming the claim)."""
    transactions = parsed(batch)
    group = transactions[0][0]
    sets = []
    for _group, control, claims in transactions:
        if reject_claim and reject_claim.upper() in {c.claim_id.upper() for c in claims}:
            note = SegmentNote(
                "NM1",
                _subscriber_position(batch, control),
                "2010",
                coded(SEGMENT_ERRORS, "8"),
                (f"CLM01 {reject_claim.upper()}",),
                (ElementNote(9, None, None, "67", coded(ELEMENT_ERRORS, "7"), None),),
            )
            sets.append(
                TransactionSetAck(
                    "837", control, "005010X222A1", AckVerdict.REJECTED, coded(ACKNOWLEDGMENT, "R"), (), (note,)
                )
            )
        else:
            sets.append(
                TransactionSetAck(
                    "837", control, "005010X222A1", AckVerdict.ACCEPTED, coded(ACKNOWLEDGMENT, "A"), (), ()
                )
            )
    accepted = sum(1 for s in sets if s.verdict is AckVerdict.ACCEPTED)
    verdict, code = (
        (AckVerdict.ACCEPTED, "A")
        if accepted == len(sets)
        else (AckVerdict.REJECTED, "R")
        if not accepted
        else (AckVerdict.PARTIALLY_ACCEPTED, "P")
    )
    answer = GroupAck(
        "HC",
        group,
        "005010X222A1",
        verdict,
        coded(ACKNOWLEDGMENT, code),
        len(sets),
        len(sets),
        accepted,
        (),
        tuple(sets),
    )
    return write_999(answer, _parties(batch), when, numbers)


def _entry(claim: ParsedClaim, statuses: tuple[Status, ...], payer_number: str | None) -> ClaimStatusEntry:
    assert claim.claim is not None
    c = claim.claim
    patient = Party(c.patient.last_name, c.member_id, "MI", c.patient.first_name)
    provider = Party(c.billing_provider.last_name_or_organization, c.billing_provider.npi, "XX")
    return ClaimStatusEntry(
        c.claim_id, None, payer_number, None, patient, provider, c.service_date, c.service_date, statuses, ()
    )


def answer_277ca(batch: bytes, when: datetime, numbers: Numbers, reject_claim: str | None) -> str:
    """Each claim accepted (A2:20) with a payer claim number, ``reject_claim`` rejected (A7:562:85)."""
    entries = []
    for _group, _control, claims in parsed(batch):
        for claim in claims:
            assert claim.claim is not None
            charge = claim.claim.total_charge
            if reject_claim and claim.claim_id.upper() == reject_claim.upper():
                status = Status(category("A7"), status_code("562"), entity("85"), when.date(), charge=charge)
                entries.append(_entry(claim, (status,), None))
            else:
                status = Status(category("A2"), status_code("20"), None, when.date(), charge=charge)
                entries.append(_entry(claim, (status,), f"PCN{claim.claim_id}"[:30]))
    report = ClaimStatusReport("005010X214", "1", "ACK1", when.date(), CLEARINGHOUSE, (), tuple(entries), ())
    parties = _parties(batch)
    return write_277ca(report, Party("PTBILL", parties.receiver_id), parties, when, numbers)


def answer_277(
    claims: list[tuple[ParsedClaim, str]],
    parties: Parties,
    when: datetime,
    numbers: Numbers,
    traces: dict[str, str] | None = None,
) -> str:
    """Each claim's status: (claim, 'P1' pended in process, or 'F1' finalized paid...). With ``traces``
    (patient control number -> the 276's TRN02), the claim is named by the inquiry's trace alone."""
    entries = []
    for claim, code in claims:
        trace = (traces or {}).get(claim.claim_id.upper())
        assert claim.claim is not None
        status = Status(category(code), status_code("20" if code.startswith("P") else "3"), None, when.date())
        entry = _entry(claim, (status,), f"PCN{claim.claim_id}"[:30])
        entries.append(
            ClaimStatusEntry(
                None if trace else entry.patient_control_number,
                trace or entry.patient_control_number,
                None if trace else entry.payer_claim_number,
                None,
                entry.patient,
                entry.provider,
                entry.service_start,
                entry.service_end,
                entry.statuses,
                (),
            )
        )
    report = ClaimStatusReport("005010X212", "1", "STATUS1", when.date(), PAYER, (), tuple(entries), ())
    return write_277(report, Party("PTBILL", parties.receiver_id), parties, when, numbers)
