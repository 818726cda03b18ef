"""Two clerks recording money for the same patient at the same moment, on PostgreSQL with real parallel
connections (and on SQLite, which serializes writers): together they never apply more than the patient
owes on a visit, and two refunds together never give back more than the credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.services import access
from ptbill.services.patient_ledger import ledger_invariants, patient_ledger
from ptbill.services.patient_payments import record_payment, record_refund
from ptbill.storage.session import transaction
from ptbill.storage.tables import ClaimRow, EncounterRow, PaymentApplicationRow
from tests.integration.ledger_world import coinsurance_by_line, post_primary
from tests.integration.test_concurrency import Clinic, billed_claims, together
from tests.integration.test_concurrency import clinic as clinic  # noqa: PLC0414 - the module's fixtures
from tests.integration.test_concurrency import factory as factory  # noqa: PLC0414

D = Decimal
ROUNDS = 4
CLOCK = FixedClock(date(2026, 5, 1))


def answered(factory: sessionmaker[Session], clinic: Clinic) -> list[tuple[int, int, Decimal]]:
    """``ROUNDS`` visits, each another patient's, answered by Medicare: (patient, claim, what the patient owes)."""
    visits = []
    for claim_id in billed_claims(factory, clinic, count=ROUNDS):
        with transaction(factory) as session:
            claim = session.get(ClaimRow, claim_id)
            assert claim is not None
            remittance = post_primary(session, clinic.biller, claim, trace=f"EFT-PAYC-{claim_id}")
            encounter = session.get(EncounterRow, claim.encounter_id)
            assert encounter is not None
            visits.append((encounter.patient_id, claim_id, sum(coinsurance_by_line(remittance), D(0))))
    return visits


def pay(factory: sessionmaker[Session], actor: access.Actor, patient_id: int, amount: Decimal) -> object:
    with transaction(factory) as session:
        return record_payment(session, actor, patient_id, str(amount), "cash", clock=CLOCK)


def refund(factory: sessionmaker[Session], actor: access.Actor, patient_id: int, amount: Decimal) -> object:
    with transaction(factory) as session:
        return record_refund(session, actor, patient_id, str(amount), "check", "5001", clock=CLOCK)


def test_two_payments_at_once_never_apply_more_than_is_owed(factory: sessionmaker[Session], clinic: Clinic) -> None:
    sqlite = factory.kw["bind"].dialect.name == "sqlite"
    for patient_id, claim_id, owes in answered(factory, clinic):
        share = (owes * D("0.6")).quantize(D("0.01"))  # each alone fits; both together do not
        results = together(
            partial(pay, factory, clinic.biller, patient_id, share),
            partial(pay, factory, clinic.biller, patient_id, share),
        )
        kinds = sorted(type(r).__name__ for r in results)
        assert kinds == ["PaymentResult", "PaymentResult"] or (sqlite and "DatabaseBusyError" in kinds), results
        with factory() as session:
            applied = session.scalar(
                select(func.coalesce(func.sum(PaymentApplicationRow.amount), 0)).where(
                    PaymentApplicationRow.claim_id == claim_id
                )
            )
            assert D(applied) <= owes
            ledger = patient_ledger(session, clinic.biller, patient_id, today=CLOCK.today())
            paid = D(share) * kinds.count("PaymentResult")
            assert D(applied) == min(owes, paid)
            assert ledger.credit == paid - D(applied)
            assert ledger_invariants(ledger) == []
            session.rollback()
        if kinds.count("PaymentResult") == 2:
            results = together(
                partial(refund, factory, clinic.biller, patient_id, ledger.credit),
                partial(refund, factory, clinic.biller, patient_id, ledger.credit),
            )
            kinds = sorted(type(r).__name__ for r in results)
            assert kinds == ["ConflictError", "PaymentResult"] or (sqlite and "DatabaseBusyError" in kinds), results
            with factory() as session:
                after = patient_ledger(session, clinic.biller, patient_id, today=CLOCK.today())
                assert after.credit >= D(0)
                assert ledger_invariants(after) == []
