"""Every report adds up to the tables (issue 13, Done-when): the demo clinic billed, its payers' 835s posted
through the reader and posting, a few claims sent and not answered yet; then each report's totals are
recomputed here from claims, claim_payments and encounters alone, without the accounting module.

The A/R aging total equals the charges of the claims in A/R less the payers' payments, the adjustments
the clinic may not bill (CO-45, CO-253) and the patient's share (group PR, which is the patient's A/R);
a denied amount stays open. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import FixedClock
from ptbill.services import access, batches, billing, patient_payments, reports, write_offs
from ptbill.services.demo_data import seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.services.reports.ar_aging import aged_days
from ptbill.services.reports.base import payer_name
from ptbill.services.reports.ledger import bucket_of, claim_balances
from ptbill.storage.tables import (
    ClaimLineRow,
    ClaimPaymentRow,
    ClaimRow,
    ClaimWriteOffRow,
    EncounterRow,
    PaymentApplicationRow,
    UserRow,
)
from tests.demo_day import DEMO_TODAY

ZERO = Decimal("0.00")
CONTRACTUAL = {("CO", "45"), ("CO", "253")}
# The demo payers deny with these (CO-4 modifier, CO-50 medical necessity, CO-151 frequency, CO-236 NCCI):
# denied amounts stay in A/R until they are worked.
DENIALS = {("CO", "4"), ("CO", "50"), ("CO", "151"), ("CO", "236"), ("CO", "16")}


@pytest.fixture
def demo(session: Session) -> access.Actor:
    seed_demo(session, encounters=48, patients=12, today=DEMO_TODAY)
    simulate_payments(session, today=DEMO_TODAY)
    row = session.scalars(select(UserRow).where(UserRow.role == "biller").order_by(UserRow.id)).first()
    assert row is not None
    biller = access.Actor(row.id, row.clinic_id, "biller", row.name)
    # Some signed notes billed and sent, no answer yet: their whole charge is open.
    signed = session.scalars(
        select(EncounterRow.id).where(EncounterRow.clinic_id == biller.clinic_id, EncounterRow.status == "signed")
    ).all()
    sent = billing.build_claims(session, biller, list(signed[:3]))
    demo_day = FixedClock(DEMO_TODAY)  # sent on the demo's day, within the filing limits of its notes
    batch = batches.create_batch(session, biller, [c.id for c in sent], TradingConfig(TEST_TRADING, {}), clock=demo_day)
    batches.mark_batch_submitted(session, biller, batch.id, clock=demo_day)
    session.flush()
    return biller


def _adjustments(payment: ClaimPaymentRow) -> list[dict[str, Any]]:
    """Every adjustment of a posted answer, read straight from its JSON: the claim's own, and each line's."""
    found = [a for a in payment.adjustments if a.get("level") == "claim"]
    if any("adjustments" in line for line in payment.lines):
        found += [a for line in payment.lines for a in line.get("adjustments", [])]
    else:
        found += [a for a in payment.adjustments if a.get("level") == "line"]
    return found


def _independent(session: Session, clinic_id: int, date_from: date | None = None, payer: str | None = None) -> Any:
    """Per claim in A/R: charge, payments, contractual, patient share, insurance open; from the tables."""
    query = select(ClaimRow).where(
        ClaimRow.clinic_id == clinic_id,
        ClaimRow.status.in_(("submitted", "paid", "partial", "denied", "reversed")),
        ClaimRow.service_date <= DEMO_TODAY,
    )
    if date_from:
        query = query.where(ClaimRow.service_date >= date_from)
    if payer:
        query = query.where(ClaimRow.payer_id == payer)
    out = {}
    for claim in session.scalars(query):
        paid = contractual = patient = ZERO
        answers = session.scalars(select(ClaimPaymentRow).where(ClaimPaymentRow.claim_id == claim.id)).all()
        for answer in answers:
            paid += answer.paid
            for adjustment in _adjustments(answer):
                key, amount = (adjustment["group"], str(adjustment["reason"])), Decimal(str(adjustment["amount"]))
                if key[0] == "PR":
                    patient += amount
                elif key in CONTRACTUAL:
                    contractual += amount
                else:
                    assert key in DENIALS, f"an adjustment this test does not classify: {key}"
        out[claim.id] = {
            "claim": claim,
            "charge": claim.total_charge,
            "paid": paid,
            "contractual": contractual,
            "patient": patient,
            "open": claim.total_charge - paid - contractual - patient,
            "answers": answers,
            "transferred": ZERO,  # the patient share billed to a next payer whose claim is in A/R
        }
    # Coordination of benefits: a patient share the next payer is billed for (or a payer forwarded, a
    # crossover) is not the patient's yet: it is the next claim's A/R once that claim is sent, and insurance
    # A/R on this claim until then.
    links = select(ClaimRow.prior_claim_id, ClaimRow.id).where(
        ClaimRow.clinic_id == clinic_id, ClaimRow.prior_claim_id.is_not(None)
    )
    following = dict(session.execute(links).all())
    for claim_id, c in out.items():
        if c["patient"] and (claim_id in following or c["claim"].crossed_over_to):
            if following.get(claim_id) in out:
                c["transferred"] = c["patient"]
            else:
                c["open"] += c["patient"]
            c["patient"] = ZERO
    return out


def _params(**changes: Any) -> reports.ReportParams:
    return dataclasses.replace(reports.ReportParams(today=DEMO_TODAY), **changes)


def _sum(rows: list[Any], attribute: str) -> Any:
    return sum((getattr(r, attribute) for r in rows), ZERO)


def test_the_ar_aging_total_is_charges_less_payments_adjustments_and_the_patients_share(
    session: Session, demo: access.Actor
) -> None:
    claims = _independent(session, demo.clinic_id)
    assert any(c["answers"] for c in claims.values())
    assert any(not c["answers"] for c in claims.values())
    assert any(c["open"] > 0 and c["answers"] for c in claims.values()), "a denial should stay open"
    expected = sum((c["open"] for c in claims.values()), ZERO)
    independent = (
        sum((c["charge"] for c in claims.values()), ZERO)
        - sum((c["paid"] for c in claims.values()), ZERO)
        - sum((c["contractual"] for c in claims.values()), ZERO)
        - sum((c["patient"] for c in claims.values()), ZERO)
        - sum((c["transferred"] for c in claims.values()), ZERO)
    )
    assert expected == independent > 0
    aging = reports.run(session, demo, "ar-aging", _params())
    assert _sum(aging.rows, "total") == expected
    # The buckets add up to the total, and every claim sits in the bucket its date of service says.
    buckets = [ZERO] * 5
    for c in claims.values():
        if c["open"]:
            buckets[bucket_of((DEMO_TODAY - c["claim"].service_date).days)] += c["open"]
    got = [_sum(aging.rows, a) for a in ("days_0_30", "days_31_60", "days_61_90", "days_91_120", "over_120")]
    assert got == buckets
    assert sum(r.claims for r in aging.rows) == sum(1 for c in claims.values() if c["open"])
    # The patient's A/R is the patient's share; both parties add up; by patient it is the same money.
    patient = reports.run(session, demo, "ar-aging", _params(party="patient"))
    assert _sum(patient.rows, "total") == sum((c["patient"] for c in claims.values()), ZERO) > 0
    both = reports.run(session, demo, "ar-aging", _params(party="all"))
    assert _sum(both.rows, "total") == expected + _sum(patient.rows, "total")
    by_patient = reports.run(session, demo, "ar-aging", _params(by="patient"))
    assert _sum(by_patient.rows, "total") == expected
    # Aged from the date of submission: the same money, younger.
    submitted = reports.run(session, demo, "ar-aging", _params(basis="submission"))
    assert _sum(submitted.rows, "total") == expected
    # A payer's A/R is that payer's claims only.
    payer = next(c["claim"].payer_id for c in claims.values() if c["open"])
    one = reports.run(session, demo, "ar-aging", _params(payer=payer))
    assert _sum(one.rows, "total") == sum((c["open"] for c in claims.values() if c["claim"].payer_id == payer), ZERO)
    assert len(one.rows) == 1


def test_write_offs_leave_the_ar_aging_as_the_write_offs_table_says(session: Session, demo: access.Actor) -> None:
    """A/R aging = charges − payments − adjustments − write-offs: a denied amount written off (the payer's
    side) and a patient's small balance written off both leave A/R, by the amounts in claim_write_offs."""
    claims = _independent(session, demo.clinic_id)
    insurance = reports.run(session, demo, "ar-aging", _params())
    patient = reports.run(session, demo, "ar-aging", _params(party="patient"))
    denied = next(c for c in claims.values() if c["answers"] and c["open"] > Decimal("5.00"))
    owed = next(c for c in claims.values() if c["patient"] > Decimal("1.00") and c is not denied)
    write_offs.write_off(
        session, demo, denied["claim"].id, Decimal("5.00"), "contractual", clock=FixedClock(DEMO_TODAY)
    )
    write_offs.write_off(
        session, demo, owed["claim"].id, Decimal("1.00"), "small_balance", clock=FixedClock(DEMO_TODAY)
    )
    session.flush()
    written = session.execute(
        select(ClaimWriteOffRow.reason_code, func.sum(ClaimWriteOffRow.amount))
        .where(ClaimWriteOffRow.clinic_id == demo.clinic_id)
        .group_by(ClaimWriteOffRow.reason_code)
    ).all()
    payer_side = sum((Decimal(t) for r, t in written if r != "small_balance"), ZERO)
    patient_side = sum((Decimal(t) for r, t in written if r == "small_balance"), ZERO)
    assert (payer_side, patient_side) == (Decimal("5.00"), Decimal("1.00"))
    after = reports.run(session, demo, "ar-aging", _params())
    assert _sum(after.rows, "total") == _sum(insurance.rows, "total") - payer_side
    after_patient = reports.run(session, demo, "ar-aging", _params(party="patient"))
    assert _sum(after_patient.rows, "total") == _sum(patient.rows, "total") - patient_side


