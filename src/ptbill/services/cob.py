"""Coordination of benefits: the claim to the next payer in the patient's order, built from the answer of the
payer before it, and the Medicare crossover, where the primary payer sends the claim on itself.

The contract every reader relies on: the claim to payer n+1 is a ClaimRow whose ``prior_claim_id`` is payer
n's claim and whose ``payer_sequence`` is S (secondary) or T (tertiary); a primary claim the payer crossed
over has ``crossed_over_to`` set, and the secondary payer's answer is posted on a secondary ClaimRow made for
it (never batched). The secondary 837P carries loops 2320/2330A/2330B and, per line, 2430 (005010X222A1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.build import ClaimBuildError, claim_payer
from ptbill.claims.x12_837p.writer import cob_problems
from ptbill.domain.claim import Claim, ClaimFrequency, InsuredName, OtherPayer, OtherPayerLine, Person
from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment
from ptbill.domain.status import ClaimState
from ptbill.domain.vocabulary import BILLERS
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, ConflictError, require_role
from ptbill.services.audit import audit
from ptbill.services.balances import payment_of
from ptbill.services.billing import ClaimRecord, claim_domain, claim_record, claim_row
from ptbill.services.payers import clinic_layer
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, CoverageRow, EncounterRow, RemittanceRow

ZERO = Decimal("0.00")
NEXT = {"P": "S", "S": "T"}
PRIORITY = {"P": 1, "S": 2, "T": 3}
MAX_CONTROL_NUMBER = 38


def next_claim(session: Session, clinic_id: int, prior_id: int, sequence: str) -> ClaimRow | None:
    """The claim to the payer at ``sequence`` that follows claim ``prior_id``, if there is one."""
    return session.scalar(
        select(ClaimRow).where(
            ClaimRow.clinic_id == clinic_id, ClaimRow.prior_claim_id == prior_id, ClaimRow.payer_sequence == sequence
        )
    )


def build_next_claim(
    session: Session, actor: Actor, prior_claim_id: int, *, clock: Clock = SYSTEM_CLOCK, crossover: bool = False
) -> ClaimRecord:
    """The claim to the next payer after claim ``prior_claim_id``, frozen and waiting to be batched; the one
    already built when there is one (never two for one answer: the prior claim is locked first, and a
    unique index on (prior claim, sequence) backs it). ConflictError says why it cannot be built.

    ``crossover``: the row for a secondary payer that received the claim from the primary payer itself:
    marked submitted, never batched, so the secondary's 835 posts onto it.
    """
    require_role(actor, BILLERS)
    prior = claim_row(session, actor, prior_claim_id)
    sequence = NEXT.get(prior.payer_sequence)
    if sequence is None:
        raise ConflictError(f"claim {prior.id} went to the tertiary payer: ptbill bills no payer after it")
    session.flush()  # on SQLite, this first write takes the writer lock; on PostgreSQL the claim is locked next
    session.execute(select(ClaimRow.id).where(ClaimRow.id == prior.id).with_for_update())
    existing = next_claim(session, actor.clinic_id, prior.id, sequence)
    if existing is not None:
        return claim_record(existing)
    if prior.crossed_over_to and not crossover:
        raise ConflictError(
            f"claim {prior.id} was crossed over to {prior.crossed_over_to}: that payer received it from the "
            "primary payer, so ptbill does not bill it again; its 835 posts on its own"
        )
    coverage = _coverage(session, actor, prior, sequence)
    answers = _answers(session, prior.id)
    if not answers:
        raise ConflictError(f"claim {prior.id}: the payer's adjudication is missing; post its 835 first")
    claim = _next_claim(session, actor, prior, claim_domain(session, actor, prior, clock=clock), coverage, answers)
    problems = cob_problems(claim)
    if problems:
        raise ConflictError(f"claim {prior.id}: " + "; ".join(problems))
    from ptbill.services.frozen_claims import new_claim_row

    row = new_claim_row(actor.clinic_id, prior.encounter_id, claim, default_catalog())
    row.payer_sequence, row.prior_claim_id, row.coverage_id = sequence, prior.id, coverage.id
    row.note_version, row.note_hash = prior.note_version, prior.note_hash  # the same note as the first claim
    if crossover:
        row.status, row.submitted_at = ClaimState.SUBMITTED, clock.now()
    session.add(row)
    session.flush()
    kind = "crossover" if crossover else "claim"
    audit(session, actor, "create", "claim", str(row.id), f"{kind} to payer {sequence} after claim {prior.id}")
    audit(session, actor, "update", "claim", str(prior.id), f"next payer's {kind} {row.id} built")
    return claim_record(row)


def _coverage(session: Session, actor: Actor, prior: ClaimRow, sequence: str) -> CoverageRow:
    patient_id = session.scalar(select(EncounterRow.patient_id).where(EncounterRow.id == prior.encounter_id))
    coverage = session.scalar(
        select(CoverageRow)
        .where(
            CoverageRow.clinic_id == actor.clinic_id,
            CoverageRow.patient_id == patient_id,
            CoverageRow.active.is_(True),
            CoverageRow.priority == PRIORITY[sequence],
        )
        .order_by(CoverageRow.id)
    )
    if coverage is None:
        named = "secondary" if sequence == "S" else "tertiary"
        raise ConflictError(f"claim {prior.id}: the patient has no active {named} coverage")
    return coverage


def _answers(session: Session, claim_id: int) -> list[tuple[ClaimPayment, tuple[int | None, ...], date]]:
    """The payer's answers posted on the claim, with the lines they matched and their payment date."""
    rows = session.execute(
        select(ClaimPaymentRow, RemittanceRow.payment_date, RemittanceRow.posted_at)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .where(ClaimPaymentRow.claim_id == claim_id)
        .order_by(ClaimPaymentRow.id)
    )
    return [(*payment_of(row), paid_on or posted_at.date()) for row, paid_on, posted_at in rows]


