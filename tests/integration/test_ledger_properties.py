"""A property test of the patient ledger: random sequences of payer answers (CO, PR and OA adjustments,
denials, claim-level sequestration), reversals, transfers to a next payer and that payer's answers, patient
payments, credits applied, refunds and write-offs, each through the services that record them. After every
step the ledger's invariants hold, nothing that must not go negative does (the open balance per line and
party, the patient's credit), and a refund above the credit is refused.

Each step happens a day after the one before, so the order of answers, payments and write-offs varies.
SQLite runs 20 examples of up to 12 steps; PostgreSQL a smaller variant (6 steps). Each example runs in a
savepoint rolled back.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.services import access, posting
from ptbill.services.access import ConflictError
from ptbill.services.patient_ledger import PatientLedger, ledger_invariants, patient_ledger
from ptbill.services.patient_payments import apply_credit, record_payment, record_refund
from ptbill.services.write_offs import write_off
from ptbill.storage.tables import ClaimRow, EncounterRow
from tests.integration.ledger_world import next_claim
from tests.integration.test_patient_payments import second_visit
from tests.integration.test_posting import billed_claim, remittance_for

D = Decimal
CO, PR, OA = AdjustmentGroup.CONTRACTUAL, AdjustmentGroup.PATIENT, AdjustmentGroup.OTHER
FIRST_DAY = date(2026, 4, 1)  # each step happens a day after the one before
CENT = D("0.01")

fraction = st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 100)
line_answer = st.tuples(
    st.sampled_from(["paid", "denied"]),
    fraction,  # allowed, as a share of the charge
    st.sampled_from([D(0), D("0.2"), D(1)]),  # the patient's share of the allowed amount
    st.sampled_from(["1", "2", "3"]),  # its CARC: deductible, coinsurance, copay
    st.booleans(),  # an OA adjustment of part of the allowed amount, not a denial
)
step = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 1), st.lists(line_answer, min_size=4, max_size=4), st.booleans()),
    st.tuples(st.just("reverse"), st.integers(0, 1)),
    st.tuples(st.just("next payer"), st.integers(0, 1), fraction),
    st.tuples(st.just("pay"), st.integers(1, 120), st.booleans()),
    st.tuples(st.just("refund"), fraction, st.booleans()),
    st.tuples(st.just("apply credit"), st.just(0)),
    st.tuples(st.just("write off"), st.integers(0, 1), fraction, st.sampled_from(["small_balance", "timely_filing"])),
)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def service_line(billed: object, plan: tuple[str, Decimal, Decimal, str, bool]) -> ServicePayment:
    outcome, allowed_share, patient_share, carc, other = plan
    charge: Decimal = billed.charge  # type: ignore[attr-defined]
    code, modifiers = billed.code, tuple(billed.modifiers)  # type: ignore[attr-defined]
    if outcome == "denied":
        adjustments: tuple[Adjustment, ...] = (Adjustment(CO, "197", charge),)
        return ServicePayment("HC", code, modifiers, charge, D("0.00"), adjustments=adjustments)
    allowed = cents(charge * allowed_share)
    patient = cents(allowed * patient_share)
    oa = cents((allowed - patient) / 10) if other else D(0)
    paid = allowed - patient - oa
    adjustments = tuple(
        a
        for a in (Adjustment(CO, "45", charge - allowed), Adjustment(PR, carc, patient), Adjustment(OA, "94", oa))
        if a.amount
    )
    return ServicePayment("HC", code, modifiers, charge, paid, adjustments=adjustments)


def negated(payment: ClaimPayment) -> ClaimPayment:
    def lines(s: ServicePayment) -> ServicePayment:
        adjustments = tuple(dataclasses.replace(a, amount=-a.amount) for a in s.adjustments)
        return dataclasses.replace(s, charge=-s.charge, paid=-s.paid, adjustments=adjustments)

    return dataclasses.replace(
        payment,
        status=ClaimStatus.REVERSAL,
        charge=-payment.charge,
        paid=-payment.paid,
        patient_responsibility=-(payment.patient_responsibility or D(0)),
        adjustments=tuple(dataclasses.replace(a, amount=-a.amount) for a in payment.adjustments),
        service_lines=tuple(lines(s) for s in payment.service_lines),
    )


class World:
    """Two visits of one patient, the answers standing on each claim, and a counter for trace numbers."""

    def __init__(self, session: Session, biller: access.Actor, visits: list[ClaimRow]) -> None:
        self.session, self.biller, self.visits = session, biller, visits
        encounter = session.get(EncounterRow, visits[0].encounter_id)
        assert encounter is not None
        self.patient_id = encounter.patient_id
        self.standing: dict[int, list[ClaimPayment]] = {}
        self.next_of: dict[int, ClaimRow] = {}
        self.traces = 0
        self.clock = FixedClock(FIRST_DAY)

    def post(self, claim: ClaimRow, payment: ClaimPayment) -> None:
        self.traces += 1
        base = remittance_for(claim, trace=f"PROP-{self.traces}")
        remittance = dataclasses.replace(
            base, claims=(payment,), payment_amount=payment.paid, payment_date=self.clock.today()
        )
        posting.post_remittance(self.session, self.biller, remittance, "prop.835")

    def claim_for(self, visit: int) -> ClaimRow:
        """The claim an answer goes to: the next payer's, once the visit has one."""
        first = self.visits[visit]
        return self.next_of.get(first.id, first)

    def answer(self, visit: int, plans: list[tuple[str, Decimal, Decimal, str, bool]], sequester: bool) -> None:
        claim = self.claim_for(visit)
        if self.standing.get(claim.id):
            return  # a payer answers once; it may take an answer back (a reversal) and answer again
        if claim.prior_claim_id is not None:
            owed = self.owed_to_next(visit)
            lines = tuple(
                self.next_line(billed, due, plan) for billed, due, plan in zip(claim.lines, owed, plans, strict=False)
            )
        else:
            lines = tuple(service_line(billed, plan) for billed, plan in zip(claim.lines, plans, strict=False))
        paid = sum((s.paid for s in lines), D(0))
        claim_level: tuple[Adjustment, ...] = ()
        if sequester and paid >= D(1):
            claim_level = (Adjustment(CO, "253", D("0.50")),)
            paid -= D("0.50")
        patient = sum((a.amount for s in lines for a in s.adjustments if a.group is PR), D(0))
        payment = ClaimPayment(
            claim.patient_control_number,
            ClaimStatus.SECONDARY if claim.prior_claim_id else ClaimStatus.PRIMARY,
            sum((s.charge for s in lines), D(0)),
            paid,
            patient_responsibility=patient,
            payer_claim_control_number=f"PCN-{claim.id}-{self.traces}",
            adjustments=claim_level,
            service_lines=lines,
        )
        self.post(claim, payment)
        self.standing.setdefault(claim.id, []).append(payment)

    def owed_to_next(self, visit: int) -> list[Decimal]:
        """What the first payer's standing answer put on the patient, line by line."""
        first = self.visits[visit]
        owed = [D(0)] * len(first.lines)
        for payment in self.standing.get(first.id, []):
            for index, s in enumerate(payment.service_lines):
                owed[index] += sum((a.amount for a in s.adjustments if a.group is PR), D(0))
        return owed

    @staticmethod
    def next_line(billed: object, due: Decimal, plan: tuple[str, Decimal, Decimal, str, bool]) -> ServicePayment:
        charge: Decimal = billed.charge  # type: ignore[attr-defined]
        paid = cents(due * plan[1])
        adjustments = tuple(
            a for a in (Adjustment(OA, "23", charge - due), Adjustment(PR, "2", due - paid)) if a.amount
        )
        return ServicePayment("HC", billed.code, tuple(billed.modifiers), charge, paid, adjustments=adjustments)  # type: ignore[attr-defined]

    def reverse(self, visit: int) -> None:
        claim = self.claim_for(visit)
        standing = self.standing.get(claim.id)
        if not standing:
            return
        self.post(claim, negated(standing.pop()))

    def next_payer(self, visit: int) -> None:
        first = self.visits[visit]
        if first.id not in self.next_of and self.standing.get(first.id):
            self.next_of[first.id] = next_claim(self.session, first)

    def apply(self, action: tuple[object, ...], ledger: PatientLedger) -> None:
        kind = action[0]
        if kind == "answer":
            self.answer(action[1], action[2], action[3])  # type: ignore[arg-type]
        elif kind == "reverse":
            self.reverse(action[1])  # type: ignore[arg-type]
        elif kind == "next payer":
            self.next_payer(action[1])  # type: ignore[arg-type]
        elif kind == "pay":
            picked = [self.visits[1].id] if action[2] else None
            record_payment(
                self.session, self.biller, self.patient_id, str(action[1]), "cash", claim_ids=picked, clock=self.clock
            )
        elif kind == "refund":
            amount = cents(ledger.credit * action[1]) + (CENT if action[2] else D(0))  # type: ignore[operator]
            if amount <= 0:
                return
            try:
                record_refund(self.session, self.biller, self.patient_id, str(amount), "check", "700", clock=self.clock)
            except ConflictError:
                assert amount > ledger.credit, "a refund within the credit was refused"
            else:
                assert amount <= ledger.credit, "a refund above the credit was recorded"
        elif kind == "apply credit" and ledger.credit > 0:
            apply_credit(self.session, self.biller, self.patient_id, clock=self.clock)
        elif kind == "write off":
            visit = ledger.visits[action[1]]  # type: ignore[index]
            amount = cents(visit.charge * action[2] / 4)  # type: ignore[operator]
            if amount > 0:
                with contextlib.suppress(ConflictError):  # more than the claim's own open balance: refused
                    write_off(self.session, self.biller, visit.claim_id, amount, action[3], clock=self.clock)  # type: ignore[arg-type]


def check(ledger: PatientLedger) -> None:
    assert ledger_invariants(ledger) == []
    assert ledger.credit >= 0
    for visit in ledger.visits:
        assert visit.patient_owes >= 0
        assert visit.insurance_open >= 0
        assert visit.patient_paid >= 0


def run(session: Session, steps: list[tuple[object, ...]]) -> None:
    biller, first = billed_claim(session, "props")
    world = World(session, biller, [first, second_visit(session, first, biller)])
    for number, action in enumerate(steps):
        world.clock = FixedClock(FIRST_DAY + timedelta(days=number))
        savepoint = session.begin_nested()
        ledger = patient_ledger(session, biller, world.patient_id, today=world.clock.today())
        world.apply(action, ledger)
        check(patient_ledger(session, biller, world.patient_id, today=world.clock.today()))
        savepoint.commit()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_the_ledger_balances_after_every_step(session: Session, steps: list[tuple[object, ...]]) -> None:
    outer = session.begin_nested()
    try:
        if session.bind is not None and session.bind.dialect.name == "postgresql" and len(steps) > 6:
            steps = steps[:6]  # the smaller PostgreSQL variant
        run(session, steps)
    finally:
        outer.rollback()
