"""The claim page's order of benefits: the claim of the payer before this one, the claims to the payers
after it, a crossover, the timeline events they make, and whether "Build the secondary claim" can be offered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.billing import ClaimRecord, claim_record
from ptbill.services.claim_page import TimelineEvent
from ptbill.storage.tables import ClaimRow

PLACES = {"P": "primary", "S": "secondary", "T": "tertiary"}


@dataclass(frozen=True, slots=True)
class CobView:
    place: str  # primary, secondary, tertiary
    prior: ClaimRecord | None  # the claim of the payer before this one
    following: tuple[ClaimRecord, ...]  # the claims to the payers after it
    next_place: str | None  # the place a "Build the ... claim" button would build; None: no button
    events: tuple[TimelineEvent, ...]


def cob_view(session: Session, actor: Actor, claim: ClaimRecord) -> CobView:
    prior_row = session.get(ClaimRow, claim.prior_claim_id) if claim.prior_claim_id else None
    prior = claim_record(prior_row) if prior_row is not None and prior_row.clinic_id == actor.clinic_id else None
    following = tuple(
        claim_record(row)
        for row in session.scalars(
            select(ClaimRow)
            .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.prior_claim_id == claim.id)
            .order_by(ClaimRow.id)
        )
    )
    events: list[TimelineEvent] = []
    if claim.crossed_over_to:
        events.append(
            TimelineEvent(
                "crossed_over",
                "Crossed over",
                at=claim.crossed_over_at,
                detail=f"by the payer to {claim.crossed_over_to}",
            )
        )
    for later in following:
        what = PLACES.get(later.payer_sequence, later.payer_sequence)
        how = "received by crossover" if later.batch_id is None and later.submitted_at else "built"
        events.append(
            TimelineEvent(
                "next_payer",
                f"{what.capitalize()} claim {how}",
                at=later.created_at,
                detail=f"claim {later.patient_control_number} to {later.payer_id}",
                link=f"/claims/{later.id}",
            )
        )
    answered = claim.status in ("paid", "partial", "denied")
    next_place = None
    if claim.payer_sequence != "T" and not following and not claim.crossed_over_to and answered:
        next_place = PLACES["S" if claim.payer_sequence == "P" else "T"]
    return CobView(PLACES.get(claim.payer_sequence, claim.payer_sequence), prior, following, next_place, tuple(events))
