"""Posting 835s onto claims, on SQLite and PostgreSQL: matching, idempotence, reversals, and a failed
file leaving nothing behind."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, batches, billing, notes, posting
from ptbill.services.denials import denial_worklist
from ptbill.storage.tables import AuditRow, ClaimBatchRow, ClaimPaymentRow, ClaimRow, RemittanceRow
from tests.integration.test_storage_services import CLEAN, make_clinic

D = Decimal


def billed_claim(session: Session, name: str, **changes: Any) -> tuple[access.Actor, ClaimRow]:
    pt, biller, patient = make_clinic(session, name)
    document = json.loads(json.dumps(CLEAN))
    document.update(changes)
    row, _ = notes.save_encounter(session, pt, document, patient.id)
    notes.sign_encounter(session, pt, row.id)
    built = billing.build_claims(session, biller, [row.id])[0]
    stored = session.get(ClaimRow, built.id)  # the row, to read the amounts posting writes onto it
    assert stored is not None
    return biller, stored


def line(
    code: str, modifiers: tuple[str, ...], charge: str, paid: str, contractual: str, patient: str = "0"
) -> ServicePayment:
    adjustments = [Adjustment(AdjustmentGroup.CONTRACTUAL, "45", D(contractual))]
    if D(patient):
        adjustments.append(Adjustment(AdjustmentGroup.PATIENT, "2", D(patient)))
    return ServicePayment(
        "HC", code, modifiers, D(charge), D(paid), adjustments=tuple(adjustments), service_start=date(2026, 3, 2)
    )


def remittance_for(
    claim: ClaimRow,
    *,
    trace: str = "EFT-1001",
    status: ClaimStatus = ClaimStatus.PRIMARY,
    sign: int = 1,
    modifiers_back: tuple[str, ...] | None = None,
    as_expected: bool = False,
) -> Remittance:
    """A quarter of each line's charge paid, $1 to the patient and the rest contractual; or, ``as_expected``,
    each line's expected payment allowed (the patient's $1 included)."""
    lines = []
    for billed in claim.lines:
        if as_expected and billed.expected_payment is not None:
            paid = billed.expected_payment - D("1.00")
        else:
            paid = (billed.charge / 4).quantize(D("0.01"))
        contractual = billed.charge - paid - D("1.00")
        sent = modifiers_back if modifiers_back is not None else tuple(billed.modifiers)
        lines.append(
            line(billed.code, sent, str(sign * billed.charge), str(sign * paid), str(sign * contractual), str(sign * 1))
        )
    paid_total = sum((s.paid for s in lines), D(0))
    payment = ClaimPayment(
        claim.patient_control_number,
        status,
        sign * claim.total_charge,
        paid_total,
        patient_responsibility=D(sign * len(lines)),
        payer_claim_control_number="PCN-77",
        patient=PatientName("TESTWELL", "AVA", member_id="1EG4TE5MK73"),
        service_lines=tuple(lines),
    )
    return Remittance(
        payer_name="CA MEDICARE SOUTH",
        payer_id="CAMEDS",
        payee_name="HARBOR PT",
        payee_npi="1245319599",
        payee_tax_id=None,
        handling=None,
        payment_amount=paid_total,
        credit_debit=None,
        payment_method=None,
        payment_date=date(2026, 3, 20),
        trace_number=trace,
        originating_company_id=None,
        production_date=None,
        claims=(payment,),
    )


def through_x12(remittance: Remittance) -> list[Remittance]:
    return list(read_835(write_835(remittance)))


def test_a_payment_posts_onto_the_claim_and_its_lines(session: Session) -> None:
    biller, claim = billed_claim(session, "p1")
    summary = posting.post_remittances(session, biller, through_x12(remittance_for(claim)), "era.835")
    assert summary.claims_posted == 1
    assert claim.paid_amount == sum((line.charge / 4).quantize(D("0.01")) for line in claim.lines)
    assert all(line.paid_amount > 0 for line in claim.lines)
    assert claim.patient_responsibility == D("3.00")
    assert claim.payer_claim_number == "PCN-77"


def test_the_same_835_posted_twice_posts_once(session: Session) -> None:
    biller, claim = billed_claim(session, "p2")
    text = write_835(remittance_for(claim))
    first = posting.post_remittances(session, biller, read_835(text), "era.835")
    again = posting.post_remittances(session, biller, read_835(text), "era.835 (again)")
    assert (first.claims_posted, again.claims_posted, again.claims_already_posted) == (1, 0, 1)
    assert (
        session.scalar(
            select(func.count()).select_from(RemittanceRow).where(RemittanceRow.clinic_id == biller.clinic_id)
        )
        == 1
    )
    paid_once = sum((line.charge / 4).quantize(D("0.01")) for line in claim.lines)
    assert claim.paid_amount == paid_once


def test_a_reversal_takes_the_payment_back(session: Session) -> None:
    biller, claim = billed_claim(session, "p3")
    posting.post_remittances(session, biller, through_x12(remittance_for(claim)), "era.835")
    reversal = remittance_for(claim, trace="EFT-2002", status=ClaimStatus.REVERSAL, sign=-1)
    summary = posting.post_remittances(session, biller, through_x12(reversal), "reversal.835")
    assert summary.reversals == 1
    assert claim.paid_amount == D("0.00")
    assert claim.status == "reversed"


def test_a_payer_that_drops_or_reorders_modifiers_still_matches_the_line(session: Session) -> None:
    biller, claim = billed_claim(session, "p4")
    posting.post_remittances(session, biller, through_x12(remittance_for(claim, modifiers_back=())), "era.835")
    assert all(line.paid_amount > 0 for line in claim.lines)


def test_an_unknown_claim_is_recorded_but_touches_nothing(session: Session) -> None:
    biller, claim = billed_claim(session, "p5")
    ours = remittance_for(claim)
    payment = ours.claims[0]
    other = ClaimPayment(
        "NOT-OURS-1", payment.status, payment.charge, payment.paid, service_lines=payment.service_lines
    )
    summary = posting.post_remittances(
        session, biller, through_x12(dataclasses.replace(ours, claims=(other,))), "era.835"
    )
    assert summary.claims_unmatched == ["NOT-OURS-1"]
    assert claim.paid_amount == D("0.00")


def test_a_failure_in_the_middle_of_a_file_leaves_nothing_posted(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    biller, claim = billed_claim(session, "p6")
    remittance = remittance_for(claim)
    contractual = (Adjustment(AdjustmentGroup.CONTRACTUAL, "45", D("5")),)
    second = ClaimPayment("SECOND-CLAIM", ClaimStatus.PRIMARY, D("10"), D("5"), adjustments=contractual)
    remittance = dataclasses.replace(
        remittance, claims=(*remittance.claims, second), payment_amount=remittance.payment_amount + D("5")
    )
    real = posting._post_claim
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full (injected)")
        real(*args, **kwargs)

    monkeypatch.setattr(posting, "_post_claim", failing)
    with pytest.raises(RuntimeError), session.begin_nested():  # the file's own transaction
        posting.post_remittances(session, biller, through_x12(remittance), "era.835")
    session.expire_all()
    assert (
        session.scalar(
            select(func.count()).select_from(ClaimPaymentRow).where(ClaimPaymentRow.clinic_id == biller.clinic_id)
        )
        == 0
    )
    assert (
        session.scalar(
            select(func.count()).select_from(RemittanceRow).where(RemittanceRow.clinic_id == biller.clinic_id)
        )
        == 0
    )
    assert session.get(ClaimRow, claim.id).paid_amount == D("0.00")  # type: ignore[union-attr]


def answer(session: Session, biller: access.Actor, paid: ClaimRow, denied: ClaimRow) -> None:
    """Post the payer's 835 for two claims: the first paid, the second denied for medical necessity (CO-50)."""
    payment = remittance_for(paid, trace=f"EFT-{paid.id}", as_expected=True)
    refused = tuple(
        ServicePayment(
            "HC",
            billed.code,
            tuple(billed.modifiers),
            billed.charge,
            D(0),
            adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "50", billed.charge),),
            service_start=date(2026, 3, 2),
        )
        for billed in denied.lines
    )
    denial = ClaimPayment(
        denied.patient_control_number, ClaimStatus.DENIED, denied.total_charge, D(0), D(0), service_lines=refused
    )
    answered = dataclasses.replace(payment, claims=(*payment.claims, denial))
    posting.post_remittances(session, biller, through_x12(answered), "era.835")