def _aging_claim_by_claim(session: Session, actor: access.Actor, params: reports.ReportParams) -> list[Any]:
    """The A/R aging's rows as it built them before issue 17 (every claim's balance built, then grouped): the
    reference for the grouped path (``ledger.open_groups`` for the claims linked to no other)."""
    groups: dict[str, list[Any]] = defaultdict(lambda: [0, [ZERO] * 5])
    as_of = params.as_of or params.today
    for claim in claim_balances(session, actor, params, as_of=as_of):
        amount = claim.open_for(params.party)
        if amount != ZERO:
            key = claim.patient if params.by == "patient" else payer_name(claim.payer_id)
            groups[key][0] += 1
            groups[key][1][bucket_of(aged_days(claim, params))] += amount
    return sorted((name, n, *sums) for name, (n, sums) in groups.items())


def test_the_ar_aging_added_up_in_sql_equals_the_aging_claim_by_claim(session: Session, demo: access.Actor) -> None:
    """Every party, grouping and basis, with claims linked to others among them (a write-off on each side, a
    patient payment): the grouped path gives the rows the claim-by-claim reading gives."""
    claims = _independent(session, demo.clinic_id)
    answered = [c for c in claims.values() if c["answers"] and c["open"] > Decimal("5.00")]
    owed = [c for c in claims.values() if c["patient"] > Decimal("2.00")]
    day = FixedClock(DEMO_TODAY)
    write_offs.write_off(session, demo, answered[0]["claim"].id, Decimal("5.00"), "contractual", clock=day)
    write_offs.write_off(session, demo, owed[0]["claim"].id, Decimal("1.00"), "small_balance", clock=day)
    patient_id = session.get(EncounterRow, owed[-1]["claim"].encounter_id).patient_id  # type: ignore[union-attr]
    patient_payments.record_payment(session, demo, patient_id, "2.00", "cash", clock=day)
    session.flush()
    assert session.scalar(select(func.count()).select_from(PaymentApplicationRow)) > 0
    assert len(claims) > 10
    for party in ("insurance", "patient", "all"):
        for by in ("payer", "patient"):
            for basis in ("service", "submission"):
                params = _params(party=party, by=by, basis=basis)
                report = reports.run(session, demo, "ar-aging", params)
                got = sorted((r.name, r.claims, *r[2:7]) for r in report.rows)
                assert got == _aging_claim_by_claim(session, demo, params), (party, by, basis)
    earlier = _params(as_of=DEMO_TODAY - timedelta(days=20), date_from=DEMO_TODAY - timedelta(days=75))
    got = sorted((r.name, r.claims, *r[2:7]) for r in reports.run(session, demo, "ar-aging", earlier).rows)
    assert got == _aging_claim_by_claim(session, demo, earlier) != []


