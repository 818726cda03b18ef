"""Writes claims as X12 837P 005010X222A1 batches: ISA/GS envelopes, up to 5,000 claims per ST.

Loop ids (1000A, 2000A, 2010AA, 2300, 2400 ...) and element ids are the TR3's; each segment is built
by a function named for its meaning. The writer refuses a claim the TR3 or a payer would reject
(no diagnosis, a bad NPI, too many lines) and says why, before any byte is written.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar

from ptbill.claims.claim_text import claim_text_problems
from ptbill.claims.x12_837p import GUIDE
from ptbill.domain.claim import (
    MAX_DIAGNOSIS_POINTERS,
    MAX_MODIFIERS,
    Claim,
    ClaimFrequency,
    ClaimParty,
    OtherPayer,
    OtherPayerLine,
    Person,
    PostalAddress,
)
from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits, npi_is_valid
from ptbill.x12.adjustments import cas_segments
from ptbill.x12.control_numbers import ControlNumberSource
from ptbill.x12.envelope_writer import Parties, st, stream_interchange_texts
from ptbill.x12.syntax import Delimiters, Segment, SegmentEncoder, clean_identifier, text_cleaner
from ptbill.x12.values import amount, ccyymmdd, hhmm, transaction_control_number

MAX_CLAIMS_PER_TRANSACTION = 5000  # TR3 1.4.1: no more than 5,000 CLM segments per ST/SE
MAX_LINES_PER_CLAIM = 50  # TR3 loop 2400 repeats up to 50 times
MAX_DIAGNOSES = 12  # HI01-HI12
RELATIONSHIP_CODES = {"spouse": "01", "child": "19", "other": "G8"}  # 2000C PAT01 / SBR02
DIAGNOSIS_RE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
T = TypeVar("T")
_segment = tuple.__new__


class ClaimRejectedError(PtbillError):
    """A claim X12 or the payer would reject; ``reasons`` names each problem."""

    def __init__(self, claim_id: str, reasons: list[str]) -> None:
        self.claim_id = claim_id
        self.reasons = reasons
        super().__init__(f"claim {claim_id}: " + "; ".join(reasons))


@dataclass(frozen=True, slots=True)
class Trading:
    """Who sends and who receives: the submitter (1000A, ISA06/GS02) and the receiver (1000B, ISA08/GS03)."""

    submitter_id: str
    submitter_name: str
    contact_name: str
    contact_phone: str  # 10 digits
    receiver_id: str
    receiver_name: str
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"  # P production, T test (ISA15)
    delimiters: Delimiters = field(default_factory=Delimiters)


@dataclass(frozen=True, slots=True)
class ControlNumbersUsed:
    interchange: int
    groups: tuple[int, ...]
    transactions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Batch:
    text: str
    control_numbers: ControlNumbersUsed
    claim_count: int


def validate_claim(claim: Claim) -> list[str]:
    """Every reason the claim cannot be sent; empty when it can."""
    reasons: list[str] = []
    if not claim.diagnoses:
        reasons.append("it has no diagnosis (loop 2300 HI is required)")
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        reasons.append(f"it has {len(claim.diagnoses)} diagnoses; a claim holds at most {MAX_DIAGNOSES}")
    for code in claim.diagnoses:
        if not DIAGNOSIS_RE.fullmatch(code):
            reasons.append(f"diagnosis {code!r} is not an ICD-10-CM code written without the dot")
    if not claim.lines:
        reasons.append("it has no service line")
    if len(claim.lines) > MAX_LINES_PER_CLAIM:
        reasons.append(f"it has {len(claim.lines)} lines; split it: a claim holds at most {MAX_LINES_PER_CLAIM}")
    parties: list[tuple[str, ClaimParty | None]] = [
        ("billing provider", claim.billing_provider),
        ("rendering provider", claim.rendering_provider),
        ("referring provider", claim.referring_provider),
        ("supervising provider", claim.supervising_provider),
    ]
    for role, party in parties:
        if party is not None and not npi_is_valid(party.npi):
            reasons.append(f"the {role}'s NPI {party.npi} fails its check digit")
    billing = claim.billing_provider
    if billing.address is None:
        reasons.append("the billing provider has no address (loop 2010AA N3/N4)")
    if not billing.tax_id or len(billing.tax_id) != 9 or not is_ascii_digits(billing.tax_id):
        reasons.append("the billing provider's tax id must be 9 digits (REF*EI)")
    for line in claim.lines:
        where = f"line {line.line_number} ({line.code})"
        if line.units < 1:
            reasons.append(f"{where} has {line.units} units")
        if line.charge <= 0:
            reasons.append(f"{where} has no charge")
        if len(line.modifiers) > MAX_MODIFIERS:
            reasons.append(f"{where} has {len(line.modifiers)} modifiers; at most {MAX_MODIFIERS}")
        if not line.diagnosis_pointers:
            reasons.append(f"{where} points to no diagnosis (SV107)")
        if any(not 1 <= p <= len(claim.diagnoses) for p in line.diagnosis_pointers):
            reasons.append(f"{where} points outside the claim's {len(claim.diagnoses)} diagnoses")
        if len(line.diagnosis_pointers) > MAX_DIAGNOSIS_POINTERS:
            reasons.append(f"{where} has more than 4 diagnosis pointers")
    if claim.frequency is not ClaimFrequency.ORIGINAL and not claim.original_claim_number:
        reasons.append("a replacement or void needs the payer's original claim number (REF*F8)")
    if not claim.member_id.strip():
        reasons.append("the member id is empty")
    reasons.extend(cob_problems(claim))
    reasons.extend(claim_text_problems(claim))
    return reasons


def cob_problems(claim: Claim) -> list[str]:
    """Why the claim's coordination of benefits would be rejected: a secondary or tertiary claim without
    the earlier payers' answers, or an answer whose amounts do not add up to the charge (TR3 2320/2430)."""
    reasons: list[str] = []
    wanted = {"P": 0, "S": 1, "T": 2}.get(claim.payer_sequence)
    if wanted is None:
        return [f"payer sequence {claim.payer_sequence!r} is not P, S or T (SBR01)"]
    if len(claim.other_payers) != wanted:
        reasons.append(
            f"a claim to the payer in place {claim.payer_sequence} needs the answers of the {wanted} payer(s) "
            f"before it (loop 2320); it has {len(claim.other_payers)}: the primary's adjudication is missing"
        )
    charges = {line.line_number: line.charge for line in claim.lines}
    for other in claim.other_payers:
        for answered in other.lines:
            charge = charges.get(answered.line_number)
            if charge is None:
                reasons.append(f"{other.payer_name} answered line {answered.line_number}, which the claim lacks")
                continue
            adjusted = sum((a.amount for a in answered.adjustments), Decimal(0))
            if answered.paid + adjusted != charge:
                reasons.append(
                    f"COB amounts do not balance on line {answered.line_number}: {other.payer_name} paid "
                    f"{answered.paid} and adjusted {adjusted}, the line charges {charge} (loop 2430)"
                )
        if other.lines:
            line_paid = sum((line.paid for line in other.lines), Decimal(0))
            if line_paid != other.paid:
                reasons.append(
                    f"COB amounts do not balance: {other.payer_name} paid {other.paid} on the claim and "
                    f"{line_paid} on its lines (loop 2320 AMT*D)"
                )
    return reasons