def test_marking_a_batch_submitted_after_the_payer_answered_is_refused_and_changes_nothing(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "p7")
    claims = []
    for note_id in ("enc-paid", "enc-denied"):
        document = json.loads(json.dumps(CLEAN))
        document["id"] = note_id
        row, _ = notes.save_encounter(session, pt, document, patient.id)
        notes.sign_encounter(session, pt, row.id)
        claims += [session.get(ClaimRow, c.id) for c in billing.build_claims(session, biller, [row.id])]
    batch_id = batches.create_batch(
        session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), confirm_late=True
    ).id
    answer(session, biller, *claims)  # the payer answered before the biller marked the batch sent
    before = {claim.id: claim.status for claim in claims}
    assert sorted(before.values()) == ["denied", "paid"]
    assert [item.claim_id for group in denial_worklist(session, biller) for item in group.items] == [claims[1].id]

    with pytest.raises(access.ConflictError) as refused:
        batches.mark_batch_submitted(session, biller, batch_id, confirm_late=True)
    assert str(refused.value) == (
        f"batch {batch_id} cannot be marked submitted: its claims cannot become submitted "
        f"(denied: {claims[1].id}; paid: {claims[0].id}); nothing was changed"
    )
    session.expire_all()
    assert {claim.id: session.get(ClaimRow, claim.id).status for claim in claims} == before  # type: ignore[union-attr]
    batch = session.get(ClaimBatchRow, batch_id)
    assert batch is not None
    assert (batch.status, batch.submitted_at) == ("built", None)
    assert [item.claim_id for group in denial_worklist(session, biller) for item in group.items] == [claims[1].id]


