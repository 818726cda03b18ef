"""The A/R aging of a visit billed to Medicare and then to a Medigap plan (issue 14: payer and patient buckets
apart). The patient's share Medicare leaves is the Medigap plan's A/R until that plan answers; then what the
plan leaves is the patient's, once, on the last claim, less what the patient has paid. On SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.domain.remittance import ClaimStatus
from ptbill.services import access, batches, patient_payments, posting, reports
from ptbill.services.reports.chains import settle_chains
from ptbill.storage.tables import EncounterRow
from tests.integration.test_cob import (
    DAY,
    PATIENT_OWES,
    PRIMARY,
    SECONDARY,
    TRADING,
    answer,
    medicare_and_medigap,
    secondary_of,
)

D = Decimal
CLOCK = FixedClock(DAY)


def _aging(session: Session, actor: access.Actor, party: str) -> Decimal:
    params = dataclasses.replace(reports.ReportParams(today=DAY), party=party)
    return sum((row.total for row in reports.run(session, actor, "ar-aging", params).rows), D("0.00"))


def test_the_medicare_patient_share_is_the_medigap_plans_ar_until_it_answers_then_the_patients_once(
    session: Session,
) -> None:
    biller, primary = medicare_and_medigap(session, "arcob")
    batches.create_batch(session, biller, [primary.id], TRADING, confirm_late=True)
    primary_835 = answer(primary.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="CA MEDICARE", trace="M1")
    posting.post_remittances(session, biller, [primary_835], "medicare.835")
    secondary = secondary_of(session, primary)
    assert secondary is not None
    # The Medigap claim is built, not sent: Medicare's 22.58 patient share still waits on insurance.
    assert (_aging(session, biller, "insurance"), _aging(session, biller, "patient")) == (D("22.58"), D("0.00"))

    batches.create_batch(session, biller, [secondary.id], TRADING, confirm_late=True)
    batches.mark_batch_submitted(session, biller, secondary.batch_id, clock=CLOCK)
    # Sent and not answered: the Medigap plan owes what Medicare left, not the visit's whole charge.
    assert (_aging(session, biller, "insurance"), _aging(session, biller, "patient")) == (D("22.58"), D("0.00"))

    secondary_835 = answer(
        secondary.patient_control_number, ClaimStatus.SECONDARY, SECONDARY, payer="AETNA MEDIGAP", trace="A1"
    )
    posting.post_remittances(session, biller, [secondary_835], "medigap.835")
    # Answered: the patient owes the hand-computed 11.94, counted once (not 22.58 + 11.94).
    assert (_aging(session, biller, "insurance"), _aging(session, biller, "patient")) == (D("0.00"), PATIENT_OWES)

    patient_id = session.get(EncounterRow, primary.encounter_id).patient_id  # type: ignore[union-attr]
    patient_payments.record_payment(session, biller, patient_id, "5.00", "cash", clock=CLOCK)
    assert _aging(session, biller, "patient") == PATIENT_OWES - D("5.00")


@dataclasses.dataclass(frozen=True)
class _Open:
    claim_id: int
    insurance_open: Decimal
    patient_open: Decimal


def test_a_crossed_over_claims_patient_share_waits_on_insurance_and_payments_come_off_the_visits_last_claim() -> None:
    crossed = settle_chains([_Open(1, D("0"), D("20.00"))], {}, {1}, {})
    assert crossed == [_Open(1, D("20.00"), D("0"))]
    # A visit of two claims: the patient's 4.00 paid (recorded on the first claim) comes off the second.
    chain = settle_chains([_Open(1, D("0"), D("20.00")), _Open(2, D("0"), D("9.00"))], {2: 1}, set(), {1: D("4.00")})
    assert chain == [_Open(1, D("0"), D("0")), _Open(2, D("0"), D("5.00"))]
    # Never below zero: what is paid beyond the share is a credit, not negative A/R.
    assert settle_chains([_Open(3, D("0"), D("2.00"))], {}, set(), {3: D("9.00")}) == [_Open(3, D("0"), D("0"))]
