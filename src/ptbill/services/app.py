"""The clinic app's use cases: users, patients, encounters (checked on every save), claims, batches,
payer settings and the audit log. Each function takes the acting user and a session; the caller owns
the transaction. Every read or change of patient data is written to the audit log.
"""

from __future__ import annotations

import copy
import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, Update, delete, select, update
from sqlalchemy.orm import Session

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.claims.trading import TradingConfig
from ptbill.claims.x12_837p.writer import ClaimRejectedError
from ptbill.domain.claim import Claim
from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.domain.dates import DateRange
from ptbill.domain.encounter import Encounter
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError, PtbillError, ReferenceDataError
from ptbill.domain.status import BatchState, ClaimState, EncounterState, refusal, refusals
from ptbill.domain.vocabulary import BILLERS, CLINICIANS, ROLES, SIGNERS  # issue 10: typed roles
from ptbill.pricing import FeeSchedule
from ptbill.pricing import FeeScheduleRow as PricedRow
from ptbill.reference.catalog import PayerInfo, ReferenceCatalog, default_catalog
from ptbill.reference.declarations import InvalidValueError, UnknownParameterError, as_json
from ptbill.reference.fingerprint import fingerprint  # issue 10
from ptbill.reference.parameters import (
    ClinicChange,
    Confidence,
    ParameterLayer,
    check_clinic_value,
    clinic_layer_from,
)
from ptbill.rules.engine import RULESET_VERSION, CheckReport, check_encounter
from ptbill.rules.registry import all_rules
from ptbill.services.claims import write_837p
from ptbill.services.passwords import require_acceptable
from ptbill.services.same_day import same_day_services
from ptbill.services.therapy_year import clinic_context, medicare_localities
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.session import DatabaseBusyError
from ptbill.storage.tables import (
    AuditRow,
    ClaimBatchRow,
    ClaimRow,
    ClinicRow,
    CoverageRow,
    EncounterCheckRow,
    EncounterRow,
    FeeScheduleRow,
    PatientRow,
    PayerParameterRow,
    UserRow,
)

_hasher = PasswordHasher()


class NotFoundError(PtbillError):
    """The thing does not exist, or belongs to another clinic: both look the same from outside."""


class ForbiddenError(PtbillError):
    """The user's role may not do this."""


class ConflictError(PtbillError):
    """The request conflicts with the current state (signing a blocked note, editing a signed one)."""


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    clinic_id: int
    role: str
    name: str


# users and audit ---------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, email: str, password: str) -> Actor | None:
    user = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower(), UserRow.active))
    if user is None:
        _hasher.hash(password)  # spend the same time whether or not the account exists
        return None
    if not password_matches(user, password):
        audit(session, None, "login_failed", "user", str(user.id), clinic_id=user.clinic_id)
        return None
    actor = Actor(user.id, user.clinic_id, user.role, user.name)
    audit(session, actor, "login", "user", str(user.id))
    return actor


