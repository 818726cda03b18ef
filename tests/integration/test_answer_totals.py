"""Each posted answer's stored figures (``services.answer_totals``, migration 0015_answer_totals) are what
``remittance.accounting`` says of it, to the cent: for every answer of the seeded demo clinic (its payers'
835s posted, denials and underpayments among them), a payment and its reversal, and an answer matched by
hand; and the sums the reports take in SQL are the claims' accounts. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.remittance import ClaimStatus
from ptbill.remittance.accounting import Balance
from ptbill.services import access, posting, unmatched
from ptbill.services.answer_totals import FIGURES, fill_missing, stored_accounts
from ptbill.services.balances import account_of_payment, accounts_for
from ptbill.services.demo_data import seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.services.reports.expected_vs_paid import line_balances
from ptbill.services.reports.ledger import answer_facts, answered_balances
from ptbill.storage.tables import ClaimPaymentLineRow, ClaimPaymentRow, ClaimRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.integration.test_posting import billed_claim, remittance_for, through_x12

ZERO = Decimal("0.00")


def _stored(row: Any) -> Balance:
    return Balance(row.charge, row.paid, *(getattr(row, column) for _, column in FIGURES))


@pytest.fixture
def posted(session: Session) -> list[access.Actor]:
    """The demo clinic with its payers' answers posted, a clinic whose claim was paid and then reversed, and
    one whose payer's answer named no claim of its own until the biller matched it by hand."""
    seed_demo(session, encounters=120, patients=20, today=DEMO_TODAY)
    simulate_payments(session, today=DEMO_TODAY)
    row = session.scalars(select(UserRow).where(UserRow.role == "biller").order_by(UserRow.id)).first()
    assert row is not None
    demo = access.Actor(row.id, row.clinic_id, "biller", row.name)
    biller, claim = billed_claim(session, "reversed")
    posting.post_remittances(session, biller, through_x12(remittance_for(claim)), "era.835")
    reversal = remittance_for(claim, trace="EFT-2002", status=ClaimStatus.REVERSAL, sign=-1)
    posting.post_remittances(session, biller, through_x12(reversal), "reversal.835")
    # an answer naming a control number the clinic never sent, matched by hand to the claim it pays
    other, paid = billed_claim(session, "matched")
    sent = remittance_for(paid, trace="EFT-3003")
    misspelt = dataclasses.replace(sent.claims[0], patient_control_number="NOSUCH1")
    posting.post_remittances(session, other, through_x12(dataclasses.replace(sent, claims=(misspelt,))), "stray.835")
    stray = session.scalar(select(ClaimPaymentRow.id).where(ClaimPaymentRow.clinic_id == other.clinic_id))
    assert stray is not None
    unmatched.match_payment(session, other, stray, paid.id)
    session.expire_all()
    return [demo, biller, other]


def _check_every_answer(session: Session, clinics: list[access.Actor]) -> int:
    checked = 0
    for actor in clinics:
        answers = session.scalars(
            select(ClaimPaymentRow).where(ClaimPaymentRow.clinic_id == actor.clinic_id).order_by(ClaimPaymentRow.id)
        ).all()
        facts = answer_facts(session, actor.clinic_id, [(a.id,) for a in answers])
        for answer in answers:
            account = account_of_payment(answer)
            assert _stored(answer) == account.balance, f"answer {answer.id}"
            assert answer.denied == account.denied
            assert answer.denial_keys == [
                f"{r.group.value if r.group else ''}-{r.carc}" for r in account.denial_reasons
            ]
            assert facts[answer.id] == type(facts[answer.id])(account.balance, account.has_denial)
            lines = session.scalars(
                select(ClaimPaymentLineRow)
                .where(ClaimPaymentLineRow.claim_payment_id == answer.id)
                .order_by(ClaimPaymentLineRow.position)
            ).all()
            assert [line.line_number for line in lines] == [raw.get("matched_line") for raw in answer.lines]
            assert [_stored(line) for line in lines] == [line.balance for line in account.lines]
            assert {line.claim_id for line in lines} <= {answer.claim_id}
            checked += 1
        _check_claims(session, actor)
    return checked


def _check_claims(session: Session, actor: access.Actor) -> None:
    """The reports' sums in SQL equal each claim's account over all its answers."""
    claims = session.scalars(
        select(ClaimRow).where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.status != "built")
    ).all()
    accounts = accounts_for(session, actor.clinic_id, claims)
    summed = answered_balances(session, actor.clinic_id, [], {c.id for c in claims})
    lines = line_balances(session, actor.clinic_id, [])
    stored = stored_accounts(session.connection(), actor.clinic_id, [])
    for claim in claims:
        account = accounts[claim.id]
        assert summed.get(claim.id, Balance()) == account.balance, f"claim {claim.id}"
        if account.answers:  # what the denial summary reads: denied, for what, how much
            read = stored[claim.id]
            assert (read.balance, read.denied, read.has_denial, read.denial_reasons, read.denied_amount) == (
                account.balance,
                account.denied,
                account.has_denial,
                account.denial_reasons,
                account.denied_amount,
            )
        for line in account.lines:
            if line.line_number is None or not line.answered:
                continue
            read = dataclasses.replace(line, balance=lines[(claim.id, line.line_number)])
            assert (read.underpaid, read.balance.allowed, read.balance.payer_paid) == (
                line.underpaid,
                line.balance.allowed,
                line.balance.payer_paid,
            )


def test_every_posted_answer_stores_what_the_accounting_says_of_it(
    session: Session, posted: list[access.Actor]
) -> None:
    checked = _check_every_answer(session, posted)
    denied = session.scalar(select(ClaimPaymentRow.id).where(ClaimPaymentRow.denied.is_(True)))
    reversal = session.scalar(select(ClaimPaymentRow.id).where(ClaimPaymentRow.status_code == "22"))
    assert checked > 40
    assert denied is not None
    assert reversal is not None


def test_an_answer_stored_without_its_figures_is_accounted_on_the_next_read(
    session: Session, posted: list[access.Actor]
) -> None:
    demo = posted[0]
    session.execute(
        update(ClaimPaymentRow)
        .where(ClaimPaymentRow.clinic_id == demo.clinic_id)
        .values({column: None for _, column in FIGURES} | {"denied": None, "denial_keys": None, "denial_reasons": None})
    )
    session.execute(ClaimPaymentLineRow.__table__.delete().where(ClaimPaymentLineRow.clinic_id == demo.clinic_id))
    assert fill_missing(session.connection(), demo.clinic_id) > 30
    session.expire_all()
    _check_every_answer(session, [demo])