def _zip(code: str) -> str:
    return code.replace("-", "")


class _Builder:
    """Collects one transaction's segments, cleaning free text for the chosen delimiters."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self.segments: list[Segment] = []
        self._clean = text_cleaner(delimiters)

    def text(self, value: str | None, limit: int) -> str:
        return self._clean(value or "")[:limit]

    def identifier(self, value: str | None, limit: int) -> str:
        return clean_identifier(value or "", self.delimiters)[:limit]

    def add(self, segment_id: str, *elements: str | tuple[str, ...]) -> None:
        self.segments.append(_segment(Segment, (segment_id, elements)))  # Segment(segment_id, elements), quicker

    def address(self, address: PostalAddress) -> None:
        street = (self.text(address.line1, 55),) + ((self.text(address.line2, 55),) if address.line2 else ())
        self.add("N3", *street)
        self.add("N4", self.text(address.city, 30), address.state, _zip(address.zip))

    def person_name(self, entity: str, person: Person, qualifier: str = "", identifier: str = "") -> None:
        self.add(
            "NM1",
            entity,
            "1",
            self.text(person.last_name, 60),
            self.text(person.first_name, 35),
            "",
            "",
            "",
            qualifier,
            identifier,
        )

    def party_name(self, entity: str, party: ClaimParty) -> None:
        kind = "1" if party.first_name else "2"
        self.add(
            "NM1",
            entity,
            kind,
            self.text(party.last_name_or_organization, 60),
            self.text(party.first_name, 35),
            "",
            "",
            "",
            "XX",
            party.npi,
        )

    def demographics(self, person: Person) -> None:
        self.add("DMG", "D8", ccyymmdd(person.birth_date), person.sex)


def _claim_filing_indicator(claim: Claim) -> str:
    # SBR09: the payer's dated parameter claims.filing_indicator, whose default comes from its payer type.
    return claim.payer.filing_indicator.value


def _write_claim(b: _Builder, claim: Claim, hl: int, parent_hl: int) -> int:
    """Loops 2000B/2010BA/2010BB (+2000C) and 2300/2400 for one claim; returns the last HL number used."""
    self_insured = claim.relationship == "self"
    b.add("HL", str(hl), str(parent_hl), "22", "1" if not self_insured else "0")
    b.add(
        "SBR",
        claim.payer_sequence,
        "18" if self_insured else "",
        b.text(claim.group_number, 50),
        "",
        "",
        "",
        "",
        "",
        _claim_filing_indicator(claim),
    )
    b.person_name("IL", claim.subscriber, "MI", b.identifier(claim.member_id, 80))
    if self_insured:
        if claim.subscriber.address:
            b.address(claim.subscriber.address)
        b.demographics(claim.subscriber)
    b.add(
        "NM1", "PR", "2", b.text(claim.payer.name, 60), "", "", "", "", "PI", b.text(claim.payer.payer_identifier, 80)
    )
    last_hl = hl
    if not self_insured:
        last_hl = hl + 1
        b.add("HL", str(last_hl), str(hl), "23", "0")
        b.add("PAT", RELATIONSHIP_CODES.get(claim.relationship, "G8"))
        b.person_name("QC", claim.patient)
        if claim.patient.address:
            b.address(claim.patient.address)
        b.demographics(claim.patient)

    # Loop 2300 claim information
    b.add(
        "CLM",
        b.text(claim.claim_id, 38),
        amount(claim.total_charge),
        "",
        "",
        (claim.place_of_service, "B", claim.frequency.value),
        "Y",
        "A",
        "Y",
        "Y",
    )
    if claim.frequency is not ClaimFrequency.ORIGINAL and claim.original_claim_number:
        b.add("REF", "F8", b.identifier(claim.original_claim_number, 50))
    if claim.prior_authorization:
        b.add("REF", "G1", b.identifier(claim.prior_authorization, 50))
    b.add("HI", *[("ABK" if i == 0 else "ABF", code) for i, code in enumerate(claim.diagnoses)])
    if claim.referring_provider:
        b.party_name("DN", claim.referring_provider)
    b.party_name("82", claim.rendering_provider)
    if claim.rendering_provider.taxonomy:
        b.add("PRV", "PE", "PXC", claim.rendering_provider.taxonomy)
    if claim.supervising_provider:
        b.party_name("DQ", claim.supervising_provider)
    for other in claim.other_payers:
        _write_other_payer(b, other)

    # Loop 2400 service lines
    for line in claim.lines:
        b.add("LX", str(line.line_number))
        b.add(
            "SV1",
            ("HC", line.code, *line.modifiers[:MAX_MODIFIERS]),
            amount(line.charge),
            "UN",
            str(line.units),
            line.place_of_service if line.place_of_service != claim.place_of_service else "",
            "",
            tuple(str(p) for p in line.diagnosis_pointers[:MAX_DIAGNOSIS_POINTERS]),
        )
        b.add("DTP", "472", "D8", ccyymmdd(line.service_date))
        for other in claim.other_payers:
            for answered in other.lines:
                if answered.line_number == line.line_number:
                    _write_line_adjudication(b, other, answered)
    return last_hl


def _write_other_payer(b: _Builder, other: OtherPayer) -> None:
    """Loop 2320 (the other subscriber's coverage and that payer's claim-level answer), 2330A (the other
    subscriber) and 2330B (the other payer, with the date it adjudicated the claim)."""
    self_insured = other.relationship == "self"
    b.add(
        "SBR",
        other.sequence,
        "18" if self_insured else RELATIONSHIP_CODES.get(other.relationship, "G8"),
        b.text(other.group_number, 50),
        "",
        "",
        "",
        "",
        "",
        other.filing_indicator.value,
    )
    b.segments.extend(cas_segments(other.adjustments))
    b.add("AMT", "D", amount(other.paid))  # payer paid amount
    b.add("AMT", "EAF", amount(other.patient_liability))  # remaining patient liability
    b.add("OI", "", "", "Y", "P", "", "Y")
    insured = other.subscriber
    b.add(
        "NM1",
        "IL",
        "1",
        b.text(insured.last_name, 60),
        b.text(insured.first_name, 35),
        "",
        "",
        "",
        "MI",
        b.identifier(other.member_id, 80),
    )
    b.add(
        "NM1", "PR", "2", b.text(other.payer_name, 60), "", "", "", "", "PI", b.identifier(other.payer_identifier, 80)
    )
    if other.adjudicated is not None:
        b.add("DTP", "573", "D8", ccyymmdd(other.adjudicated))  # claim check or remittance date


def _write_line_adjudication(b: _Builder, other: OtherPayer, line: OtherPayerLine) -> None:
    """Loop 2430: the other payer's decision on this line: paid, adjustments by group, date, what is left."""
    b.add(
        "SVD",
        b.identifier(other.payer_identifier, 80),
        amount(line.paid),
        ("HC", line.code, *line.modifiers[:MAX_MODIFIERS]),
        "",
        str(line.units),
    )
    b.segments.extend(cas_segments(line.adjustments))
    b.add("DTP", "573", "D8", ccyymmdd(line.adjudicated))
    b.add("AMT", "EAF", amount(line.patient_liability))