def password_matches(user: UserRow, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(session: Session, user_id: int) -> Actor | None:
    user = session.get(UserRow, user_id)
    if user is None or not user.active:
        return None
    return Actor(user.id, user.clinic_id, user.role, user.name)


def audit(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: str | None = None,
    *,
    clinic_id: int | None = None,
) -> None:
    """Append one audit record. ``detail`` holds ids and field names only, never PHI."""
    session.add(
        AuditRow(
            clinic_id=actor.clinic_id if actor else clinic_id,
            user_id=actor.user_id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def audit_log(session: Session, actor: Actor, limit: int = 200) -> list[AuditRow]:
    require_role(actor, BILLERS | {"admin"})
    rows = session.scalars(
        select(AuditRow).where(AuditRow.clinic_id == actor.clinic_id).order_by(AuditRow.id.desc()).limit(limit)
    )
    return list(rows)


def require_role(actor: Actor, roles: frozenset[str] | set[str]) -> None:
    if actor.role not in roles:
        raise ForbiddenError(f"a {actor.role} may not do this")


# patients ----------------------------------------------------------------------------------------


def list_patients(session: Session, actor: Actor) -> list[PatientRow]:
    rows = list(
        session.scalars(
            select(PatientRow).where(PatientRow.clinic_id == actor.clinic_id).order_by(PatientRow.last_name)
        )
    )
    audit(session, actor, "read", "patient_list", None, f"{len(rows)} patients")
    return rows


def get_patient(session: Session, actor: Actor, patient_id: int) -> PatientRow:
    row = session.get(PatientRow, patient_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"patient {patient_id} not found")
    audit(session, actor, "read", "patient", str(patient_id))
    return row


def create_patient(session: Session, actor: Actor, data: dict[str, Any]) -> PatientRow:
    chart = data.get("chart_number")
    taken = session.scalar(
        select(PatientRow.id).where(PatientRow.clinic_id == actor.clinic_id, PatientRow.chart_number == chart)
    )
    if taken is not None:
        raise ConflictError(f"chart number {chart!r} is already patient {taken}")
    row = PatientRow(clinic_id=actor.clinic_id, **data)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "patient", str(row.id))
    return row


def coverages_of(session: Session, actor: Actor, patient_id: int) -> list[CoverageRow]:
    get_patient(session, actor, patient_id)
    return list(
        session.scalars(
            select(CoverageRow).where(CoverageRow.patient_id == patient_id, CoverageRow.clinic_id == actor.clinic_id)
        )
    )


def add_coverage(session: Session, actor: Actor, patient_id: int, data: dict[str, Any]) -> CoverageRow:
    get_patient(session, actor, patient_id)
    if default_catalog().payer(str(data.get("payer_id"))) is None:
        raise ConflictError(f"payer {data.get('payer_id')!r} is not in the payer catalog")
    row = CoverageRow(clinic_id=actor.clinic_id, patient_id=patient_id, **data)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "coverage", str(row.id))
    return row


# payer settings ----------------------------------------------------------------------------------


def clinic_layer(session: Session, clinic_id: int, payer_id: str) -> ParameterLayer | None:
    """The clinic's dated changes to one payer's parameters, as the top layer of the snapshot.

    Each stored value is checked again on the way in: one that does not fit its parameter is skipped
    and reported by PAYER_SETTING_INVALID, so nothing a clinic stored can make a check fail.
    """
    rows = list(
        session.scalars(
            select(PayerParameterRow)
            .where(PayerParameterRow.clinic_id == clinic_id, PayerParameterRow.payer_id == payer_id)
            .order_by(PayerParameterRow.name, PayerParameterRow.effective_from, PayerParameterRow.id)
        )
    )
    if not rows:
        return None
    changes = (
        ClinicChange(row.name, row.value, row.effective_from, row.reference, row.confidence, row.changed_at.date())
        for row in rows
    )
    return clinic_layer_from(f"clinic:{clinic_id}", changes)


class InvalidChangeError(PtbillError):
    """A payer change that cannot be saved; ``field`` names the form field (name, value or reference)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def set_payer_parameter(
    session: Session, actor: Actor, payer_id: str, name: str, value: Any, effective_from: date, reference: str
) -> PayerParameterRow:
    """Save a clinic's dated value after the same declaration check as the shipped files (InvalidChangeError)."""
    require_role(actor, BILLERS)
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    try:
        stored = check_clinic_value(name, value)
    except UnknownParameterError as exc:
        raise InvalidChangeError("name", str(exc)) from None
    except InvalidValueError as exc:
        raise InvalidChangeError("value", f"{name} {exc}") from None
    rule_id = name.removeprefix("severity.")
    if rule_id != name and rule_id not in {registered.id for registered in all_rules()}:
        raise InvalidChangeError("name", f"no check has the id {rule_id} (the ids are listed in docs/rules.md)")
    if not reference.strip():
        raise InvalidChangeError(
            "reference", "say where the new value comes from (contract, bulletin, phone call with date)"
        )
    row = PayerParameterRow(
        clinic_id=actor.clinic_id,
        payer_id=payer_id,
        name=name,
        value=stored,
        effective_from=effective_from,
        reference=reference.strip(),
        confidence=Confidence.CLINIC,
        changed_by_user_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit(session, actor, "update", "payer_parameter", f"{payer_id}:{name}", f"from {effective_from}")
    return row


def payer_parameters(session: Session, actor: Actor, payer_id: str, day: date) -> list[dict[str, Any]]:
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    snapshot = catalog.snapshot(payer_id, day)
    layer = clinic_layer(session, actor.clinic_id, payer_id)
    if layer is not None:
        snapshot = snapshot.with_layer(layer)
    out = []
    for name in sorted(set(snapshot.names()) | set(layer.parameters if layer else ())):
        resolved = snapshot.resolved(name)
        if resolved is None:
            continue
        out.append(
            {
                "name": name,
                "value": as_json(resolved.value),
                "effective_from": resolved.effective.start,
                "effective_to": resolved.effective.end,
                "source": resolved.reference,
                "confidence": resolved.confidence,
                "layer": resolved.layer,
                "description": resolved.description,
            }
        )
    return out


# encounters --------------------------------------------------------------------------------------


def _clinic(session: Session, actor: Actor) -> ClinicRow:
    clinic = session.get(ClinicRow, actor.clinic_id)
    if clinic is None:  # pragma: no cover - a user always belongs to a clinic
        raise NotFoundError("clinic not found")
    return clinic


def check_for_clinic(
    session: Session, clinic_id: int, encounter: Encounter, catalog: ReferenceCatalog | None = None
) -> CheckReport:
    """The one way the app checks a note: the engine with the clinic's own payer values and fee schedule,
    today's date, and the patient's other notes of the day (duplicates, per-day unit limits)."""
    catalog = catalog or default_catalog()
    payer_id = encounter.coverage.payer
    same_day, notes_read = same_day_services(session, clinic_id, encounter)
    for row_id in notes_read:
        audit(session, None, "read", "encounter", str(row_id), "same-day lines for a check", clinic_id=clinic_id)
    return check_encounter(
        encounter,
        catalog,
        clinic_layer=clinic_layer(session, clinic_id, payer_id),
        fee_schedule=_clinic_fee_schedule(session, clinic_id, payer_id),
        clinic=clinic_context(session, clinic_id, encounter, catalog),
        today=SYSTEM_CLOCK.today(),
        same_day=same_day,
    )


def check_document(session: Session, actor: Actor, document: dict[str, Any]) -> CheckReport:
    """Check a note without saving it (the form's live check)."""
    encounter = encounter_from_dict(document, "note")
    return check_for_clinic(session, actor.clinic_id, encounter, default_catalog())


def save_encounter(
    session: Session, actor: Actor, document: dict[str, Any], patient_id: int, encounter_id: int | None = None
) -> tuple[EncounterRow, CheckReport]:
    """Create or update a note; it is checked on every save and the findings kept with the rule-set version."""
    patient = get_patient(session, actor, patient_id)
    encounter = encounter_from_dict(document, "note")  # raises EncounterFormatError naming each field
    _storable(encounter)
    report = check_for_clinic(session, actor.clinic_id, encounter, default_catalog())
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
        row = _encounter(session, actor, encounter_id)
        if row.status != "draft":
            raise ConflictError(f"encounter {encounter_id} is {row.status}; a signed note cannot be edited")
        row.document = copy.deepcopy(document)
        row.date_of_service = encounter.date_of_service
        row.payer_id = encounter.coverage.payer
        row.version += 1
        action = "update"
    row.verdict = report.verdict.value
    session.flush()
    row.checks.append(
        EncounterCheckRow(
            encounter_version=row.version,
            ruleset_version=RULESET_VERSION,
            verdict=report.verdict.value,
            findings=[f.to_json() for f in report.findings],
            claim_lines=[line.to_json() for line in report.claim_lines],
            fingerprint=fingerprint(RULESET_VERSION, default_catalog()),  # issue 10: what decided it
        )
    )
    session.flush()
    audit(session, actor, action, "encounter", str(row.id), f"version {row.version}, verdict {row.verdict}")
    return row, report


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


def _encounter(session: Session, actor: Actor, encounter_id: int) -> EncounterRow:
    row = session.get(EncounterRow, encounter_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"encounter {encounter_id} not found")
    return row


def get_encounter(session: Session, actor: Actor, encounter_id: int) -> EncounterRow:
    row = _encounter(session, actor, encounter_id)
    audit(session, actor, "read", "encounter", str(encounter_id))
    return row


def list_encounters(session: Session, actor: Actor, status: str | None = None) -> list[EncounterRow]:
    query = select(EncounterRow).where(EncounterRow.clinic_id == actor.clinic_id)
    if status:
        query = query.where(EncounterRow.status == status)
    rows = list(session.scalars(query.order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())))
    audit(session, actor, "read", "encounter_list", None, f"{len(rows)} encounters")
    return rows


def sign_encounter(session: Session, actor: Actor, encounter_id: int) -> EncounterRow:
    require_role(actor, SIGNERS)
    row = _encounter(session, actor, encounter_id)
    if row.status != "draft":
        raise ConflictError(f"encounter {encounter_id} is already {row.status}")
    if row.verdict == "blocked":
        raise ConflictError("the note has blocking findings; fix them before signing")
    row.status = "signed"
    row.signed_by_user_id = actor.user_id
    row.signed_at = datetime.now(UTC)
    audit(session, actor, "sign", "encounter", str(encounter_id), f"version {row.version}")
    return row


def previous_traction(
    session: Session, actor: Actor, patient_id: int, before: date | None = None
) -> dict[str, Any] | None:
    """The traction settings of the patient's last note, so the next session starts from them."""
    patient = session.get(PatientRow, patient_id)
    if patient is None or patient.clinic_id != actor.clinic_id:
        raise NotFoundError(f"patient {patient_id} not found")
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
    row = get_encounter(session, actor, encounter_id)
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
    return {"encounter": row, "checks": list(row.checks), "events": events}


# biller's queue and claims -----------------------------------------------------------------------


def work_queue(session: Session, actor: Actor) -> dict[str, list[tuple[EncounterRow, list[dict[str, Any]]]]]:
    """Signed notes not yet billed, by verdict, each with the findings that explain it; blocked drafts too,
    so the biller sees what the therapists still have to fix."""
    queue: dict[str, list[tuple[EncounterRow, list[dict[str, Any]]]]] = {
        "ready": [],
        "needs_attention": [],
        "blocked": [],
    }
    for row in list_encounters(session, actor):
        if row.status == "billed" or (row.status == "draft" and row.verdict != "blocked"):
            continue  # billed, or a draft the therapist still owns
        latest = row.checks[-1] if row.checks else None
        findings = [f for f in (latest.findings if latest else []) if f["severity"] in ("error", "warning")]
        queue[row.verdict or "blocked"].append((row, findings))
    return queue


def build_claims(session: Session, actor: Actor, encounter_ids: Sequence[int]) -> list[ClaimRow]:
    require_role(actor, BILLERS)
    catalog = default_catalog()
    built = []
    for encounter_id in encounter_ids:
        row = _encounter(session, actor, encounter_id)
        if row.status != EncounterState.SIGNED:
            raise ConflictError(f"encounter {encounter_id} is {row.status}: only signed notes are billed")
        encounter = encounter_from_dict(row.document, f"encounter {encounter_id}")
        report = check_for_clinic(session, actor.clinic_id, encounter, catalog)
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
        from ptbill.services import frozen_claims  # issue 10: the claim is frozen as it is built

        claim_row = frozen_claims.new_claim_row(actor.clinic_id, row.id, claim, catalog)  # issue 10
        # Compare-and-set: of two requests billing the same note at once, only one finds it still signed.
        moved = _rows_changed(
            session,
            update(EncounterRow)
            .where(EncounterRow.id == row.id, EncounterRow.status == EncounterState.SIGNED)
            .values(status=EncounterState.BILLED),
        )
        if moved != 1:
            raise ConflictError(f"encounter {encounter_id} was billed by another request a moment ago")
        session.expire(row, ["status"])
        session.add(claim_row)
        session.flush()
        audit(session, actor, "create", "claim", str(claim_row.id), f"from encounter {row.id}")
        built.append(claim_row)
    return built


def claim_domain(session: Session, actor: Actor, claim_row: ClaimRow) -> Claim:
    from ptbill.services import frozen_claims  # issue 10: exports read the claim as it was built

    return frozen_claims.stored_claim(session, actor, claim_row)  # issue 10


def list_claims(session: Session, actor: Actor) -> list[ClaimRow]:
    rows = list(
        session.scalars(select(ClaimRow).where(ClaimRow.clinic_id == actor.clinic_id).order_by(ClaimRow.id.desc()))
    )
    audit(session, actor, "read", "claim_list", None, f"{len(rows)} claims")
    return rows


def get_claim(session: Session, actor: Actor, claim_id: int) -> ClaimRow:
    row = session.get(ClaimRow, claim_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"claim {claim_id} not found")
    audit(session, actor, "read", "claim", str(claim_id))
    return row


def create_batch(
    session: Session, actor: Actor, claim_ids: Sequence[int], trading: TradingConfig
) -> ClaimBatchRow:
    """One 837P batch of the clinic's claims, with control numbers drawn from the database.

    A claim goes into one batch only: its row is locked (PostgreSQL) or the database's single writer is
    held (SQLite) before its batch is read, and the move into the batch only takes claims in no batch.
    Of two requests at the same moment, the later gets ConflictError naming the claims already batched.
    """
    require_role(actor, BILLERS)
    ids = list(dict.fromkeys(claim_ids))  # a claim listed twice is sent once
    if not ids:
        raise ConflictError("choose at least one claim for the batch")
    rows = [get_claim(session, actor, claim_id) for claim_id in ids]
    session.flush()  # on SQLite, this first write takes the writer lock, so what is read next stays true
    batched = {
        claim_id: batch_id
        for claim_id, batch_id in session.execute(
            select(ClaimRow.id, ClaimRow.batch_id).where(ClaimRow.id.in_(ids)).order_by(ClaimRow.id).with_for_update()
        )
        if batch_id is not None
    }
    if batched:
        raise ConflictError(_already_batched(batched))
    claims = [claim_domain(session, actor, row) for row in rows]
    try:
        batches = write_837p(claims, trading, StoredControlNumbers(session))
    except ClaimRejectedError as exc:
        raise ConflictError(str(exc)) from None
    batch = ClaimBatchRow(
        clinic_id=actor.clinic_id,
        format="837p",
        status=BatchState.BUILT,
        interchange_control_number=batches[0].control_numbers.interchange,
        claim_count=len(rows),
        content="".join(b.text for b in batches),
        created_by_user_id=actor.user_id,
    )
    session.add(batch)
    session.flush()
    taken = _rows_changed(
        session,
        update(ClaimRow)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.id.in_(ids), ClaimRow.batch_id.is_(None))
        .values(batch_id=batch.id),
    )
    if taken != len(ids):  # cannot happen after the locked read; the guard says so if it ever does
        raise ConflictError(f"claims {', '.join(map(str, ids))} changed while the batch was built; try again")
    for row in rows:
        session.expire(row, ["batch_id"])
    audit(session, actor, "create", "claim_batch", str(batch.id), f"{len(rows)} claims")
    return batch