def test_an_unbalanced_835_is_refused_naming_the_amounts_and_posted_only_when_accepted_with_an_audit_row(
    session: Session,
) -> None:
    biller, claim = billed_claim(session, "p8")
    paid = remittance_for(claim)
    (short,) = through_x12(dataclasses.replace(paid, payment_amount=paid.payment_amount - D("10.00")))
    claims_paid = short.claims[0].paid
    with pytest.raises(posting.UnbalancedRemittanceError) as refused:
        posting.post_remittances(session, biller, [short], "era.835")
    assert refused.value.problems == [
        f"remittance 0001: payment {short.payment_amount} (BPR02) is not claims paid {claims_paid} "
        f"(Σ CLP04) less provider adjustments 0 (Σ PLB) = {claims_paid}"
    ]
    assert claims_paid - short.payment_amount == D("10.00")
    assert claim.paid_amount == D("0.00")
    remittances = select(func.count()).select_from(RemittanceRow).where(RemittanceRow.clinic_id == biller.clinic_id)
    assert session.scalar(remittances) == 0

    summary = posting.post_remittances(session, biller, [short], "era.835", accept_unbalanced=True)
    assert summary.claims_posted == 1
    assert claim.paid_amount == paid.payment_amount
    overrides = list(
        session.scalars(select(AuditRow).where(AuditRow.clinic_id == biller.clinic_id, AuditRow.action == "override"))
    )
    assert [(row.entity, row.user_id) for row in overrides] == [("remittance", biller.user_id)]
    assert overrides[0].detail == "posted although it does not balance: " + refused.value.problems[0]
