"""Notes (encounters): checked on every save with the clinic's values, signed, their history, traction
carried forward."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect as orm_state
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter import Encounter
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.reference.fingerprint import fingerprint
from ptbill.rules.engine import RULESET_VERSION, CheckReport, ClinicContext, check_encounter
from ptbill.services.abn import signed_abns_for
from ptbill.services.access import CLINICIANS, SIGNERS, Actor, ConflictError, owned_row, require_role
from ptbill.services.audit import AuditEntry, ReadAudits, audit
from ptbill.services.check_inputs import clinic_facts
from ptbill.services.clinic_config import payer_config
from ptbill.services.eligibility_use import eligibility_for_check
from ptbill.services.patients import get_patient
from ptbill.services.plan_lifecycle import with_chart_facts
from ptbill.services.records import copy_of
from ptbill.services.same_day import same_day_services
from ptbill.services.therapy_year import therapy_claims_of
from ptbill.storage.tables import AuditRow, EncounterCheckRow, EncounterRow, PatientRow


@dataclass(frozen=True, slots=True)
class NoteCheck:
    """The engine's answer on one save of one version of a note, with the rule-set version that gave it."""

    id: int
    encounter_id: int
    encounter_version: int
    ruleset_version: str
    verdict: str
    findings: list[dict[str, Any]]
    claim_lines: list[dict[str, Any]]
    checked_at: datetime
    fingerprint: str | None  # the rule set and reference data that decided it (null before 0005_frozen)


@dataclass(frozen=True, slots=True)
class Note:
    """A stored note (encounter): its document as saved, its status and every check of its versions."""

    id: int
    clinic_id: int
    patient_id: int
    external_id: str
    date_of_service: date
    payer_id: str
    status: str
    document: dict[str, Any]
    version: int
    verdict: str | None
    therapist_user_id: int | None
    signed_by_user_id: int | None
    signed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    checks: tuple[NoteCheck, ...]  # oldest first
    # The supervising therapist's co-signature of an assistant's note (services.cosign); it holds for the
    # version it names only.
    cosigned_by_user_id: int | None = None
    cosigned_by_name: str | None = None
    cosigned_at: datetime | None = None
    cosigned_version: int | None = None


def note_of(row: EncounterRow, *, every_check: bool = True) -> Note:
    """The record of a stored note; its checks are read first, so pending changes are written and stamped.

    ``every_check=False`` gives the latest check only, read alone when the note's checks are not loaded yet:
    for the note page and the API's note, which show the latest answer. A note saved a hundred times then reads
    one check row a save, not a hundred (each save adds one)."""
    if every_check or "checks" not in orm_state(row).unloaded:
        rows = row.checks if every_check else row.checks[-1:]
    else:
        session = Session.object_session(row)
        assert session is not None, "a stored note is read in a session"
        latest = session.scalars(
            select(EncounterCheckRow)
            .where(EncounterCheckRow.encounter_id == row.id)
            .order_by(EncounterCheckRow.id.desc())
            .limit(1)
        ).first()
        rows = [latest] if latest is not None else []
    checks = tuple(copy_of(NoteCheck, check) for check in rows)
    return copy_of(Note, row, checks=checks, document=copy.deepcopy(row.document))