def _rows_changed(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed: a compare-and-set moves only rows still in the status it expects.
    The caller expires what it changed; the session's guess of which loaded objects matched can be wrong."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast("CursorResult[Any]", result).rowcount


def _already_batched(batched: dict[int, int]) -> str:
    by_batch: dict[int, list[int]] = {}
    for claim_id, batch_id in sorted(batched.items()):
        by_batch.setdefault(batch_id, []).append(claim_id)
    where = "; ".join(
        f"claim{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))} already in batch {batch_id}"
        for batch_id, ids in sorted(by_batch.items())
    )
    return f"{where}: a claim goes into one batch only; no batch was made"


def get_batch(session: Session, actor: Actor, batch_id: int) -> ClaimBatchRow:
    row = session.get(ClaimBatchRow, batch_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"batch {batch_id} not found")
    audit(session, actor, "export", "claim_batch", str(batch_id))
    return row


def list_batches(session: Session, actor: Actor) -> list[ClaimBatchRow]:
    return list(
        session.scalars(
            select(ClaimBatchRow).where(ClaimBatchRow.clinic_id == actor.clinic_id).order_by(ClaimBatchRow.id.desc())
        )
    )


def mark_batch_submitted(session: Session, actor: Actor, batch_id: int) -> ClaimBatchRow:
    """The batch and its claims become submitted, all or nothing: a claim the payer has already answered
    (paid, denied ...) keeps its status, and the batch is refused with the claims named."""
    require_role(actor, BILLERS)
    batch = get_batch(session, actor, batch_id)
    session.flush()  # on SQLite, this first write takes the writer lock, so what is read next stays true
    current = session.scalar(select(ClaimBatchRow.status).where(ClaimBatchRow.id == batch_id).with_for_update())
    if current == BatchState.SUBMITTED and batch.submitted_at is not None:
        raise ConflictError(f"batch {batch_id} was already submitted on {batch.submitted_at:%Y-%m-%d}")
    problem = refusal(f"batch {batch_id}", current or "", BatchState.SUBMITTED)
    if problem:
        raise ConflictError(problem)
    claims = [
        (claim_id, status)
        for claim_id, status in session.execute(
            select(ClaimRow.id, ClaimRow.status)
            .where(ClaimRow.batch_id == batch_id)
            .order_by(ClaimRow.id)
            .with_for_update()
        )
    ]
    problem = refusals("its claims", claims, ClaimState.SUBMITTED)
    if problem:
        raise ConflictError(f"batch {batch_id} cannot be marked submitted: {problem}; nothing was changed")
    now = datetime.now(UTC)
    moved = _rows_changed(
        session,
        update(ClaimRow)
        .where(ClaimRow.batch_id == batch_id, ClaimRow.status == ClaimState.BUILT)
        .values(status=ClaimState.SUBMITTED, submitted_at=now),
    )
    marked = _rows_changed(
        session,
        update(ClaimBatchRow)
        .where(ClaimBatchRow.id == batch_id, ClaimBatchRow.status == BatchState.BUILT)
        .values(status=BatchState.SUBMITTED, submitted_at=now),
    )
    if moved != len(claims) or marked != 1:  # cannot happen after the locked reads
        raise ConflictError(f"batch {batch_id} changed while it was being marked; reload and try again")
    session.expire_all()  # the batch and its claims, as loaded, predate the UPDATEs
    audit(session, actor, "update", "claim_batch", str(batch_id), "submitted")
    return batch


# clinic users ------------------------------------------------------------------------------------


def list_users(session: Session, actor: Actor) -> list[UserRow]:
    require_role(actor, {"admin"})
    return list(session.scalars(select(UserRow).where(UserRow.clinic_id == actor.clinic_id).order_by(UserRow.id)))


def create_user(session: Session, actor: Actor, data: dict[str, Any], password: str) -> UserRow:
    """A new account in the admin's clinic; the password is kept only as an argon2 hash."""
    require_role(actor, {"admin"})
    if data.get("role") not in ROLES:
        raise ConflictError(f"role must be one of {', '.join(ROLES)}")
    email = str(data.get("email", "")).strip().lower()
    if session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
        raise ConflictError(f"{email} already has an account")
    require_acceptable(password, email)
    row = UserRow(clinic_id=actor.clinic_id, **{**data, "email": email}, password_hash=hash_password(password))
    session.add(row)
    session.flush()
    audit(session, actor, "create", "user", str(row.id), f"role {row.role}")
    return row


# payers and fee schedules ------------------------------------------------------------------------


def list_payers(session: Session, actor: Actor) -> list[PayerInfo]:
    return sorted(default_catalog().payers().values(), key=lambda p: p.id)


def payer_detail(session: Session, actor: Actor, payer_id: str, day: date) -> tuple[PayerInfo, list[dict[str, Any]]]:
    """The payer and every parameter in force on ``day``, the clinic's own changes included."""
    payer = default_catalog().payer(payer_id)
    if payer is None:
        raise NotFoundError(f"payer {payer_id} not found")
    return payer, payer_parameters(session, actor, payer_id, day)


_MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)
_FEE_COLUMNS = ("code", "modifiers", "amount", "effective_from", "effective_to")


