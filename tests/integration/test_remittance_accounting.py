"""Remittance accounting end to end, on SQLite and PostgreSQL (issue 11 item 4): a Medicare 835 paid exactly
per the fee schedule, and a claim applied wholly to the deductible, read the same way by posting, the
denial worklist, the denial rate, expected vs paid and the claim's balance by party."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, Remittance, ServicePayment
from ptbill.remittance.accounting import Outcome
from ptbill.services import access, posting, reports
from ptbill.services.balances import claim_balances
from ptbill.services.denials import denial_worklist
from ptbill.services.reports.base import ReportParams
from ptbill.services.reports.expected_vs_paid import underpaid_lines
from ptbill.storage.tables import ClaimRow
from tests.integration.test_posting import billed_claim, remittance_for, through_x12

D = Decimal
CO, PR = AdjustmentGroup.CONTRACTUAL, AdjustmentGroup.PATIENT
PARAMS = ReportParams(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), today=date(2026, 11, 26))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def medicare_line(code: str, modifiers: tuple[str, ...], charge: Decimal, allowed: Decimal) -> ServicePayment:
    """Medicare Part B: the patient's 20 % coinsurance, 2 % sequestration of the payer's share, the
    rest of the charge above the fee schedule written off as CO-45."""
    coinsurance = cents(allowed * D("0.20"))
    sequestration = cents((allowed - coinsurance) * D("0.02"))
    paid = allowed - coinsurance - sequestration
    adjustments = (
        Adjustment(CO, "45", charge - allowed),
        Adjustment(PR, "2", coinsurance),
        Adjustment(CO, "253", sequestration),
    )
    return ServicePayment("HC", code, modifiers, charge, paid, adjustments=adjustments, service_start=date(2026, 3, 2))


def deductible_line(code: str, modifiers: tuple[str, ...], charge: Decimal, allowed: Decimal) -> ServicePayment:
    adjustments = (Adjustment(CO, "45", charge - allowed), Adjustment(PR, "1", allowed))
    return ServicePayment(
        "HC", code, modifiers, charge, D("0.00"), adjustments=adjustments, service_start=date(2026, 3, 2)
    )


MakeLine = Callable[[str, tuple[str, ...], Decimal, Decimal], ServicePayment]


def answer_with(claim: ClaimRow, make_line: MakeLine, trace: str) -> list[Remittance]:
    lines = tuple(
        make_line(line.code, tuple(line.modifiers), line.charge, line.expected_payment or D("0.00"))
        for line in claim.lines
    )
    paid = sum((s.paid for s in lines), D("0.00"))
    patient = sum((a.amount for s in lines for a in s.adjustments if a.group is PR), D("0.00"))
    base = remittance_for(claim, trace=trace)
    payment = ClaimPayment(
        claim.patient_control_number,
        ClaimStatus.PRIMARY,
        claim.total_charge,
        paid,
        patient_responsibility=patient,
        payer_claim_control_number="PCN-88",
        patient=base.claims[0].patient,
        service_lines=lines,
    )
    return through_x12(dataclasses.replace(base, claims=(payment,), payment_amount=paid))


def test_a_medicare_835_paid_exactly_per_the_fee_schedule_reads_as_paid_in_full(session: Session) -> None:
    biller, claim = billed_claim(session, "acct1")
    assert all(line.expected_payment for line in claim.lines), "the Medicare note prices every line"
    summary = posting.post_remittances(session, biller, answer_with(claim, medicare_line, "EFT-ACCT-1"), "era.835")
    assert (summary.claims_posted, summary.denied) == (1, 0)
    assert claim.status == "paid"  # before: "partial", sequestration read as an underpayment
    ((row, account),) = [(c.claim, c.account) for c in claim_balances(session, biller, [claim])]
    assert row.id == claim.id
    assert (account.outcome, account.denied, account.has_denial, account.underpaid) == (
        Outcome.PAID,
        False,
        False,
        D("0.00"),
    )
    assert account.balance.allowed == claim.expected_payment
    assert account.balance.coinsurance > 0
    assert account.balance.sequestration > 0
    assert account.balance.payer_paid + account.balance.patient + account.balance.written_off == claim.total_charge
    assert all(line.outcome is Outcome.PAID and line.answered for line in account.lines)
    assert denial_worklist(session, biller) == []
    assert underpaid_lines(session, biller, PARAMS) == []
    underpaid = reports.run(session, biller, "expected-vs-paid", PARAMS)
    assert [r.underpaid for r in underpaid.rows] == [D("0.00")] * len(underpaid.rows)
    assert all(r.allowed == r.expected for r in underpaid.rows)
    rate = reports.run(session, biller, "denial-rate", PARAMS)
    assert [(r.claims, r.denied) for r in rate.rows] == [(1, 0)]


def test_a_claim_applied_wholly_to_the_deductible_is_processed_not_denied(session: Session) -> None:
    biller, claim = billed_claim(session, "acct2")
    answer = answer_with(claim, deductible_line, "EFT-ACCT-2")
    assert answer[0].claims[0].paid == D("0.00")
    summary = posting.post_remittances(session, biller, answer, "era.835")
    assert (summary.claims_posted, summary.denied) == (1, 0)  # before: counted as denied
    assert claim.status == "paid"  # before: "denied"
    assert claim.paid_amount == D("0.00")
    assert claim.patient_responsibility == claim.expected_payment
    ((_, account),) = [(c.claim, c.account) for c in claim_balances(session, biller, [claim])]
    assert (account.outcome, account.denied, account.underpaid) == (Outcome.PAID, False, D("0.00"))
    assert account.balance.deductible == claim.expected_payment
    assert denial_worklist(session, biller) == []
    rate = reports.run(session, biller, "denial-rate", PARAMS)
    assert [(r.claims, r.denied, r.denied_pct) for r in rate.rows] == [(1, 0, 0)]


def test_an_underpaid_claim_stays_partial_and_lists_its_lines(session: Session) -> None:
    biller, claim = billed_claim(session, "acct3")
    posting.post_remittances(session, biller, through_x12(remittance_for(claim, trace="EFT-ACCT-3")), "era.835")
    assert claim.status == "partial"
    lines = underpaid_lines(session, biller, PARAMS)
    assert lines
    assert all(line.short > D("0.50") and line.allowed < line.expected for line in lines)


def test_a_biller_of_another_clinic_sees_no_balances(session: Session) -> None:
    biller, claim = billed_claim(session, "acct4")
    other, _ = billed_claim(session, "acct5")
    assert claim_balances(session, other, [claim]) == []
    assert isinstance(biller, access.Actor)