def check_for_clinic(
    session: Session,
    clinic_id: int,
    encounter: Encounter,
    catalog: ReferenceCatalog | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> CheckReport:
    """The one way the app checks a note: the engine with the clinic's own payer values and fee schedule,
    today's date from the caller's clock, the patient's other notes of the day (duplicates, per-day unit limits),
    the patient's signed ABNs (GA on the lines they cover), the coverage's eligibility answer on file, and the
    chart's plan-of-care facts and the note's signatures (``plan_lifecycle``)."""
    catalog = catalog or default_catalog()
    facts = clinic_facts(session, clinic_id, encounter)  # first: the revision the kept configuration is read under
    config = payer_config(session, clinic_id, encounter.coverage.payer, facts.config_revision)
    audits = ReadAudits(clinic_id)
    same_day, notes_read = same_day_services(session, clinic_id, encounter) if facts.other_notes_that_day else ([], [])
    for row_id in notes_read:
        audits.read("encounter", row_id, "same-day lines for a check")
    context = ClinicContext(
        medicare_locality=facts.medicare_locality,
        therapy_claims_this_year=therapy_claims_of(session, clinic_id, facts.patient_id, encounter, catalog),
        eligibility=eligibility_for_check(session, clinic_id, encounter, facts.verifies_eligibility, audits),
    )
    context = with_chart_facts(session, clinic_id, encounter, context, facts, audits)
    abns = signed_abns_for(session, clinic_id, encounter, audits) if facts.signed_abns else []
    audits.write(session)  # every read of patient data above, in one statement
    return check_encounter(
        encounter,
        catalog,
        clinic_layer=config.layer,
        fee_schedule=config.fee_schedule,
        clinic=context,
        today=clock.today(),
        same_day=same_day,
        abns=abns,
        clinic_layer_is_kept=True,  # clinic_config keeps one layer per (clinic, payer, revision), never changed
    )


def check_document(
    session: Session, actor: Actor, document: dict[str, Any], *, clock: Clock = SYSTEM_CLOCK
) -> CheckReport:
    """Check a note without saving it (the form's live check)."""
    encounter = encounter_from_dict(document, "note")
    return check_for_clinic(session, actor.clinic_id, encounter, default_catalog(), clock=clock)


def save_encounter(
    session: Session,
    actor: Actor,
    document: dict[str, Any],
    patient_id: int,
    encounter_id: int | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    every_check: bool = True,
) -> tuple[Note, CheckReport]:
    """Create or update a note; it is checked on every save and the findings kept with the rule-set version.
    The note comes back with every check, or with the new one only (``every_check=False``, ``note_of``)."""
    patient = get_patient(session, actor, patient_id)
    encounter = encounter_from_dict(document, "note")  # raises EncounterFormatError naming each field
    _storable(encounter)
    report = check_for_clinic(session, actor.clinic_id, encounter, default_catalog(), clock=clock)
    require_role(actor, CLINICIANS | {"admin"})  # billers read notes; clinicians write them
    if encounter_id is None:
        taken = session.scalar(
            select(EncounterRow.id).where(
                EncounterRow.clinic_id == actor.clinic_id, EncounterRow.external_id == encounter.id
            )
        )
        if taken is not None:
            raise ConflictError(f"note id {encounter.id!r} is already encounter {taken}; update that one")
        row = EncounterRow(
            clinic_id=actor.clinic_id,
            patient_id=patient.id,
            external_id=encounter.id,
            date_of_service=encounter.date_of_service,
            payer_id=encounter.coverage.payer,
            document=document,
            therapist_user_id=actor.user_id,
        )
        session.add(row)
        action = "create"
    else:
        row = encounter_of(session, actor, encounter_id)
        if row.status != "draft":
            raise ConflictError(f"encounter {encounter_id} is {row.status}; a signed note cannot be edited")
        row.document = copy.deepcopy(document)
        row.date_of_service = encounter.date_of_service
        row.payer_id = encounter.coverage.payer
        row.version += 1
        action = "update"
    row.verdict = report.verdict.value
    session.flush()
    check = EncounterCheckRow(
        encounter_version=row.version,
        ruleset_version=RULESET_VERSION,
        verdict=report.verdict.value,
        findings=[f.to_json() for f in report.findings],
        claim_lines=[line.to_json() for line in report.claim_lines],
        fingerprint=fingerprint(RULESET_VERSION, default_catalog()),  # what decided it
    )
    if "checks" in orm_state(row).unloaded:  # added by the note's id: its earlier checks stay unread
        check.encounter_id = row.id
        session.add(check)
    else:  # loaded in this session: kept whole
        row.checks.append(check)
    session.flush()
    audit(session, actor, action, "encounter", str(row.id), f"version {row.version}, verdict {row.verdict}")
    return note_of(row, every_check=every_check), report


def update_encounter(
    session: Session,
    actor: Actor,
    encounter_id: int,
    document: dict[str, Any],
    *,
    clock: Clock = SYSTEM_CLOCK,
    every_check: bool = True,
) -> tuple[Note, CheckReport]:
    """Save a new version of a draft note, for the patient it already belongs to."""
    row = encounter_of(session, actor, encounter_id)
    return save_encounter(session, actor, document, row.patient_id, encounter_id, clock=clock, every_check=every_check)


# The note's id becomes the claim's patient control number (CLM01, at most 38 characters).
_STORED_LIMITS = (("id", 38), ("coverage.payer", 60))


def _storable(encounter: Encounter) -> None:
    """Refuse, naming the field, what the tables cannot hold, before the database refuses it less clearly."""
    problems = []
    for field, limit in _STORED_LIMITS:
        value = encounter.id if field == "id" else encounter.coverage.payer
        if len(value) > limit:
            problems.append(f"{field}: at most {limit} characters, got {len(value)}")
        if "\x00" in value:
            problems.append(f"{field}: contains a NUL character")
    if problems:
        raise EncounterFormatError("note", problems)


def encounter_of(session: Session, actor: Actor, encounter_id: int) -> EncounterRow:
    return owned_row(session, actor, EncounterRow, encounter_id, "encounter")


def get_encounter(session: Session, actor: Actor, encounter_id: int, *, every_check: bool = True) -> Note:
    """A note of the actor's clinic, read and audited; with every check, or the latest only (``note_of``)."""
    row = encounter_of(session, actor, encounter_id)
    audit(session, actor, "read", "encounter", str(encounter_id))
    return note_of(row, every_check=every_check)


def list_encounters(session: Session, actor: Actor, status: str | None = None) -> list[Note]:
    query = (
        select(EncounterRow)
        .where(EncounterRow.clinic_id == actor.clinic_id)
        .options(selectinload(EncounterRow.checks))  # one query for the checks of every note listed
    )
    if status:
        query = query.where(EncounterRow.status == status)
    rows = list(session.scalars(query.order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())))
    audit(session, actor, "read", "encounter_list", None, f"{len(rows)} encounters")
    return [note_of(row) for row in rows]


