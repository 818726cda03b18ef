"""A patient's visit and the payers' answers to it, for the ledger's tests: a Medicare primary 835
(CO-45, PR-2 coinsurance, CO-253), a next payer's claim that follows it (as the COB helper builds them:
``prior_claim_id`` and ``payer_sequence``), and that payer's 835 (OA-23 for what the primary settled)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, Remittance, ServicePayment
from ptbill.services import access, posting
from ptbill.storage.tables import ClaimLineRow, ClaimRow, UserRow
from tests.integration.api.world import A_USERS, World, billed_claim
from tests.integration.test_posting import remittance_for, through_x12
from tests.integration.test_remittance_accounting import answer_with, medicare_line

D = Decimal
OA, PR = AdjustmentGroup.OTHER, AdjustmentGroup.PATIENT


def post_primary(session: Session, biller: access.Actor, claim: ClaimRow, trace: str = "EFT-LEDGER-1") -> Remittance:
    (remittance,) = answer_with(claim, medicare_line, trace)
    posting.post_remittance(session, biller, remittance, "primary.835")
    return remittance


def coinsurance_by_line(remittance: Remittance) -> list[Decimal]:
    return [sum((a.amount for a in s.adjustments if a.group is PR), D(0)) for s in remittance.claims[0].service_lines]


def next_claim(session: Session, prior: ClaimRow, payer_id: str = "MEDIGAP1", sequence: str = "S") -> ClaimRow:
    """The next payer's claim for the same visit (the COB contract: prior_claim_id, payer_sequence)."""
    row = ClaimRow(
        clinic_id=prior.clinic_id,
        encounter_id=prior.encounter_id,
        patient_control_number=f"{prior.patient_control_number}{sequence}",
        payer_id=payer_id,
        status="submitted",
        total_charge=prior.total_charge,
        service_date=prior.service_date,
        payer_sequence=sequence,
        prior_claim_id=prior.id,
        lines=[
            ClaimLineRow(
                line_number=line.line_number,
                code=line.code,
                modifiers=list(line.modifiers),
                units=line.units,
                charge=line.charge,
                diagnosis_pointers=list(line.diagnosis_pointers),
            )
            for line in prior.lines
        ],
    )
    session.add(row)
    session.flush()
    return row


def secondary_answer(claim: ClaimRow, pays: list[Decimal], owed: list[Decimal], trace: str) -> Remittance:
    """The next payer restates each line's charge, adjusts off what the payer before settled (OA-23), pays
    ``pays`` and leaves ``owed - pays`` on the patient (PR-2)."""
    lines = []
    for billed, paid, due in zip(claim.lines, pays, owed, strict=True):
        adjustments = [Adjustment(OA, "23", billed.charge - due)]
        if due - paid:
            adjustments.append(Adjustment(PR, "2", due - paid))
        lines.append(
            ServicePayment(
                "HC",
                billed.code,
                tuple(billed.modifiers),
                billed.charge,
                paid,
                adjustments=tuple(adjustments),
                service_start=claim.service_date,
            )
        )
    base = remittance_for(claim, trace=trace)
    paid_total = sum(pays, D(0))
    payment = ClaimPayment(
        claim.patient_control_number,
        ClaimStatus.SECONDARY,
        claim.total_charge,
        paid_total,
        patient_responsibility=sum(owed, D(0)) - paid_total,
        payer_claim_control_number=f"{trace}-S",
        patient=base.claims[0].patient,
        service_lines=tuple(lines),
    )
    (remittance,) = through_x12(
        dataclasses.replace(
            base, claims=(payment,), payment_amount=paid_total, payer_id="MEDIGAP1", payment_date=date(2026, 4, 10)
        )
    )
    return remittance


def answered_visit(world: World, trace: str) -> tuple[int, Decimal]:
    """A new patient's Medicare claim, billed through the API and answered by Medicare's 835 (``trace``): the
    patient's id and the coinsurance it left to them."""
    patient, claim = billed_claim(world, sent=False)
    with world.session() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == A_USERS["biller"])).one()
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        remittance = post_primary(session, access.Actor(user.id, user.clinic_id, user.role, user.name), row, trace)
        session.commit()
    return patient, sum(coinsurance_by_line(remittance), D(0))