def _liability(adjustments: Sequence[Adjustment]) -> Decimal:
    return sum((a.amount for a in adjustments if a.group is AdjustmentGroup.PATIENT), ZERO)


def _other_payer(prior: Claim, answers: Sequence[tuple[ClaimPayment, tuple[int | None, ...], date]]) -> OtherPayer:
    """The prior payer's answers on our claim as the next payer reads them (2320/2330B and, per line, 2430)."""
    adjudicated = max(day for _, _, day in answers)
    by_line: dict[int, tuple[Decimal, list[Adjustment]]] = {}
    claim_level: list[Adjustment] = []
    for payment, matched, _ in answers:
        claim_level += payment.adjustments
        for service, number in zip(payment.service_lines, matched, strict=True):
            if number is None:
                raise ConflictError(f"the payer answered {service.billed_code}, which matched no line of the claim")
            paid, adjustments = by_line.get(number, (ZERO, []))
            by_line[number] = (paid + service.paid, adjustments + list(service.adjustments))
    lines = []
    for line in prior.lines:
        if line.line_number not in by_line:
            continue
        paid, adjustments = by_line[line.line_number]
        lines.append(
            OtherPayerLine(
                line.line_number,
                line.code,
                line.modifiers,
                line.units,
                paid,
                tuple(adjustments),
                adjudicated,
                _liability(adjustments),
            )
        )
    return OtherPayer(
        sequence=prior.payer_sequence,
        payer_name=prior.payer.name,
        payer_identifier=prior.payer.payer_identifier,
        filing_indicator=prior.payer.filing_indicator,
        subscriber=InsuredName(prior.subscriber.last_name, prior.subscriber.first_name),
        relationship=prior.relationship,
        member_id=prior.member_id,
        group_number=prior.group_number,
        paid=sum((p.paid for p, _, _ in answers), ZERO),
        adjudicated=adjudicated,
        patient_liability=_liability(claim_level) + sum((line.patient_liability for line in lines), ZERO),
        adjustments=tuple(claim_level),
        payer_claim_number=next((p.payer_claim_control_number for p, _, _ in reversed(answers)), None),
        lines=tuple(lines),
    )


def _next_claim(
    session: Session,
    actor: Actor,
    prior_row: ClaimRow,
    prior: Claim,
    coverage: CoverageRow,
    answers: Sequence[tuple[ClaimPayment, tuple[int | None, ...], date]],
) -> Claim:
    other = _other_payer(prior, answers)
    if other.patient_liability <= ZERO:
        raise ConflictError(f"claim {prior_row.id}: the payer left nothing for the next payer (no PR adjustment)")
    try:
        payer = claim_payer(
            default_catalog(),
            coverage.payer_id,
            prior.service_date,
            clinic_layer(session, actor.clinic_id, coverage.payer_id),
        )
    except ClaimBuildError as exc:
        raise ConflictError(str(exc)) from None
    relationship = coverage.relationship_to_insured
    subscriber = prior.patient
    if relationship != "self":
        if not (coverage.subscriber_first_name and coverage.subscriber_last_name and coverage.subscriber_birth_date):
            raise ConflictError(f"coverage {coverage.id}: record the subscriber's name and birth date")
        subscriber = Person(
            coverage.subscriber_first_name, coverage.subscriber_last_name, coverage.subscriber_birth_date, "U"
        )
    sequence = NEXT[prior_row.payer_sequence]
    suffix = f"-{sequence}"
    return dataclasses.replace(
        prior,
        claim_id=prior_row.patient_control_number[: MAX_CONTROL_NUMBER - len(suffix)] + suffix,
        payer=payer,
        subscriber=subscriber,
        relationship=relationship,
        member_id=coverage.member_id,
        group_number=coverage.group_number,
        prior_authorization=None,
        frequency=ClaimFrequency.ORIGINAL,
        original_claim_number=None,
        payer_sequence=sequence,
        other_payers=(*prior.other_payers, other),
        # What the next payer pays is not the primary's fee schedule: nothing is expected of it line by line.
        lines=tuple(dataclasses.replace(line, expected_payment=None) for line in prior.lines),
    )