def replace_fee_schedule(
    session: Session, actor: Actor, payer_id: str, csv_text: str, filename: str
) -> list[FeeScheduleRow]:
    """Replace the clinic's contracted rates for one payer with an uploaded CSV (docs/pricing.md columns).

    A bad row raises ReferenceDataError naming the file, the line and the field; nothing is kept then.
    """
    require_role(actor, BILLERS)
    if default_catalog().payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    schedule = _parse_fee_schedule(csv_text, filename)
    session.execute(
        delete(FeeScheduleRow).where(FeeScheduleRow.clinic_id == actor.clinic_id, FeeScheduleRow.payer_id == payer_id)
    )
    rows = [
        FeeScheduleRow(
            clinic_id=actor.clinic_id,
            payer_id=payer_id,
            code=row.code,
            modifiers=" ".join(sorted(row.modifiers)),
            amount=row.amount,
            effective_from=row.effective.start,
            # stored as the CSV says it: the last day the amount applies
            effective_to=row.effective.end - timedelta(days=1) if row.effective.end else None,
            source=f"{filename} line {row.line}",
        )
        for row in schedule.rows
    ]
    session.add_all(rows)
    session.flush()
    audit(session, actor, "update", "fee_schedule", payer_id, f"{len(rows)} rows uploaded")
    return rows


