"""What posting an 835 does for the coordination of benefits.

Before the claims are matched, an answer the payer gives "as secondary" (claim status 2 or 20) or "as
tertiary" (3 or 21) on our primary's control number goes to the claim to that payer: the one ptbill built,
or, after a crossover, a row made for it then. After posting, a primary answer that forwarded the claim
(status 19, 20 or 21; Medicare's MA18 / N89 and the crossover carrier in NM1*TT) marks the claim crossed
over, and an answer that leaves the patient an amount (PR) builds the claim to the next payer when the
patient has one.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.remittance import ClaimPayment, ClaimStatus, Remittance
from ptbill.services.access import Actor, ConflictError
from ptbill.services.audit import audit
from ptbill.services.cob import PRIORITY, ZERO, build_next_claim, next_claim
from ptbill.storage.tables import ClaimRow, CoverageRow, EncounterRow

# The payer's place in the order an answer says it processed the claim in.
_PLACE = {
    ClaimStatus.SECONDARY: "S",
    ClaimStatus.SECONDARY_FORWARDED: "S",
    ClaimStatus.TERTIARY: "T",
    ClaimStatus.TERTIARY_FORWARDED: "T",
}
_BUILDS_NEXT = frozenset({ClaimStatus.PRIMARY, ClaimStatus.SECONDARY})
CROSSOVER_REMARKS = {"MA18": "the supplemental insurer", "N89": "more than one other payer"}


def _claim(session: Session, actor: Actor, number: str) -> ClaimRow | None:
    return session.scalar(
        select(ClaimRow).where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.patient_control_number == number)
    )


def routed(session: Session, actor: Actor, remittance: Remittance, *, clock: Clock = SYSTEM_CLOCK) -> Remittance:
    """The remittance with each later payer's answer on a primary's control number sent to that payer's claim
    (its control number in place of the primary's); a crossed-over claim gets its secondary row now."""
    changed: list[ClaimPayment] = []
    for payment in remittance.claims:
        place = _PLACE.get(payment.status)
        claim = _claim(session, actor, payment.patient_control_number) if place else None
        while claim is not None and place is not None and PRIORITY[claim.payer_sequence] < PRIORITY[place]:
            following = next_claim(session, actor.clinic_id, claim.id, "S" if claim.payer_sequence == "P" else "T")
            if following is None and claim.crossed_over_to:
                record = build_next_claim(session, actor, claim.id, clock=clock, crossover=True)
                following = session.get(ClaimRow, record.id)
            claim = following
        if claim is not None and claim.patient_control_number != payment.patient_control_number:
            changed.append(dataclasses.replace(payment, patient_control_number=claim.patient_control_number))
        else:
            changed.append(payment)
    return dataclasses.replace(remittance, claims=tuple(changed))


def after_posting(session: Session, actor: Actor, remittance: Remittance, *, clock: Clock = SYSTEM_CLOCK) -> list[str]:
    """Crossovers marked and next payers' claims built for the answers just posted; a warning for each
    answer that left the patient an amount but whose claim to the next payer could not be built."""
    warnings: list[str] = []
    for payment in remittance.claims:
        claim = _claim(session, actor, payment.patient_control_number)
        if claim is None or claim.payer_sequence == "T":
            continue
        if payment.forwarded:
            _mark_crossed_over(session, actor, claim, payment, clock)
        elif (
            payment.status in _BUILDS_NEXT
            and (payment.patient_responsibility or ZERO) > ZERO
            and claim.crossed_over_to is None
            and _has_next_coverage(session, actor, claim)
        ):
            try:
                build_next_claim(session, actor, claim.id, clock=clock)
            except ConflictError as exc:
                warnings.append(f"the next payer's claim after claim {claim.id} was not built: {exc}")
    return warnings


def _crossover_carrier(payment: ClaimPayment) -> str:
    if payment.crossover_carrier:
        return payment.crossover_carrier[:120]
    remark = next((code for code in payment.remark_codes if code in CROSSOVER_REMARKS), None)
    return f"forwarded to {CROSSOVER_REMARKS[remark]} ({remark})" if remark else "forwarded to the next payer"


def _mark_crossed_over(session: Session, actor: Actor, claim: ClaimRow, payment: ClaimPayment, clock: Clock) -> None:
    carrier = _crossover_carrier(payment)
    moved = session.execute(
        update(ClaimRow)
        .where(ClaimRow.id == claim.id, ClaimRow.crossed_over_to.is_(None))
        .values(crossed_over_to=carrier, crossed_over_at=clock.now()),
        execution_options={"synchronize_session": False},
    )
    session.expire(claim, ["crossed_over_to", "crossed_over_at"])
    if getattr(moved, "rowcount", 0) == 1:
        audit(session, actor, "update", "claim", str(claim.id), "crossed over by the payer to the next payer")


def _has_next_coverage(session: Session, actor: Actor, claim: ClaimRow) -> bool:
    patient_id = session.scalar(select(EncounterRow.patient_id).where(EncounterRow.id == claim.encounter_id))
    wanted = PRIORITY[claim.payer_sequence] + 1
    found = session.scalar(
        select(CoverageRow.id).where(
            CoverageRow.clinic_id == actor.clinic_id,
            CoverageRow.patient_id == patient_id,
            CoverageRow.active.is_(True),
            CoverageRow.priority == wanted,
        )
    )
    return found is not None
