"""Claims: built from signed notes, listed, read, and exported one at a time (837P, paper, FHIR)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session, selectinload

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.claims.trading import TradingConfig
from ptbill.claims.x12_837p.writer import ClaimRejectedError
from ptbill.domain.claim import Claim
from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.status import EncounterState
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import BILLERS, Actor, ConflictError, owned_row, require_role
from ptbill.services.addenda import note_version
from ptbill.services.audit import audit
from ptbill.services.claims import write_837p
from ptbill.services.notes import check_for_clinic, encounter_of
from ptbill.services.payers import clinic_layer
from ptbill.services.records import copy_of
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.tables import ClaimRow, CoverageRow, EncounterRow


@dataclass(frozen=True, slots=True)
class ClaimLineRecord:
    """A line of a stored claim, as the API and the pages read it."""

    line_number: int
    code: str
    modifiers: list[str]
    units: int
    charge: Decimal
    expected_payment: Decimal | None
    paid_amount: Decimal
    diagnosis_pointers: list[int]


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A claim as the services hand it out: its status, money and links; what it says is its frozen claim
    (``claim_for_export``)."""

    id: int
    clinic_id: int
    encounter_id: int
    batch_id: int | None
    patient_control_number: str
    payer_id: str
    status: str
    frequency: str
    original_claim_number: str | None
    payer_claim_number: str | None
    total_charge: Decimal
    expected_payment: Decimal | None
    paid_amount: Decimal
    patient_responsibility: Decimal
    service_date: date
    created_at: datetime
    submitted_at: datetime | None
    fingerprint: str | None
    corrects_claim_id: int | None
    lines: tuple[ClaimLineRecord, ...]
    # Coordination of benefits (services.cob): the payer's place, the claim before it, a crossover.
    payer_sequence: str = "P"
    prior_claim_id: int | None = None
    crossed_over_to: str | None = None
    crossed_over_at: datetime | None = None
    # The note it was built from (services.addenda.note_version): "3+1", and its sha256. Null before 0025.
    note_version: str | None = None
    note_hash: str | None = None


def claim_record(row: ClaimRow) -> ClaimRecord:
    return copy_of(ClaimRecord, row, lines=tuple(copy_of(ClaimLineRecord, line) for line in row.lines))


def build_claims(
    session: Session, actor: Actor, encounter_ids: Sequence[int], *, clock: Clock = SYSTEM_CLOCK
) -> list[ClaimRecord]:
    require_role(actor, BILLERS)
    catalog = default_catalog()
    built = []
    for encounter_id in encounter_ids:
        row = encounter_of(session, actor, encounter_id)
        if row.status != EncounterState.SIGNED:
            raise ConflictError(f"encounter {encounter_id} is {row.status}: only signed notes are billed")
        encounter = encounter_from_dict(row.document, f"encounter {encounter_id}")
        report = check_for_clinic(session, actor.clinic_id, encounter, catalog, clock=clock)
        if report.verdict.value == "blocked":
            raise ConflictError(f"encounter {encounter_id} has blocking findings")
        try:
            claim = build_claim(
                encounter,
                report.claim_lines,
                catalog,
                claim_id=row.external_id,
                clinic_layer=clinic_layer(session, actor.clinic_id, encounter.coverage.payer),
            )
        except ClaimBuildError as exc:
            raise ConflictError(str(exc)) from None
        from ptbill.services import frozen_claims  # the claim is frozen as it is built

        stored = frozen_claims.new_claim_row(actor.clinic_id, row.id, claim, catalog)
        stored.payer_sequence, stored.coverage_id = "P", _primary_coverage(session, actor, row)
        version = note_version(session, row)  # which signed note, with which addenda, the claim says
        stored.note_version, stored.note_hash = version.label, version.sha256
        # Compare-and-set: of two requests billing the same note at once, only one finds it still signed.
        moved = rows_changed(
            session,
            update(EncounterRow)
            .where(EncounterRow.id == row.id, EncounterRow.status == EncounterState.SIGNED)
            .values(status=EncounterState.BILLED),
        )
        if moved != 1:
            raise ConflictError(f"encounter {encounter_id} was billed by another request a moment ago")
        session.expire(row, ["status"])
        session.add(stored)
        session.flush()
        audit(session, actor, "create", "claim", str(stored.id), f"from encounter {row.id}")
        built.append(claim_record(stored))
    return built


def _primary_coverage(session: Session, actor: Actor, encounter: EncounterRow) -> int | None:
    """The patient's coverage the note bills: its payer's active coverage, the first in the patient's order."""
    return session.scalar(
        select(CoverageRow.id)
        .where(
            CoverageRow.clinic_id == actor.clinic_id,
            CoverageRow.patient_id == encounter.patient_id,
            CoverageRow.payer_id == encounter.payer_id,
            CoverageRow.active.is_(True),
        )
        .order_by(CoverageRow.priority, CoverageRow.id)
    )


def claim_domain(session: Session, actor: Actor, claim_row: ClaimRow, *, clock: Clock = SYSTEM_CLOCK) -> Claim:
    """What the claim says, as it was built and sent: every export reads this, never the note again."""
    from ptbill.services import frozen_claims

    return frozen_claims.stored_claim(session, actor, claim_row, clock=clock)


def list_claims(session: Session, actor: Actor) -> list[ClaimRecord]:
    rows = list(
        session.scalars(
            select(ClaimRow)
            .where(ClaimRow.clinic_id == actor.clinic_id)
            .order_by(ClaimRow.id.desc())
            .options(selectinload(ClaimRow.lines))
        )
    )
    audit(session, actor, "read", "claim_list", None, f"{len(rows)} claims")
    return [claim_record(row) for row in rows]


def claim_row(session: Session, actor: Actor, claim_id: int) -> ClaimRow:
    """The stored claim of the acting user's clinic, for the services that change or export it (audited)."""
    row = owned_row(session, actor, ClaimRow, claim_id, "claim")
    audit(session, actor, "read", "claim", str(claim_id))
    return row


def get_claim(session: Session, actor: Actor, claim_id: int) -> ClaimRecord:
    return claim_record(claim_row(session, actor, claim_id))


def claim_for_export(
    session: Session, actor: Actor, claim_id: int, format_name: str, *, clock: Clock = SYSTEM_CLOCK
) -> Claim:
    """The claim as the domain model, for a paper form or a FHIR resource; the export is audited."""
    row = claim_row(session, actor, claim_id)
    try:
        claim = claim_domain(session, actor, row, clock=clock)
    except ClaimBuildError as exc:
        raise ConflictError(str(exc)) from None
    audit(session, actor, "export", "claim", str(claim_id), format_name)
    return claim


def claim_837p(
    session: Session, actor: Actor, claim_id: int, trading: TradingConfig, *, clock: Clock = SYSTEM_CLOCK
) -> str:
    """One claim alone as an 837P interchange (new control numbers each time, as every interchange needs)."""
    claim = claim_for_export(session, actor, claim_id, "837p", clock=clock)
    try:
        batches = write_837p([claim], trading, StoredControlNumbers(session))
    except ClaimRejectedError as exc:
        raise ConflictError(str(exc)) from None
    return "".join(b.text for b in batches)


def rows_changed(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed: a compare-and-set moves only rows still in the status it expects.
    The caller expires what it changed; the session's guess of which loaded objects matched can be wrong."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast("CursorResult[Any]", result).rowcount