def fee_schedule_of(session: Session, actor: Actor, payer_id: str) -> list[FeeScheduleRow]:
    if default_catalog().payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    return list(
        session.scalars(
            select(FeeScheduleRow)
            .where(FeeScheduleRow.clinic_id == actor.clinic_id, FeeScheduleRow.payer_id == payer_id)
            .order_by(FeeScheduleRow.id)
        )
    )


def _parse_fee_schedule(csv_text: str, filename: str) -> FeeSchedule:
    if "\x00" in csv_text:
        raise ReferenceDataError(f"{filename}: contains NUL characters; is it a CSV file?")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(csv_text, encoding="utf-8")
        try:
            schedule = FeeSchedule.from_csv(path)
        except ReferenceDataError as exc:
            raise ReferenceDataError(str(exc).replace(str(path), filename)) from None
        except (csv.Error, OverflowError) as exc:  # a malformed cell, or a date past 9999-12-30
            raise ReferenceDataError(f"{filename}: {exc}") from None
    for row in schedule.rows:
        where = f"{filename}: line {row.line}"
        if row.amount > _MAX_AMOUNT or row.amount != row.amount.quantize(Decimal("0.01")):
            raise ReferenceDataError(f"{where}: field 'amount': {row.amount} is not dollars and cents below 10^10")
        if len(row.modifiers) > 4:
            raise ReferenceDataError(f"{where}: field 'modifiers': at most 4 modifiers")
    return schedule


