"""Reads X12 837P 005010X222A1 claims back into ``Claim`` objects, with every problem found on the way.

Source: the X222A1 TR3 loops (1000A/B; 2000A/2010AA-AC; 2000B/2010BA-BB; 2000C/2010CA; 2300/2310A-F,
2320/2330A-G; 2400/2410, 2420A-H, 2430, 2440) and the CMS-1500 mapping of Claims Processing Manual ch.26.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar, cast

from ptbill.claims.x12_837p import GUIDE
from ptbill.claims.x12_837p.cob_reader import CobReadError, other_payers
from ptbill.claims.x12_837p.loops import SPECS, TRANSACTION_LOOP, Loop, TreeBuilder, subtree_problems
from ptbill.domain.claim import (
    Claim,
    ClaimFrequency,
    ClaimParty,
    ClaimPayer,
    OtherPayer,
    Person,
    PostalAddress,
    ServiceLine,
)
from ptbill.domain.identifiers import bounded_int, is_ascii_digits
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.envelope import EnvelopeIds, EnvelopeReader, Transaction
from ptbill.x12.errors import (
    X12ElementError,
    X12EnvelopeError,
    X12Error,
    X12MappingError,
    clip,
)
from ptbill.x12.reader import DEFAULT_CHUNK_SIZE, ReadSegment, Source
from ptbill.x12.syntax import Segment

GUIDE_FAMILY = "005010X222"  # X222A1 is HIPAA's; X222/X222A2 files are read the same way, with a note
T = TypeVar("T")


PRINCIPAL_DIAGNOSIS = {"ABK": "ICD-10-CM", "BK": "ICD-9-CM"}  # HI01-1
OTHER_DIAGNOSIS = {"ABF": "ICD-10-CM", "BF": "ICD-9-CM"}  # HI02-1 .. HI12-1
DIAGNOSIS_QUALIFIERS = {**PRINCIPAL_DIAGNOSIS, **OTHER_DIAGNOSIS}
SELF = "18"  # SBR02 individual relationship code: the subscriber is the patient
PATIENT_RELATIONSHIP = {"01": "spouse", "19": "child"}  # PAT01; every other code reads as "other"
NPI_QUALIFIER = "XX"  # NM108 for a Centers for Medicare & Medicaid Services National Provider Identifier
TAXONOMY_QUALIFIER = "PXC"  # PRV02 health care provider taxonomy code
SERVICE_DATE = "472"  # DTP01 in 2400
PROCEDURE_CODE = re.compile(r"[A-Z0-9]{5}")
AMOUNT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
MAX_AMOUNT_LENGTH = 18  # X12 data type R: at most 18 characters (SV102, CLM02), 15 for SV104
MAX_LINE_NUMBER_DIGITS = 6  # LX01 is N0 1/6
MAX_DIAGNOSES = 12


# --- the results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedClaim:
    """One 2300 claim as read: the ``Claim`` when everything it needs is there, else None.

    ``lines`` and ``diagnoses`` hold what could be read even when ``claim`` is None. When ``claim``
    is None, ``problems`` holds at least one X12MappingError saying what was missing.
    """

    claim_id: str  # CLM01 patient control number
    segment_number: int  # the CLM's position in the file
    envelope: EnvelopeIds
    claim: Claim | None
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[str, ...]
    diagnosis_code_set: str  # ICD-10-CM (ABK/ABF qualifiers), ICD-9-CM (BK/BF), or '' when there is no HI
    problems: tuple[X12Error, ...]
    loop: Loop = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.claim is not None and not self.problems


@dataclass(frozen=True, slots=True)
class ClaimTransaction:
    """One 837P ST..SE: its claims, its loop tree, and the problems not tied to one claim."""

    envelope: EnvelopeIds
    transaction: Transaction = field(repr=False)
    hierarchy: Loop = field(repr=False)
    claims: tuple[ParsedClaim, ...]
    problems: tuple[X12Error, ...]  # envelope problems of this ST..SE and loop problems outside any 2300

    def all_problems(self) -> list[X12Error]:
        """This transaction's problems, its claims', and its interchange's and group's known so far, in file order."""
        seen: set[int] = set()
        found: list[X12Error] = []
        for problem in (
            *self.transaction.envelope_problems,
            *self.problems,
            *(p for c in self.claims for p in c.problems),
        ):
            if id(problem) not in seen:
                seen.add(id(problem))
                found.append(problem)
        return sorted(found, key=lambda p: p.segment_number or 0)


# --- reading values --------------------------------------------------------------------------------------


class _Notes:
    """Problems found while mapping one claim, and the few the whole claim cannot do without."""

    def __init__(self) -> None:
        self.problems: list[X12Error] = []
        self.blocking = False

    def add(self, problem: X12Error) -> None:
        self.problems.append(problem)

    def block(self, read: ReadSegment | None, loop: Loop, detail: str) -> None:
        """Something the Claim needs is missing: the claim is still reported, without a Claim."""
        where = read or loop.start
        self.problems.append(X12MappingError(where.number, where.id, detail))
        self.blocking = True


def _filing_indicator(sbr: Segment, payer: ReadSegment, notes: _Notes) -> ClaimFilingIndicator:
    """SBR09 claim filing indicator; a code outside the list is reported and read as mutually defined (ZZ)."""
    code = sbr.element(9)
    try:
        return ClaimFilingIndicator(code)
    except ValueError:
        notes.add(X12ElementError(payer.number, "SBR", f"SBR09 claim filing indicator {clip(code)!r} is not a code"))
        return ClaimFilingIndicator.MUTUALLY_DEFINED


def _date(text: str, read: ReadSegment, what: str, notes: _Notes) -> date | None:
    if len(text) == 8 and is_ascii_digits(text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    notes.add(X12ElementError(read.number, read.id, f"{what} {clip(text)!r} is not a date (CCYYMMDD)"))
    return None


def _amount(text: str, read: ReadSegment, what: str, notes: _Notes) -> Decimal | None:
    if len(text) <= MAX_AMOUNT_LENGTH and AMOUNT.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    too_long = f" (longer than {MAX_AMOUNT_LENGTH} characters)" if len(text) > MAX_AMOUNT_LENGTH else ""
    notes.add(X12ElementError(read.number, read.id, f"{what} {clip(text)!r} is not an amount{too_long}"))
    return None


def _address(loop: Loop) -> PostalAddress | None:
    street, place = loop.first("N3"), loop.first("N4")
    if street is None or place is None:
        return None  # the loop check reports a half address
    n3, n4 = street.segment, place.segment
    return PostalAddress(
        line1=n3.element(1), line2=n3.element(2) or None, city=n4.element(1), state=n4.element(2), zip=n4.element(3)
    )


def _name(nm1: Segment) -> str:
    return " ".join(part for part in (nm1.element(4), nm1.element(3)) if part) or "(no name)"


def _party(
    loop: Loop, role: str, notes: _Notes, *, taxonomy_qualifier: str | None = None, required: bool = True
) -> ClaimParty | None:
    """A provider from an NM1 loop (2010AA, 2310A/B/D): name, NPI, and what else the loop gives."""
    read = loop.start
    nm1 = read.segment
    npi = nm1.element(9) if nm1.element(8) == NPI_QUALIFIER else ""  # NM108 id code qualifier, NM109 the id
    if not nm1.element(3):
        notes.add(X12ElementError(read.number, "NM1", f"NM103 the {role}'s last or organization name is empty"))
    if not npi:
        detail = f"the {role} {_name(nm1)} has no NPI (NM108 XX with NM109), and a Claim names every provider by NPI"
        if required:
            notes.block(read, loop, detail)
        else:
            notes.add(X12MappingError(read.number, "NM1", f"{detail}; left out"))
        return None
    person = nm1.element(2) == "1"  # NM102 entity type: 1 person, 2 organization
    taxonomy = None
    if taxonomy_qualifier is not None:
        taxonomy_host = loop.parent if loop.id == "2010AA" and loop.parent is not None else loop
        prv = taxonomy_host.first("PRV", taxonomy_qualifier)  # PRV01 BI billing / PE performing
        if prv is not None and prv.segment.element(2) == TAXONOMY_QUALIFIER:
            taxonomy = prv.segment.element(3)
    tax = loop.first("REF", "EI") or loop.first("REF", "SY")  # employer id number, or social security number
    return ClaimParty(
        last_name_or_organization=nm1.element(3),
        npi=npi,
        first_name=(nm1.element(4) or None) if person else None,
        tax_id=tax.segment.element(2) if tax is not None else None,
        address=_address(loop),
        taxonomy=taxonomy,
    )


def _person(loop: Loop, role: str, notes: _Notes, why_dmg: str = "") -> Person | None:
    """The subscriber (2010BA) or patient (2010CA): name and, from DMG, birth date and sex."""
    read = loop.start
    nm1 = read.segment
    dmg = loop.first("DMG")
    if dmg is None:
        notes.block(
            read,
            loop,
            f"the {role} {_name(nm1)} has no DMG{why_dmg}, and a Claim needs the {role}'s birth date and sex",
        )
        return None
    if dmg.segment.element(1) != "D8":
        notes.add(X12ElementError(dmg.number, "DMG", f"DMG01 {dmg.segment.element(1)!r} must be D8 (CCYYMMDD)"))
    born = _date(dmg.segment.element(2), dmg, "DMG02 birth date", notes)
    sex = dmg.segment.element(3)
    if sex not in ("F", "M", "U"):
        notes.add(X12ElementError(dmg.number, "DMG", f"DMG03 sex {sex!r} must be F, M or U"))
    if born is None:
        notes.block(dmg, loop, f"the {role}'s birth date cannot be read")
        return None
    return Person(first_name=nm1.element(4), last_name=nm1.element(3), birth_date=born, sex=sex, address=_address(loop))


def _diagnoses(claim_loop: Loop, notes: _Notes) -> tuple[tuple[str, ...], str]:
    """HI01-HI12 codes, principal first, without qualifiers or dots; and the code set their qualifiers name."""
    hi = next(
        (
            r
            for r in claim_loop.all("HI")
            if r.segment.component(1, 1) in DIAGNOSIS_QUALIFIERS or r.segment.element(1) in DIAGNOSIS_QUALIFIERS
        ),
        None,
    )
    if hi is None:
        return (), ""  # the loop check reports a 2300 without HI
    elements = hi.segment.elements
    pairs: list[tuple[int, str, str]] = []
    index = 0
    while index < len(elements):
        value = elements[index]
        label = f"HI{index + 1:02d}"
        if isinstance(value, tuple):
            pairs.append((index + 1, value[0], value[1] if len(value) > 1 else ""))
        elif (
            value in DIAGNOSIS_QUALIFIERS
            and index + 1 < len(elements)
            and isinstance(elements[index + 1], str)
            and elements[index + 1] not in DIAGNOSIS_QUALIFIERS
            and elements[index + 1]
        ):
            code = str(elements[index + 1])
            notes.add(
                X12ElementError(
                    hi.number,
                    "HI",
                    f"{label} is {value!r} alone and {index + 2:02d} is {code!r}: a qualifier and its "
                    f"code are one composite ('{value}:{code}'); read them as one",
                )
            )
            pairs.append((index + 1, value, code))
            index += 1
        elif value:
            notes.add(X12ElementError(hi.number, "HI", f"{label} {value!r} has no qualifier; left out"))
        index += 1
    codes: list[str] = []
    code_sets: set[str] = set()
    for position, qualifier, code in pairs:
        expected = PRINCIPAL_DIAGNOSIS if not codes else OTHER_DIAGNOSIS
        if qualifier not in expected:
            notes.add(
                X12ElementError(
                    hi.number, "HI", f"HI{position:02d} qualifier {qualifier!r} should be one of {', '.join(expected)}"
                )
            )
        code_sets.add(DIAGNOSIS_QUALIFIERS.get(qualifier, ""))
        if not code:
            notes.add(X12ElementError(hi.number, "HI", f"HI{position:02d} has a qualifier but no code"))
            continue
        if "." in code:
            notes.add(
                X12ElementError(
                    hi.number,
                    "HI",
                    f"HI{position:02d} {code!r} holds a decimal point; X12 sends diagnosis codes without it",
                )
            )
        codes.append(code.replace(".", ""))
    if len(codes) > MAX_DIAGNOSES:
        notes.add(X12ElementError(hi.number, "HI", f"{len(codes)} diagnoses; an 837P claim holds at most 12"))
    code_sets.discard("")
    return tuple(codes), " + ".join(sorted(code_sets))


def _pointers(sv1: ReadSegment, diagnosis_count: int, notes: _Notes) -> tuple[int, ...]:
    value = sv1.segment.elements[6] if len(sv1.segment.elements) >= 7 else ""
    parts = (value,) if isinstance(value, str) else value
    pointers: list[int] = []
    for part in parts:
        if not part:
            continue
        pointer = bounded_int(part, 2)
        if pointer is None or not 1 <= pointer <= MAX_DIAGNOSES:
            notes.add(X12ElementError(sv1.number, "SV1", f"SV107 diagnosis pointer {clip(part)!r} must be 1 to 12"))
            continue
        if pointer > diagnosis_count:
            notes.add(
                X12ElementError(sv1.number, "SV1", f"SV107 points to diagnosis {part}, but HI holds {diagnosis_count}")
            )
        pointers.append(pointer)
    if not pointers:
        notes.add(X12ElementError(sv1.number, "SV1", "SV107 points to no diagnosis (SV107-1 is required)"))
    return tuple(pointers)


def _service_date(line_loop: Loop, notes: _Notes) -> date | None:
    dtp = line_loop.first("DTP", SERVICE_DATE)
    if dtp is None:
        return None
    form, text = dtp.segment.element(2), dtp.segment.element(3)  # DTP02 format qualifier, DTP03 the date
    if form == "D8":
        return _date(text, dtp, "DTP03 service date", notes)
    if form == "RD8":
        first, _, last = text.partition("-")
        start = _date(first, dtp, "DTP03 service period start", notes)
        end = _date(last, dtp, "DTP03 service period end", notes)
        if start is not None and end is not None and end != start:
            notes.add(
                X12MappingError(
                    dtp.number,
                    "DTP",
                    f"service period {start}..{end} (RD8): a ServiceLine holds one date, kept {start}",
                )
            )
        return start
    notes.add(X12ElementError(dtp.number, "DTP", f"DTP02 {form!r} must be D8 (a date) or RD8 (a period)"))
    return None


def _line(line_loop: Loop, claim_place: str, diagnosis_count: int, notes: _Notes) -> ServiceLine | None:
    """One 2400 service line (LX, SV1, DTP*472); None, with the reason noted, when it cannot be built."""
    lx = line_loop.start
    number_text = lx.segment.element(1)
    line_number = bounded_int(number_text, MAX_LINE_NUMBER_DIGITS)
    if line_number is None:
        detail = f"LX01 line number {clip(number_text)!r} is not a number of 1 to {MAX_LINE_NUMBER_DIGITS} digits"
        notes.add(X12ElementError(lx.number, "LX", detail))
        line_number = 0
    sv1 = line_loop.first("SV1")
    if sv1 is None:
        notes.block(lx, line_loop, f"service line {clip(number_text)} has no SV1 (professional service)")
        return None
    segment = sv1.segment
    procedure = segment.elements[0] if segment.elements else ""  # SV101 composite medical procedure identifier
    parts = (procedure,) if isinstance(procedure, str) else procedure
    qualifier = parts[0]  # SV101-1 product/service id qualifier
    code = parts[1] if len(parts) > 1 else ""  # SV101-2
    if qualifier != "HC":
        notes.add(X12ElementError(sv1.number, "SV1", f"SV101-1 is {qualifier!r}; an 837P line is coded HC (CPT/HCPCS)"))
    if code and not PROCEDURE_CODE.fullmatch(code):
        notes.add(X12ElementError(sv1.number, "SV1", f"SV101-2 {code!r} is not a 5-character CPT/HCPCS code"))
    modifiers = tuple(m for m in parts[2:6] if m)  # SV101-3 .. SV101-6
    description = (parts[6] if len(parts) > 6 else "") or None  # SV101-7
    charge = _amount(segment.element(2), sv1, "SV102 line charge", notes) if segment.element(2) else None
    basis, quantity = segment.element(3), segment.element(4)  # SV103 unit basis, SV104 quantity
    if basis == "MJ":
        notes.add(
            X12MappingError(
                sv1.number,
                "SV1",
                f"SV103 is MJ (minutes): units holds the {clip(quantity)} minutes as sent, not service units",
            )
        )
    elif basis != "UN":
        notes.add(X12ElementError(sv1.number, "SV1", f"SV103 unit basis {basis!r} must be UN (units) or MJ (minutes)"))
    units = _amount(quantity, sv1, "SV104 quantity", notes) if quantity else None
    whole_units = int(units) if units is not None and units == units.to_integral_value() else None
    if units is not None and whole_units is None:
        notes.block(sv1, line_loop, f"SV104 quantity {clip(quantity)} is not a whole number, and ServiceLine.units is")
    pointers = _pointers(sv1, diagnosis_count, notes)
    served = _service_date(line_loop, notes)
    missing = [
        what
        for what, absent in (
            ("SV101-2 procedure code", not code),
            ("SV102 charge", charge is None),
            ("SV104 units", units is None),
            ("DTP*472 service date", served is None),
        )
        if absent
    ]
    if missing:
        notes.block(sv1, line_loop, f"service line {number_text} has no usable {', '.join(missing)}")
    if missing or whole_units is None or charge is None or served is None:
        return None
    return ServiceLine(
        line_number=line_number,
        code=code,
        modifiers=modifiers,
        units=whole_units,
        charge=charge,
        diagnosis_pointers=pointers,
        service_date=served,
        place_of_service=segment.element(5) or claim_place,  # SV105 only when it differs from CLM05-1
        description=description,
    )


@dataclass
class _Cached:
    value: object
    problems: list[X12Error]
    blocking: bool


class _ClaimMapper:
    """Maps each 2300 loop of one transaction; parties shared by many claims are read once."""

    def __init__(self, root: Loop, envelope: EnvelopeIds) -> None:
        self.root = root
        self.envelope = envelope
        self.cache: dict[tuple[int, str], _Cached] = {}
        self.notes = _Notes()  # problems of the transaction as a whole, found while mapping
        bht = root.first("BHT")
        self.created: date | None = None
        if bht is not None and bht.segment.element(4):
            self.created = _date(bht.segment.element(4), bht, "BHT04 creation date", self.notes)

    def _shared(self, loop: Loop, key: str, notes: _Notes, build: Callable[[_Notes], T]) -> T:
        """Build once per loop; every claim using it carries the same problems (deduplicated by identity)."""
        cache_key = (id(loop), key)
        cached = self.cache.get(cache_key)
        if cached is None:
            scratch = _Notes()
            cached = _Cached(build(scratch), scratch.problems, scratch.blocking)
            self.cache[cache_key] = cached
        notes.problems.extend(cached.problems)
        notes.blocking = notes.blocking or cached.blocking
        return cast(T, cached.value)

    def billing_provider(self, claim_loop: Loop, notes: _Notes) -> ClaimParty | None:
        provider_hl = claim_loop.ancestor("2000A")
        name_loop = provider_hl.child("2010AA") if provider_hl is not None else None
        if provider_hl is None or name_loop is None:
            notes.block(
                None,
                claim_loop,
                "no billing provider: the claim's 2000A has no 2010AA (NM1*85)"
                if provider_hl is not None
                else "no billing provider: the claim is under no 2000A HL",
            )
            return None
        return self._shared(
            name_loop, "billing", notes, lambda n: _party(name_loop, "billing provider", n, taxonomy_qualifier="BI")
        )

    def map(self, claim_loop: Loop) -> ParsedClaim:
        notes = _Notes()
        clm = claim_loop.start
        segment = clm.segment
        claim_id = segment.element(1)
        if not claim_id:
            notes.add(X12ElementError(clm.number, "CLM", "CLM01 patient control number is empty"))

        billing = self.billing_provider(claim_loop, notes)
        subscriber_hl, patient_hl = self._hls(claim_loop)
        subscriber, member_id, payer, group_number, relationship, patient = self._coverage(
            claim_loop, subscriber_hl, patient_hl, notes
        )

        place = segment.component(5, 1)  # CLM05-1 place of service
        frequency_code = segment.component(5, 3)  # CLM05-3 claim frequency type
        if not place:
            notes.block(clm, claim_loop, "CLM05-1 place of service is empty")
        frequency: ClaimFrequency | None = None
        try:
            frequency = ClaimFrequency(frequency_code)
        except ValueError:
            notes.block(
                clm,
                claim_loop,
                f"CLM05-3 frequency {frequency_code!r} is not one a Claim holds (1 original, 7 replacement, 8 void)",
            )
        original = claim_loop.first("REF", "F8")  # payer claim control number
        prior_auth = claim_loop.first("REF", "G1")
        record = claim_loop.first("REF", "EA")  # medical record number
        if frequency in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID) and original is None:
            notes.add(
                X12ElementError(
                    clm.number,
                    "CLM",
                    f"CLM05-3 is {frequency_code} but there is no REF*F8 with the payer's original claim number",
                )
            )

        diagnoses, code_set = _diagnoses(claim_loop, notes)
        rendering = billing
        rendering_loop = claim_loop.child("2310B")
        if rendering_loop is not None:
            rendering = _party(rendering_loop, "rendering provider", notes, taxonomy_qualifier="PE")
        referring_loop = claim_loop.child("2310A", "DN")  # P3 (primary care provider) is not kept
        referring = _party(referring_loop, "referring provider", notes, required=False) if referring_loop else None
        supervising_loop = claim_loop.child("2310D")
        supervising = (
            _party(supervising_loop, "supervising provider", notes, required=False) if supervising_loop else None
        )

        lines: list[ServiceLine] = []
        line_loops = claim_loop.children_with("2400")
        for line_loop in line_loops:
            line = _line(line_loop, place, len(diagnoses), notes)
            if line is not None:
                lines.append(line)
            rendered_by = line_loop.child("2420A")
            if rendered_by is not None:
                notes.add(
                    X12MappingError(
                        rendered_by.start.number,
                        "NM1",
                        f"line {line_loop.start.segment.element(1)} has its own "
                        "rendering provider (2420A); a ServiceLine does not keep one",
                    )
                )
        if not line_loops:
            notes.block(clm, claim_loop, "the claim has no service line (2400)")
        self._check_total(clm, lines, len(lines) == len(line_loops), notes)

        sequence, others = self._cob(claim_loop, subscriber_hl, line_loops, lines, notes)
        claim: Claim | None = None
        complete = (
            billing is not None
            and rendering is not None
            and subscriber is not None
            and patient is not None
            and payer is not None
            and frequency is not None
            and bool(lines)
        )
        if not notes.blocking and not complete:
            notes.block(clm, claim_loop, "the claim is incomplete")  # each missing part was noted where it was read
        if (
            not notes.blocking
            and billing is not None
            and rendering is not None
            and subscriber is not None
            and patient is not None
            and payer is not None
            and frequency is not None
        ):
            claim = Claim(
                claim_id=claim_id,
                encounter_id=claim_id,  # the 837P carries no encounter id; ptbill writes it as CLM01 by default
                payer=payer,
                billing_provider=billing,
                rendering_provider=rendering,
                patient=patient,
                subscriber=subscriber,
                relationship=relationship,
                member_id=member_id,
                group_number=group_number,
                diagnoses=diagnoses,
                lines=tuple(lines),
                place_of_service=place,
                service_date=min(line.service_date for line in lines),
                referring_provider=referring,
                supervising_provider=supervising,
                prior_authorization=prior_auth.segment.element(2) if prior_auth else None,
                frequency=frequency,
                original_claim_number=original.segment.element(2) if original else None,
                patient_account=record.segment.element(2) if record else None,
                created=self.created,
                notes=tuple(r.segment.element(2) for r in claim_loop.all("NTE")),
                payer_sequence=sequence,
                other_payers=others,
            )
        problems = subtree_problems(claim_loop) + notes.problems
        problems.sort(key=lambda p: p.segment_number or 0)
        return ParsedClaim(
            claim_id=claim_id,
            segment_number=clm.number,
            envelope=self.envelope,
            claim=claim,
            lines=tuple(lines),
            diagnoses=diagnoses,
            diagnosis_code_set=code_set,
            problems=tuple(problems),
            loop=claim_loop,
        )

    @staticmethod
    def _cob(
        claim_loop: Loop,
        subscriber_hl: Loop | None,
        line_loops: list[Loop],
        lines: list[ServiceLine],
        notes: _Notes,
    ) -> tuple[str, tuple[OtherPayer, ...]]:
        """SBR01 (the payer's place: P, S or T) and the earlier payers' answers (2320/2330A/2330B/2430)."""
        sbr = subscriber_hl.first("SBR") if subscriber_hl is not None else None
        sequence = sbr.segment.element(1) if sbr is not None and sbr.segment.element(1) in ("P", "S", "T") else "P"
        try:
            return sequence, other_payers(claim_loop, line_loops, lines)
        except CobReadError as exc:
            notes.add(X12MappingError(exc.segment_number, "SBR", f"other payer (2320): {exc}"))
            return sequence, ()

    @staticmethod
    def _hls(claim_loop: Loop) -> tuple[Loop | None, Loop | None]:
        parent = claim_loop.parent
        if parent is not None and parent.id == "2000C":
            return claim_loop.ancestor("2000B"), parent
        if parent is not None and parent.id == "2000B":
            return parent, None
        return claim_loop.ancestor("2000B"), None

    def _coverage(
        self, claim_loop: Loop, subscriber_hl: Loop | None, patient_hl: Loop | None, notes: _Notes
    ) -> tuple[Person | None, str, ClaimPayer | None, str | None, str, Person | None]:
        """Subscriber, member id, payer, group number, relationship and patient (2000B/2010BA/2010BB/2000C)."""
        if subscriber_hl is None:
            notes.block(None, claim_loop, "no subscriber: the claim is under no subscriber HL (2000B)")
            return None, "", None, None, "self", None
        sbr = subscriber_hl.first("SBR")
        sbr_segment = sbr.segment if sbr is not None else Segment("SBR", ())
        group_number = sbr_segment.element(3) or None  # SBR03 group or policy number
        subscriber_loop = subscriber_hl.child("2010BA")
        subscriber: Person | None = None
        member_id = ""
        if subscriber_loop is None:
            notes.block(None, subscriber_hl, "no subscriber: the 2000B has no 2010BA (NM1*IL)")
        else:
            nm1 = subscriber_loop.start
            member_id = nm1.segment.element(9)  # NM109 member id (NM108 MI)
            if not member_id:
                notes.block(nm1, subscriber_loop, "the subscriber has no member id (NM109)")
            why = " (the TR3 sends it only when the subscriber is the patient)" if patient_hl else ""
            subscriber = self._shared(
                subscriber_loop, "subscriber", notes, lambda n: _person(subscriber_loop, "subscriber", n, why)
            )
        payer = self._payer(subscriber_hl, sbr_segment, notes)
        if patient_hl is None:
            if sbr is not None and sbr_segment.element(2) != SELF:
                notes.add(
                    X12ElementError(
                        sbr.number,
                        "SBR",
                        f"SBR02 is {sbr_segment.element(2)!r} but there is no patient HL (2000C): "
                        "when the subscriber is the patient SBR02 is 18",
                    )
                )
            return subscriber, member_id, payer, group_number, "self", subscriber
        pat = patient_hl.first("PAT")
        relationship = PATIENT_RELATIONSHIP.get(pat.segment.element(1), "other") if pat is not None else "other"
        patient_loop = patient_hl.child("2010CA")
        patient: Person | None = None
        if patient_loop is None:
            notes.block(None, patient_hl, "no patient: the 2000C has no 2010CA (NM1*QC)")
        else:
            patient = self._shared(patient_loop, "patient", notes, lambda n: _person(patient_loop, "patient", n))
        return subscriber, member_id, payer, group_number, relationship, patient

    def _payer(self, subscriber_hl: Loop, sbr: Segment, notes: _Notes) -> ClaimPayer | None:
        payer_loop = subscriber_hl.child("2010BB")
        if payer_loop is None:
            notes.block(None, subscriber_hl, "no payer: the 2000B has no 2010BB (NM1*PR)")
            return None
        nm1 = payer_loop.start
        identifier = nm1.segment.element(9)  # NM109 payer id (NM108 PI, or XV for a CMS plan id)
        if not identifier:
            notes.block(nm1, payer_loop, "the payer has no id (NM109)")
            return None
        return ClaimPayer(
            id=identifier,  # the 837P carries no ptbill payer id; the clearinghouse's payer id stands in
            name=nm1.segment.element(3),
            payer_identifier=identifier,
            filing_indicator=_filing_indicator(sbr, nm1, notes),
            address=_address(payer_loop),
        )

    @staticmethod
    def _check_total(clm: ReadSegment, lines: list[ServiceLine], complete: bool, notes: _Notes) -> None:
        text = clm.segment.element(2)  # CLM02 total claim charge
        total = _amount(text, clm, "CLM02 total charge", notes) if text else None
        if not text:
            notes.add(X12ElementError(clm.number, "CLM", "CLM02 total charge is empty"))
        if total is not None and complete and lines:
            lines_total = sum((line.charge for line in lines), Decimal("0"))
            if total != lines_total:
                notes.add(
                    X12ElementError(
                        clm.number,
                        "CLM",
                        f"CLM02 total charge {text} differs from the lines' SV102 total {lines_total}",
                    )
                )


# --- reading a file --------------------------------------------------------------------------------------


def _transaction_problems(transaction: Transaction, root: Loop) -> list[X12Error]:
    found = list(transaction.problems)
    stack = [root]
    while stack:
        loop = stack.pop()
        if loop.id == "2300":
            continue  # a claim's own problems travel with the claim
        found.extend(loop.problems)
        stack.extend(loop.children)
    found.sort(key=lambda p: p.segment_number or 0)
    return found


def _check_guide(transaction: Transaction) -> X12Error | None:
    header = transaction.header
    if transaction.transaction_set_id != "837":
        return X12EnvelopeError(
            header.number, "ST", f"ST01 is {transaction.transaction_set_id!r}; this reader reads 837 claims"
        )
    guide = transaction.implementation
    if not guide.startswith(GUIDE_FAMILY):
        return X12EnvelopeError(header.number, "ST", f"the implementation guide is {guide!r}, not the 837P {GUIDE}")
    return None


def read_transaction(transaction: Transaction) -> ClaimTransaction:
    """The loop tree and claims of one ST..SE already read by the envelope reader."""
    envelope = transaction.ids
    wrong_guide = _check_guide(transaction)
    if wrong_guide is not None:
        root = Loop(SPECS[TRANSACTION_LOOP], list(transaction.segments))
        return ClaimTransaction(envelope, transaction, root, (), (*transaction.problems, wrong_guide))
    builder = TreeBuilder(transaction)
    root = builder.root
    problems = _transaction_problems(transaction, root)
    if transaction.implementation != GUIDE:
        problems.insert(
            0,
            X12EnvelopeError(
                transaction.header.number,
                "ST",
                f"the implementation guide is {transaction.implementation!r}; HIPAA "
                f"names {GUIDE}, which is how it was read",
            ),
        )
    mapper = _ClaimMapper(root, envelope)
    claims = tuple(mapper.map(loop) for loop in builder.claims)
    problems.extend(mapper.notes.problems)
    problems.sort(key=lambda p: p.segment_number or 0)
    return ClaimTransaction(envelope, transaction, root, claims, tuple(problems))


def read_837p(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ClaimTransaction]:
    """Each 837P transaction set of ``source`` with its claims mapped, one ST..SE in memory at a time.

    Raises only :class:`~ptbill.x12.errors.X12SyntaxError` (the file cannot be read as X12); any
    other problem is in the results. Interchange and group problems found at GE/IEA are on
    ``transaction.envelope_problems`` once the file has been read to the end.
    """
    for transaction in EnvelopeReader(source, chunk_size=chunk_size):
        yield read_transaction(transaction)


def read_claims(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ParsedClaim]:
    """Every claim of every 837P transaction set in ``source``, in file order."""
    for transaction in read_837p(source, chunk_size=chunk_size):
        yield from transaction.claims
