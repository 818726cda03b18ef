"""Where the stored eligibility answers are used: the checks of a note (``EligibilityOnFile`` through the
clinic context, as the ABNs and the therapy year are handed over), the estimate's cost sharing, and the note
page's one line. Each read of an answer is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ptbill.domain.eligibility import EligibilityOnFile
from ptbill.domain.encounter import Encounter
from ptbill.pricing.patient_share import CostSharing
from ptbill.services.access import Actor
from ptbill.services.audit import ReadAudits, audit
from ptbill.services.eligibility import EligibilityAnswer, latest_of_coverage
from ptbill.storage.tables import (
    AuthorizationRow,
    CoverageRow,
    EncounterRow,
    PatientRow,
)


def _note_coverage(session: Session, clinic_id: int, encounter: Encounter) -> CoverageRow | None:
    """The patient's coverage the note bills: same payer and member id, the patient by the note's chart number."""
    return session.scalars(
        select(CoverageRow)
        .join(PatientRow, PatientRow.id == CoverageRow.patient_id)
        .where(
            CoverageRow.clinic_id == clinic_id,
            PatientRow.chart_number == encounter.patient.id,
            CoverageRow.payer_id == encounter.coverage.payer,
            CoverageRow.member_id == encounter.coverage.member_id,
        )
        .order_by(CoverageRow.active.desc(), CoverageRow.id)
    ).first()


def _visits_after(session: Session, clinic_id: int, patient_id: int, after: date, before: date, note: str) -> int:
    """The patient's other visits (days with a note) after ``after`` and before ``before``."""
    return (
        session.scalar(
            select(func.count(func.distinct(EncounterRow.date_of_service))).where(
                EncounterRow.clinic_id == clinic_id,
                EncounterRow.patient_id == patient_id,
                EncounterRow.external_id != note,
                EncounterRow.date_of_service > after,
                EncounterRow.date_of_service < before,
            )
        )
        or 0
    )


def _authorization_on(session: Session, clinic_id: int, coverage: CoverageRow, day: date) -> bool:
    found = session.scalar(
        select(AuthorizationRow.id).where(
            AuthorizationRow.clinic_id == clinic_id,
            AuthorizationRow.patient_id == coverage.patient_id,
            or_(AuthorizationRow.coverage_id.is_(None), AuthorizationRow.coverage_id == coverage.id),
            AuthorizationRow.valid_from <= day,
            AuthorizationRow.valid_to >= day,
        )
    )
    return found is not None


def eligibility_for_check(
    session: Session, clinic_id: int, encounter: Encounter, verifies: bool, audits: ReadAudits
) -> EligibilityOnFile | None:
    """The note's coverage's latest answer for the checks; None where the clinic does not verify in ptbill
    (``verifies``: it has asked (a 270) or recorded (a 271) at least once; ``check_inputs`` reads it). An empty
    ``EligibilityOnFile`` (nothing received) where it does and this coverage has no answer. The read of an answer
    is audited in ``audits``."""
    if not verifies:
        return None
    coverage = _note_coverage(session, clinic_id, encounter)
    answer = latest_of_coverage(session, clinic_id, coverage.id) if coverage is not None else None
    if coverage is None or answer is None:
        return EligibilityOnFile()
    audits.read("eligibility_response", answer.id, "for a check")
    day = encounter.date_of_service
    return EligibilityOnFile(
        received_on=answer.received_on,
        asked_for=answer.service_date,
        status=answer.coverage_status,
        plan_begin=answer.plan_begin,
        plan_end=answer.plan_end,
        reasons=answer.reasons or "",
        visits_remaining=answer.visits_remaining,
        visits_after=_visits_after(session, clinic_id, coverage.patient_id, answer.received_on, day, encounter.id),
        prior_auth_required=answer.prior_auth_required,
        authorization_on_file=_authorization_on(session, clinic_id, coverage, day),
        answer_id=answer.id,
    )


@dataclass(frozen=True, slots=True)
class SharingFrom271:
    """The cost sharing an estimate takes from an active 271, and where it came from in words."""

    sharing: CostSharing
    as_of: date
    source: str
    answer_id: int


def sharing_from_271(session: Session, actor: Actor, coverage_id: int) -> SharingFrom271 | None:
    """The coverage's latest answer's deductible remaining, coinsurance and copay, when it is active and states
    at least one of them; None otherwise (the estimate then uses the typed cost sharing)."""
    answer = latest_of_coverage(session, actor.clinic_id, coverage_id)
    if answer is None or answer.coverage_status != "active":
        return None
    stated = (answer.deductible_remaining, answer.coinsurance_percent, answer.copay)
    if all(value is None for value in stated):
        return None
    audit(session, actor, "read", "eligibility_response", str(answer.id), "cost sharing for an estimate")
    return SharingFrom271(
        CostSharing(*stated),
        answer.received_on,
        f"the payer's eligibility answer (271) received {answer.received_on} for {answer.service_date}",
        answer.id,
    )


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def status_line(answer: EligibilityAnswer | None) -> str:
    """The note page's one line: the latest answer's status and day, or that none is on file."""
    if answer is None:
        return "Not verified in ptbill"
    received, asked = _day(answer.received_on), _day(answer.service_date)
    line = f"{answer.status_text} (271 received {received} for {asked})"
    if answer.visits_remaining is not None:
        line += f"; {answer.visits_remaining} visit(s) left"
    if answer.prior_auth_required:
        line += "; prior authorization required"
    return line


def coverage_line(session: Session, actor: Actor, coverage_id: int | None) -> str:
    """The one line beside a note: its coverage's latest answer, audited as the note page's read."""
    answer = latest_of_coverage(session, actor.clinic_id, coverage_id) if coverage_id is not None else None
    if answer is not None:
        audit(session, actor, "read", "eligibility_response", str(answer.id), "note page")
    return status_line(answer)