class RenderedClaim(NamedTuple):
    """One claim's 837P text, made apart from its batch (in a ``ptbill claim --jobs`` worker, say): the batch
    only numbers the HL segments, groups the claims by billing provider and adds the envelope.

    ``billing`` is loop 2000A after its HL (PRV, NM1*85, N3/N4, REF*EI), written once per billing provider
    and transaction set; ``subscriber`` is loop 2000B after its HL, and ``patient`` loop 2000C after its
    HL, or None when the subscriber is the patient (then ``subscriber`` runs on to the claim's end).
    ``segments`` counts those of ``subscriber`` and ``patient``. ``reasons`` says why the claim cannot be
    sent (``validate_claim``); a refused claim has no text.
    """

    claim_id: str
    payer_id: str
    billing_key: tuple[str, str]
    delimiters: Delimiters
    reasons: tuple[str, ...]
    billing: str = ""
    billing_segments: int = 0
    subscriber: str = ""
    patient: str | None = None
    segments: int = 0


def render_claim(
    claim: Claim,
    delimiters: Delimiters,
    encoder: SegmentEncoder | None = None,
    billing_texts: dict[tuple[ClaimParty, Delimiters], tuple[str, int]] | None = None,
) -> RenderedClaim:
    """The claim validated and, when it can be sent, written with ``delimiters`` (those of its receiver).
    ``billing_texts`` keeps each billing provider's loop 2000A text for the next claims it bills."""
    key = (claim.billing_provider.npi, claim.billing_provider.tax_id or "")
    reasons = tuple(validate_claim(claim))
    if reasons:
        return RenderedClaim(claim.claim_id, claim.payer.id, key, delimiters, reasons)
    encode_all = (encoder or SegmentEncoder(delimiters)).encode_all
    b = _Builder(delimiters)
    billing_texts = {} if billing_texts is None else billing_texts
    known = billing_texts.get((claim.billing_provider, delimiters))
    if known is None:
        _write_billing_provider(b, claim.billing_provider)
        known = billing_texts[claim.billing_provider, delimiters] = (encode_all(b.segments), len(b.segments))
        b.segments = []
    billing, billing_segments = known
    _write_claim(b, claim, 1, 0)  # HL numbers are the batch's: the HL segments are left out below
    segments = b.segments
    second = next((i for i in range(1, len(segments)) if segments[i].id == "HL"), None)
    if second is None:
        subscriber, patient = encode_all(segments[1:]), None
    else:
        subscriber = encode_all(segments[1:second])
        patient = encode_all(segments[second + 1 :])
    count = len(segments) - (1 if second is None else 2)
    return RenderedClaim(
        claim.claim_id, claim.payer.id, key, delimiters, (), billing, billing_segments, subscriber, patient, count
    )