def test_days_in_ar_net_collection_and_clean_claims_reconcile_with_the_tables(
    session: Session, demo: access.Actor
) -> None:
    claims = _independent(session, demo.clinic_id)
    total_ar = sum((c["open"] for c in claims.values()), ZERO)
    days = reports.run(session, demo, "days-in-ar", _params())
    assert _sum(days.rows, "ar") == total_ar
    start = DEMO_TODAY - timedelta(days=89)
    charged = session.scalar(
        select(func.sum(ClaimRow.total_charge)).where(
            ClaimRow.clinic_id == demo.clinic_id, ClaimRow.service_date.between(start, DEMO_TODAY)
        )
    )
    assert _sum(days.rows, "charges") == charged
    assert f"{(total_ar / (charged / 90)).quantize(Decimal('0.1'))} days in A/R" in days.notes[0]

    # Net collection over a date range: the numerator is sum(claim_payments.paid) of the claims seen in it.
    since = sorted(c["claim"].service_date for c in claims.values())[len(claims) // 2]  # the later half
    ranged = _independent(session, demo.clinic_id, date_from=since)
    net = reports.run(session, demo, "net-collection", _params(date_from=since, date_to=DEMO_TODAY))
    paid_in_range = session.scalar(
        select(func.sum(ClaimPaymentRow.paid))
        .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .where(ClaimRow.clinic_id == demo.clinic_id, ClaimRow.service_date.between(since, DEMO_TODAY))
    )
    assert _sum(net.rows, "payments") == paid_in_range == sum((c["paid"] for c in ranged.values()), ZERO)
    assert _sum(net.rows, "charges") == sum((c["charge"] for c in ranged.values()), ZERO)
    assert _sum(net.rows, "contractual") == sum((c["contractual"] for c in ranged.values()), ZERO)
    collectible = _sum(net.rows, "collectible")
    assert f"= {round(float(100 * paid_in_range / collectible), 1)}%" in net.notes[0]

    clean = reports.run(session, demo, "clean-claims", _params())
    answered = {i: c for i, c in claims.items() if c["answers"]}
    assert sum(r.adjudicated for r in clean.rows) == len(answered) > 0
    first_clean = 0
    for c in answered.values():
        first = min(c["answers"], key=lambda a: a.id)
        keys = {(a["group"], str(a["reason"])) for a in _adjustments(first)}
        first_clean += first.status_code in ("1", "2", "3") and not keys & DENIALS
    assert sum(r.clean for r in clean.rows) == first_clean
    assert 0 < first_clean < len(answered)


def test_productivity_counts_each_therapists_visits_units_and_charges(session: Session, demo: access.Actor) -> None:
    visits = defaultdict(int)
    for therapist, n in session.execute(
        select(UserRow.name, func.count())
        .join(EncounterRow, EncounterRow.therapist_user_id == UserRow.id)
        .where(EncounterRow.clinic_id == demo.clinic_id, EncounterRow.status.in_(("signed", "billed")))
        .group_by(UserRow.name)
    ):
        visits[therapist] += n
    report = reports.run(session, demo, "productivity", _params())
    assert {r.therapist: r.visits for r in report.rows} == dict(visits)
    units = session.scalar(
        select(func.sum(ClaimLineRow.units))
        .join(ClaimRow, ClaimRow.id == ClaimLineRow.claim_id)
        .where(ClaimRow.clinic_id == demo.clinic_id)
    )
    assert sum(r.units for r in report.rows) == units
    charges = session.scalar(select(func.sum(ClaimRow.total_charge)).where(ClaimRow.clinic_id == demo.clinic_id))
    assert _sum(report.rows, "charges") == charges
    # One therapist, then a location: the office has every demo visit, the home none.
    name, email = session.execute(
        select(UserRow.name, UserRow.email).where(UserRow.clinic_id == demo.clinic_id, UserRow.role == "therapist")
    ).first() or ("", "")
    mine = reports.run(session, demo, "productivity", _params(therapist=email))
    assert [r.therapist for r in mine.rows] == [name]
    assert mine.rows[0].visits == visits[name]
    office = reports.run(session, demo, "productivity", _params(location="clinic"))
    assert office.rows == report.rows
    assert reports.run(session, demo, "productivity", _params(location="home")).rows == []
    assert reports.run(session, demo, "ar-aging", _params(location="home")).rows == []


def test_a_home_visit_is_reported_at_home_and_not_at_the_office(session: Session, demo: access.Actor) -> None:
    claim = session.scalars(
        select(ClaimRow).where(ClaimRow.clinic_id == demo.clinic_id, ClaimRow.status == "submitted")
    ).first()
    assert claim is not None
    note = session.get(EncounterRow, claim.encounter_id)
    assert note is not None
    note.document = {**note.document, "place_of_service": "12"}
    session.flush()
    home = reports.run(session, demo, "ar-aging", _params(location="home"))
    assert _sum(home.rows, "total") == claim.total_charge
    office = reports.run(session, demo, "ar-aging", _params(location="clinic"))
    everything = reports.run(session, demo, "ar-aging", _params())
    assert _sum(office.rows, "total") + claim.total_charge == _sum(everything.rows, "total")


def test_every_report_takes_a_date_range_payer_therapist_and_location() -> None:
    for definition in reports.REPORTS:
        assert {"from", "to", "payer", "therapist", "location"} <= definition.accepts, definition.name
