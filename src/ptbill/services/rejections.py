"""The rejection worklist: the clinic's claims a 999 or a 277CA (or a 277) rejected, each with its latest
rejection in words, the fix and the ptbill checks that look at the same thing (``claim_status.rejections``),
like the denial worklist. A claim leaves the list when its status moves on (accepted again, answered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.status import ClaimState
from ptbill.services.access import BILLERS, Actor, require_role
from ptbill.services.audit import audit
from ptbill.storage.tables import ClaimAnswerRow, ClaimRow, EncounterRow


@dataclass(frozen=True, slots=True)
class Rejection:
    claim_id: int
    patient_control_number: str
    patient: str
    payer_id: str
    service_date: date
    charge: Decimal
    kind: str  # 999, 277CA, 277
    label: str
    detail: str
    codes: tuple[str, ...]
    fix: str | None
    rule_ids: tuple[str, ...]
    rejected_at: datetime


def _patient(document: dict[str, object] | None) -> str:
    patient = (document or {}).get("patient") or {}
    if not isinstance(patient, dict):
        return ""
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


def rejection_worklist(session: Session, actor: Actor) -> list[Rejection]:
    """The clinic's rejected claims with their latest rejection, the most recent first."""
    require_role(actor, BILLERS)
    latest = (
        select(ClaimAnswerRow.claim_id, func.max(ClaimAnswerRow.id).label("answer_id"))
        .where(ClaimAnswerRow.clinic_id == actor.clinic_id, ClaimAnswerRow.outcome == "rejected")
        .group_by(ClaimAnswerRow.claim_id)
        .subquery()
    )
    query = (
        select(ClaimRow, ClaimAnswerRow, EncounterRow.document)
        .join(latest, latest.c.claim_id == ClaimRow.id)
        .join(ClaimAnswerRow, ClaimAnswerRow.id == latest.c.answer_id)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.status == ClaimState.REJECTED)
        .order_by(ClaimAnswerRow.id.desc())
    )
    items = [
        Rejection(
            claim.id,
            claim.patient_control_number,
            _patient(document),
            claim.payer_id,
            claim.service_date,
            claim.total_charge,
            answer.kind,
            answer.label,
            answer.detail,
            tuple(answer.codes),
            answer.fix,
            tuple(answer.rule_ids),
            answer.received_at,
        )
        for claim, answer, document in session.execute(query)
    ]
    audit(session, actor, "read", "claim_list", None, f"rejections: {len(items)} claims")
    return items