def _write_billing_provider(b: _Builder, billing: ClaimParty) -> None:
    if billing.taxonomy:
        b.add("PRV", "BI", "PXC", billing.taxonomy)
    b.party_name("85", billing)
    if billing.address:
        b.address(billing.address)
    b.add("REF", "EI", billing.tax_id or "")


def _transaction_text(
    claims: Sequence[RenderedClaim], trading: Trading, control: int, batch_reference: str, created: datetime
) -> tuple[str, int, str]:
    """Loops 1000A/1000B and each billing provider's 2000A with its claims, HL numbered: the text from ST
    on, its segment count and ST02 (the SE is left to the envelope)."""
    delimiters = trading.delimiters
    b = _Builder(delimiters)
    b.segments.append(st("837", control, GUIDE))
    b.add("BHT", "0019", "00", b.text(batch_reference, 50), ccyymmdd(created.date()), hhmm(created), "CH")
    b.add("NM1", "41", "2", b.text(trading.submitter_name, 60), "", "", "", "", "46", trading.submitter_id)
    b.add("PER", "IC", b.text(trading.contact_name, 60), "TE", trading.contact_phone)
    b.add("NM1", "40", "2", b.text(trading.receiver_name, 60), "", "", "", "", "46", trading.receiver_id)
    pieces = [SegmentEncoder(delimiters).encode_all(b.segments)]
    count = len(b.segments)
    by_billing: dict[tuple[str, str], list[RenderedClaim]] = {}
    for claim in claims:
        by_billing.setdefault(claim.billing_key, []).append(claim)
    e, t = delimiters.element, delimiters.terminator
    hl = 0
    append = pieces.append
    for group in by_billing.values():
        hl += 1
        provider = hl
        append(f"HL{e}{provider}{e}{e}20{e}1{t}")
        append(group[0].billing)
        count += 1 + group[0].billing_segments
        for claim in group:
            hl += 1
            if claim.patient is None:
                append(f"HL{e}{hl}{e}{provider}{e}22{e}0{t}")
                append(claim.subscriber)
                count += 1 + claim.segments
            else:
                append(f"HL{e}{hl}{e}{provider}{e}22{e}1{t}")
                append(claim.subscriber)
                append(f"HL{e}{hl + 1}{e}{hl}{e}23{e}0{t}")
                append(claim.patient)
                hl += 1
                count += 2 + claim.segments
    return "".join(pieces), count, transaction_control_number(control)


