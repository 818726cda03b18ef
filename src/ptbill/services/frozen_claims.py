"""Claims are built once and frozen: what a claim says is stored when it is built, with the fingerprint of
the rules and reference data that built it, and every later export (837P, CMS-1500, FHIR) reads that.

A corrected claim (frequency 7) is a new frozen claim, built from the note with the rules and the clinic's
values in force when it is made, that points at the claim it replaces and names the payer's claim number.
A claim built before migration 0005_frozen is built on its first export and frozen then.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.claims.stored import claim_from_json, claim_to_json
from ptbill.domain.claim import Claim, ClaimFrequency
from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.finding import Verdict
from ptbill.domain.status import ClaimState
from ptbill.domain.vocabulary import BILLERS
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.reference.fingerprint import fingerprint
from ptbill.rules.engine import RULESET_VERSION

# billing.py, which builds and exports claims, imports this module inside its functions.
from ptbill.services.access import Actor, ConflictError, require_role
from ptbill.services.addenda import note_version
from ptbill.services.audit import audit
from ptbill.services.billing import ClaimRecord, claim_record, claim_row
from ptbill.services.notes import check_for_clinic, encounter_of
from ptbill.services.payers import clinic_layer
from ptbill.storage.tables import ClaimLineRow, ClaimRow

MAX_CONTROL_NUMBER = 38  # the patient control number's column (and the note id it comes from)
MAX_PAYER_CLAIM_NUMBER = 50  # the original claim number's column


def current_fingerprint(catalog: ReferenceCatalog | None = None) -> str:
    """The rule-set version and reference data a check or a claim made now rests on."""
    return fingerprint(RULESET_VERSION, catalog or default_catalog())


def new_claim_row(clinic_id: int, encounter_id: int, claim: Claim, catalog: ReferenceCatalog) -> ClaimRow:
    """The row of a claim just built: its summary columns and lines, and the claim itself, frozen."""
    return ClaimRow(
        clinic_id=clinic_id,
        encounter_id=encounter_id,
        patient_control_number=claim.claim_id,
        payer_id=claim.payer.id,
        total_charge=claim.total_charge,
        service_date=claim.service_date,
        expected_payment=sum((line.expected_payment or Decimal(0) for line in claim.lines), Decimal("0.00")),
        frequency=claim.frequency.value,
        original_claim_number=claim.original_claim_number,
        claim_json=claim_to_json(claim),
        fingerprint=current_fingerprint(catalog),
        lines=[
            ClaimLineRow(
                line_number=line.line_number,
                code=line.code,
                modifiers=list(line.modifiers),
                units=line.units,
                charge=line.charge,
                expected_payment=line.expected_payment,
                diagnosis_pointers=list(line.diagnosis_pointers),
            )
            for line in claim.lines
        ],
    )


def stored_claim(session: Session, actor: Actor, claim_row: ClaimRow, *, clock: Clock = SYSTEM_CLOCK) -> Claim:
    """The claim as it was built; one built before 0005_frozen is built now and frozen (audited)."""
    if claim_row.claim_json is not None:
        return claim_from_json(claim_row.claim_json)
    number, frequency = claim_row.patient_control_number, ClaimFrequency(claim_row.frequency)
    claim = _build_now(
        session, actor, claim_row.encounter_id, number, frequency, claim_row.original_claim_number, clock
    )
    claim_row.claim_json = claim_to_json(claim)
    claim_row.fingerprint = current_fingerprint()
    session.flush()
    audit(session, actor, "update", "claim", str(claim_row.id), "frozen at its first export")
    return claim


def takes_replacement_claims(session: Session, clinic_id: int, payer_id: str, day: date) -> tuple[bool, str]:
    """Whether the payer takes frequency 7 and 8 claims on ``day`` (parameter claims.accepts_replacement_claims,
    with the clinic's own change on top), and the reference that says so."""
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        return True, "payer not in the catalog: assumed to take replacement claims"
    snapshot = catalog.snapshot(payer_id, day)
    layer = clinic_layer(session, clinic_id, payer_id)
    if layer is not None:
        snapshot = snapshot.with_layer(layer)
    found = snapshot.resolved("claims.accepts_replacement_claims")
    if found is None:
        return True, "no value on file: assumed"
    return found.flag, found.reference


def replacement_refusal(session: Session, clinic_id: int, original: ClaimRow | ClaimRecord) -> str | None:
    """Why the payer will not take a replacement or void of ``original``; None when it will."""
    takes, reference = takes_replacement_claims(session, clinic_id, original.payer_id, original.service_date)
    if takes:
        return None
    return (
        f"payer {original.payer_id} does not take replacement (7) or void (8) claims: it processes them as new "
        f"claims. Ask it to reopen the claim instead ({reference})"
    )


def void_claim(
    session: Session, actor: Actor, claim_id: int, payer_claim_number: str | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> ClaimRecord:
    """A void (frequency 8) of ``claim_id``: a new frozen claim naming the payer's claim number in REF*F8."""
    return correct_claim(session, actor, claim_id, payer_claim_number, clock=clock, frequency=ClaimFrequency.VOID)


def correct_claim(
    session: Session,
    actor: Actor,
    claim_id: int,
    payer_claim_number: str | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    frequency: ClaimFrequency = ClaimFrequency.REPLACEMENT,
) -> ClaimRecord:
    """A corrected claim (frequency 7) or a void (8) of ``claim_id``, frozen now, naming the payer's claim
    number (the one given, else the one its 835 brought). ConflictError says why when it cannot be made:
    among others, a payer that takes no replacement claims (Medicare Part B wants a reopening)."""
    require_role(actor, BILLERS)
    what = "corrected claim" if frequency is ClaimFrequency.REPLACEMENT else "void"
    original = claim_row(session, actor, claim_id)
    number = (payer_claim_number or "").strip() or original.payer_claim_number
    if original.status == ClaimState.BUILT:
        raise ConflictError(f"claim {claim_id} has not been sent: a {what} replaces one the payer has received")
    refusal = replacement_refusal(session, actor.clinic_id, original)
    if refusal is not None:
        raise ConflictError(refusal)
    if number and (len(number) > MAX_PAYER_CLAIM_NUMBER or not number.isprintable()):
        raise ConflictError(f"the payer claim number must be at most {MAX_PAYER_CLAIM_NUMBER} printable characters")
    session.flush()  # on SQLite, this first write takes the writer lock; on PostgreSQL the claim is locked next
    session.execute(select(ClaimRow.id).where(ClaimRow.id == original.id).with_for_update())
    later = session.execute(
        select(ClaimRow.id, ClaimRow.frequency).where(ClaimRow.corrects_claim_id == original.id)
    ).first()
    if later is not None:
        done = "voided" if later.frequency == ClaimFrequency.VOID else "corrected"
        raise ConflictError(f"claim {claim_id} was already {done} by claim {later.id}: correct that one")
    if original.frequency == ClaimFrequency.VOID:
        raise ConflictError(f"claim {claim_id} is a void: it cannot be corrected or voided again")
    if not number:
        raise ConflictError(
            f"claim {claim_id} has no payer claim number yet: the payer never adjudicated it, so resubmit it "
            "instead; or post the payer's 835 for it, or give the number the payer assigned "
            "(ptbill correct CLAIM-ID --payer-claim-number NUMBER)"
        )
    corrected = _correction_number(session, original, "V" if frequency is ClaimFrequency.VOID else "C")
    claim = _build_now(session, actor, original.encounter_id, corrected, frequency, number, clock)
    row = new_claim_row(actor.clinic_id, original.encounter_id, claim, default_catalog())
    row.corrects_claim_id = original.id
    version = note_version(session, encounter_of(session, actor, original.encounter_id))  # its addenda included
    row.note_version, row.note_hash = version.label, version.sha256
    session.add(row)
    session.flush()
    verb, done = ("corrects", "corrected") if frequency is ClaimFrequency.REPLACEMENT else ("voids", "voided")
    audit(session, actor, "create", "claim", str(row.id), f"{verb} claim {original.id} (frequency {frequency.value})")
    audit(session, actor, "update", "claim", str(original.id), f"{done} by claim {row.id}")
    return claim_record(row)


def _build_now(
    session: Session,
    actor: Actor,
    encounter_id: int,
    claim_id: str,
    frequency: ClaimFrequency,
    original_claim_number: str | None,
    clock: Clock = SYSTEM_CLOCK,
) -> Claim:
    """The note's claim with the rules and the clinic's values in force now (ConflictError when it cannot be)."""
    encounter_row = encounter_of(session, actor, encounter_id)
    catalog = default_catalog()
    encounter = encounter_from_dict(encounter_row.document, f"encounter {encounter_row.id}")
    report = check_for_clinic(session, actor.clinic_id, encounter, catalog, clock=clock)
    if report.verdict is Verdict.BLOCKED:
        raise ConflictError(f"encounter {encounter_row.id} has blocking findings")
    try:
        return build_claim(
            encounter,
            report.claim_lines,
            catalog,
            claim_id=claim_id,
            frequency=frequency,
            original_claim_number=original_claim_number,
            clinic_layer=clinic_layer(session, actor.clinic_id, encounter.coverage.payer),
        )
    except ClaimBuildError as exc:
        raise ConflictError(str(exc)) from None


def _correction_number(session: Session, original: ClaimRow, letter: str = "C") -> str:
    """``<first claim's number>-C<n>`` for the n-th correction in a chain (``-V<n>`` a void), cut to fit."""
    depth, first = 1, original
    while first.corrects_claim_id is not None:
        earlier = session.get(ClaimRow, first.corrects_claim_id)
        if earlier is None:  # pragma: no cover - a foreign key keeps the chain whole
            break
        depth, first = depth + 1, earlier
    suffix = f"-{letter}{depth}"
    return first.patient_control_number[: MAX_CONTROL_NUMBER - len(suffix)] + suffix