def _clinic_fee_schedule(session: Session, clinic_id: int, payer_id: str) -> FeeSchedule | None:
    """The clinic's uploaded rates for a payer, cited by the file and line they were uploaded from."""
    rows = list(
        session.scalars(
            select(FeeScheduleRow)
            .where(FeeScheduleRow.clinic_id == clinic_id, FeeScheduleRow.payer_id == payer_id)
            .order_by(FeeScheduleRow.id)
        )
    )
    if not rows:
        return None
    # Every row of one payer comes from the same upload (replace_fee_schedule), "<file> line <n>".
    filename, _, _ = rows[0].source.rpartition(" line ")
    return FeeSchedule(
        [
            PricedRow(
                code=row.code,
                modifiers=frozenset(row.modifiers.split()),
                amount=row.amount,
                effective=DateRange(
                    row.effective_from, row.effective_to + timedelta(days=1) if row.effective_to else None
                ),
                line=int(row.source.rpartition(" line ")[2] or 0),
            )
            for row in rows
        ],
        f"the clinic's fee schedule, {filename}",
    )


# encounters, claims: the API's entry points ------------------------------------------------------


def update_encounter(
    session: Session, actor: Actor, encounter_id: int, document: dict[str, Any]
) -> tuple[EncounterRow, CheckReport]:
    """Save a new version of a draft note, for the patient it already belongs to."""
    row = _encounter(session, actor, encounter_id)
    return save_encounter(session, actor, document, row.patient_id, encounter_id)