def _parties(trading: Trading) -> Parties:
    return Parties(
        trading.submitter_id,
        trading.receiver_id,
        "HC",  # GS01: health care claim
        GUIDE,
        trading.sender_qualifier,
        trading.receiver_qualifier,
        trading.usage,
    )


def chunks(claims: Sequence[T], size: int = MAX_CLAIMS_PER_TRANSACTION) -> Iterator[Sequence[T]]:
    for start in range(0, len(claims), size):
        yield claims[start : start + size]


def write_batch(
    claims: Sequence[Claim],
    trading: Trading,
    numbers: ControlNumberSource,
    *,
    created: datetime,
    batch_reference: str | None = None,
    claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
) -> Batch:
    """One interchange holding every claim: one GS, as many ST/SE as 5,000-claim chunks need.

    ``created`` is the batch's creation time (ISA09/10, GS04/05, BHT04/05): the caller reads its clock.
    """
    used, pieces = stream_batch(
        claims,
        trading,
        numbers,
        created=created,
        batch_reference=batch_reference,
        claims_per_transaction=claims_per_transaction,
    )
    return Batch("".join(pieces), used, len(claims))


def stream_batch(
    claims: Sequence[Claim] | Sequence[RenderedClaim],
    trading: Trading,
    numbers: ControlNumberSource,
    *,
    created: datetime,
    batch_reference: str | None = None,
    claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
) -> tuple[ControlNumbersUsed, Iterator[str]]:
    """``write_batch`` one transaction set at a time: every claim is validated and the control numbers
    taken before this returns (so nothing is written for a batch that would be refused); the text then
    comes in pieces, ISA/GS, each ST..SE, GE/IEA, for the caller to write as they come. The claims may
    come as ``render_claim`` wrote them, with this partner's delimiters."""
    if not claims:
        raise ClaimRejectedError("(batch)", ["a batch needs at least one claim"])
    if not 1 <= claims_per_transaction <= MAX_CLAIMS_PER_TRANSACTION:
        raise ValueError(f"claims_per_transaction must be 1..{MAX_CLAIMS_PER_TRANSACTION}")
    rendered = [claim for claim in claims if isinstance(claim, RenderedClaim)]
    if len(rendered) != len(claims):
        values = [claim for claim in claims if isinstance(claim, Claim)]
        for value in values:
            reasons = validate_claim(value)
            if reasons:
                raise ClaimRejectedError(value.claim_id, reasons)
        encoder = SegmentEncoder(trading.delimiters)
        billing_texts: dict[tuple[ClaimParty, Delimiters], tuple[str, int]] = {}
        rendered = [render_claim(value, trading.delimiters, encoder, billing_texts) for value in values]
    for claim in rendered:
        if claim.reasons:
            raise ClaimRejectedError(claim.claim_id, list(claim.reasons))
        if claim.delimiters != trading.delimiters:
            raise ClaimRejectedError(
                claim.claim_id,
                [f"its payer {claim.payer_id} names other delimiters than the payers sharing its receiver"],
            )
    parts = list(chunks(rendered, claims_per_transaction))
    interchange = numbers.next("interchange")
    group = numbers.next("group")
    first_transaction = numbers.next("transaction", len(parts))
    transactions = tuple(range(first_transaction, first_transaction + len(parts)))
    pieces = stream_interchange_texts(
        _parties(trading),
        trading.delimiters,
        created,
        interchange,
        group,
        (
            _transaction_text(part, trading, control, batch_reference or f"{interchange}-{offset + 1}", created)
            for offset, (control, part) in enumerate(zip(transactions, parts, strict=True))
        ),
    )
    return ControlNumbersUsed(interchange, (group,), transactions), _without_collection(pieces)


def _without_collection(pieces: Iterator[str]) -> Iterator[str]:
    """Writing creates hundreds of thousands of short-lived strings and tuples and no reference cycles;
    the cycle collector would only rescan the caller's heap over and over (a third of the time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield from pieces
    finally:
        if collecting:
            gc.enable()