def sign_encounter(session: Session, actor: Actor, encounter_id: int, *, clock: Clock = SYSTEM_CLOCK) -> Note:
    require_role(actor, SIGNERS)
    row = encounter_of(session, actor, encounter_id)
    if row.status != "draft":
        raise ConflictError(f"encounter {encounter_id} is already {row.status}")
    if row.verdict == "blocked":
        raise ConflictError("the note has blocking findings; fix them before signing")
    row.status = "signed"
    row.signed_by_user_id = actor.user_id
    row.signed_at = clock.now()
    from ptbill.services.note_returns import resolve_on_sign  # it reads notes through this module

    resolve_on_sign(session, row.id, row.signed_at)
    audit(session, actor, "sign", "encounter", str(encounter_id), f"version {row.version}")
    from ptbill.services.cosign import check_after_signing  # it re-checks notes through this module

    check_after_signing(session, row, clock)
    return note_of(row)


def previous_traction(
    session: Session, actor: Actor, patient_id: int, before: date | None = None
) -> dict[str, Any] | None:
    """The traction settings of the patient's last note, so the next session starts from them."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    query = select(EncounterRow).where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.patient_id == patient_id)
    if before is not None:
        query = query.where(EncounterRow.date_of_service < before)
    for row in session.scalars(query.order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())):
        for service in row.document.get("services", []):
            if service.get("code") == "97012" and service.get("traction"):
                audit(session, actor, "read", "encounter", str(row.id), "traction carried forward")
                return {
                    "encounter_id": row.id,
                    "date_of_service": row.date_of_service.isoformat(),
                    "traction": service["traction"],
                }
    return None


def encounter_history(session: Session, actor: Actor, encounter_id: int) -> dict[str, Any]:
    note = get_encounter(session, actor, encounter_id)
    events = list(
        session.scalars(
            select(AuditRow)
            .where(
                AuditRow.clinic_id == actor.clinic_id,
                AuditRow.entity == "encounter",
                AuditRow.entity_id == str(encounter_id),
            )
            .order_by(AuditRow.id)
        )
    )
    return {"encounter": note, "checks": list(note.checks), "events": [copy_of(AuditEntry, event) for event in events]}
