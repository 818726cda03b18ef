"""The claim page's order of benefits: the claim of the payer before this one, the claims to the payers
after it, a crossover, the timeline events they make, and whether "Build the secondary claim" can be offered."""

from __future__ import annotations

from dataclasses import dataclass

from ptbill.services.billing import ClaimRecord
from ptbill.services.claim_page import TimelineEvent

PLACES = {"P": "primary", "S": "secondary", "T": "tertiary"}


@dataclass(frozen=True, slots=True)
class CobView:
    place: str  # primary, secondary, tertiary
    prior: ClaimRecord | None  # the claim of the payer before this one
    following: tuple[ClaimRecord, ...]  # the claims to the payers after it
    next_place: str | None  # the place a "Build the ... claim" button would build; None: no button
    events: tuple[TimelineEvent, ...]


def cob_of(claim: ClaimRecord, prior: ClaimRecord | None, following: tuple[ClaimRecord, ...]) -> CobView:
    """The view from the claims already read: the clinic's claim before this one, and those after it by id."""
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
