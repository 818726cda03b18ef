"""The patient chart: one read of everything about one patient, audited once per view.

Visits and notes (each with its id, so every note can be linked), claims with their status and
amounts, the balances they add up to, coverages in order, authorizations used and left, plans of care
with their dates and the next progress report, cost estimates prepared, the latest eligibility answer (271) of
each coverage, and the documents a biller can open (appeal packets of denied claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.status import ClaimState
from ptbill.services.abn import Abn, abn_records
from ptbill.services.access import Actor, owned_row
from ptbill.services.audit import audit
from ptbill.services.authorizations import Authorization, authorization_records
from ptbill.services.eligibility import EligibilityAnswer, answer_records, latest_by_coverage
from ptbill.services.estimates import Estimate, estimate_records
from ptbill.services.patients import Coverage, Patient, coverage_records
from ptbill.services.plans_of_care import PlanOfCare, plan_records
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClaimRow, EncounterRow, PatientRow, UserRow

ZERO = Decimal("0.00")
OPEN_CLAIMS = frozenset(
    {ClaimState.BUILT, ClaimState.SUBMITTED, ClaimState.ACCEPTED, ClaimState.REJECTED, ClaimState.PENDED}
    | {ClaimState.FINALIZED}
)


@dataclass(frozen=True, slots=True)
class ChartNote:
    id: int
    date_of_service: date
    status: str
    verdict: str | None
    payer_id: str
    therapist: str | None
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChartClaim:
    id: int
    encounter_id: int
    patient_control_number: str
    service_date: date
    payer_id: str
    status: str
    frequency: str
    total_charge: Decimal
    paid_amount: Decimal
    patient_responsibility: Decimal

    @property
    def denied(self) -> bool:
        return self.status in (ClaimState.DENIED, ClaimState.PARTIAL)


@dataclass(frozen=True, slots=True)
class Balances:
    charged: Decimal
    paid: Decimal
    patient_owes: Decimal  # the patient's responsibility on the payers' remittances
    awaiting_payer: Decimal  # charges of claims built or sent and not yet answered


@dataclass(frozen=True, slots=True)
class Chart:
    patient: Patient
    coverages: list[Coverage]
    authorizations: list[Authorization]
    plans: list[PlanOfCare]
    notes: list[ChartNote]
    claims: list[ChartClaim]
    balances: Balances
    estimates: list[Estimate]
    abns: tuple[Abn, ...] = ()  # the patient's ABNs (form CMS-R-131), newest first
    eligibility: dict[int, EligibilityAnswer] = field(default_factory=dict)  # the latest 271 per coverage id


def _notes(session: Session, actor: Actor, patient_id: int) -> list[ChartNote]:
    rows = session.execute(
        select(EncounterRow, UserRow.name)
        .outerjoin(UserRow, UserRow.id == EncounterRow.therapist_user_id)
        .where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.patient_id == patient_id)
        .order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())
    ).all()
    return [
        ChartNote(
            note.id,
            note.date_of_service,
            note.status,
            note.verdict,
            note.payer_id,
            therapist,
            tuple(str(s.get("code", "")) for s in note.document.get("services") or [] if isinstance(s, dict)),
        )
        for note, therapist in rows
    ]


def _claims(session: Session, actor: Actor, patient_id: int) -> list[ChartClaim]:
    rows = session.scalars(
        select(ClaimRow)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(ClaimRow.clinic_id == actor.clinic_id, EncounterRow.patient_id == patient_id)
        .order_by(ClaimRow.service_date.desc(), ClaimRow.id.desc())
    )
    return [copy_of(ChartClaim, row) for row in rows]


def patient_chart(session: Session, actor: Actor, patient_id: int) -> Chart:
    """Everything the chart page shows of one patient of the actor's clinic (another clinic's: NotFoundError)."""
    row = owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "patient_chart", str(patient_id))
    claims = _claims(session, actor, patient_id)
    balances = Balances(
        charged=sum((c.total_charge for c in claims), ZERO),
        paid=sum((c.paid_amount for c in claims), ZERO),
        patient_owes=sum((c.patient_responsibility for c in claims), ZERO),
        awaiting_payer=sum((c.total_charge for c in claims if c.status in OPEN_CLAIMS), ZERO),
    )
    return Chart(
        copy_of(Patient, row),
        coverage_records(session, actor, patient_id),
        authorization_records(session, actor, patient_id),
        plan_records(session, actor, patient_id),
        _notes(session, actor, patient_id),
        claims,
        balances,
        estimate_records(session, actor, patient_id),
        tuple(abn_records(session, actor, patient_id)),
        latest_by_coverage(answer_records(session, actor, patient_id)),
    )