def claim_for_export(session: Session, actor: Actor, claim_id: int, format_name: str) -> Claim:
    """The claim as the domain model, for a paper form or a FHIR resource; the export is audited."""
    row = get_claim(session, actor, claim_id)
    try:
        claim = claim_domain(session, actor, row)
    except ClaimBuildError as exc:
        raise ConflictError(str(exc)) from None
    audit(session, actor, "export", "claim", str(claim_id), format_name)
    return claim


def claim_837p(session: Session, actor: Actor, claim_id: int, trading: TradingConfig) -> str:
    """One claim alone as an 837P interchange (new control numbers each time, as every interchange needs)."""
    claim = claim_for_export(session, actor, claim_id, "837p")
    try:
        batches = write_837p([claim], trading, StoredControlNumbers(session))
    except ClaimRejectedError as exc:
        raise ConflictError(str(exc)) from None
    return "".join(b.text for b in batches)


__all__ = [
    "ROLES",
    "Actor",
    "ConflictError",
    "DatabaseBusyError",
    "EncounterFormatError",
    "ForbiddenError",
    "NotFoundError",
]



def set_medicare_locality(session: Session, actor: Actor, key: str | None, day: date) -> ClinicRow:
    """The clinic's Medicare locality, chosen from the installed ones; None goes back to the ZIP-code guess."""
    require_role(actor, {"admin"})
    if key is not None and key not in dict(medicare_localities(default_catalog(), day)):
        raise InvalidChangeError("medicare_locality", f"{key!r} is not a Medicare locality of the installed schedule")
    clinic = _clinic(session, actor)
    clinic.medicare_locality = key
    audit(session, actor, "update", "clinic", str(clinic.id), f"medicare_locality {key or 'from ZIP code'}")
    return clinic
