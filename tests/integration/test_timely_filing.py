"""Timely filing on SQLite and PostgreSQL: the worklist of unsent claims near or past their payer's filing
limit (Medicare 12 months from the date of service, an assumed 90 days for a commercial plan, a clinic's own
value on top), read on the injected clock's day; a batch built or marked submitted with a late claim is
refused with the claim named, and goes through only when the biller confirms (audited)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import FixedClock
from ptbill.services import access, payers
from ptbill.services import batches as batches_service
from ptbill.services import billing as billing_service
from ptbill.services import notes as notes_service
from ptbill.services.timely_filing import LateFilingError, timely_filing_worklist
from ptbill.storage.tables import AuditRow, PatientRow
from tests.integration.test_storage_services import make_clinic

ROOT = Path(__file__).resolve().parents[2]
TRADING = TradingConfig(TEST_TRADING, {})
VISIT = FixedClock(date(2026, 3, 3))  # the note is written, signed and billed the day after the visit (2026-03-02)


def scenario(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / f"tests/scenarios/{name}.json").read_text())
    return document


def built_claim(session: Session, pt: access.Actor, biller: access.Actor, patient: PatientRow, name: str) -> int:
    row, _ = notes_service.save_encounter(session, pt, scenario(name), patient.id, clock=VISIT)
    notes_service.sign_encounter(session, pt, row.id, clock=VISIT)
    [claim] = billing_service.build_claims(session, biller, [row.id], clock=VISIT)
    return claim.id


def test_the_worklist_shows_claims_near_or_past_their_limit_fewest_days_first(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "tf-a")
    medicare = built_claim(session, pt, biller, patient, "medicare-lumbar-clean")
    commercial = built_claim(session, pt, biller, patient, "commercial-lumbar-clean")

    # 2026-05-11: the commercial plan's assumed 90 days end on 2026-05-31 (20 days left); Medicare's 12 months
    # on 2027-03-02, far off.
    [item] = timely_filing_worklist(session, biller, date(2026, 5, 11))
    assert (item.claim_id, item.filing.limit, item.filing.last_day) == (commercial, "90 days", date(2026, 5, 31))
    assert (item.filing.days_left, item.filing.state, item.filing.confidence) == (20, "near", "assumed")
    assert item.patient == "Lopez, Maria"  # as the note names the patient

    # 2027-02-10: the commercial claim is long past; Medicare's limit is 20 days away.
    found = timely_filing_worklist(session, biller, date(2027, 2, 10))
    assert [(i.claim_id, i.filing.state, i.filing.days_left) for i in found] == [
        (commercial, "late", -255),
        (medicare, "near", 20),
    ]
    assert "424.44" in found[1].filing.reference
    assert [i.claim_id for i in timely_filing_worklist(session, biller, date(2027, 2, 10), "aetna")] == [commercial]
    assert timely_filing_worklist(session, biller, date(2026, 3, 9)) == []  # a week after the visit


def test_a_clinics_own_limit_for_a_payer_replaces_the_assumed_one(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "tf-b")
    built_claim(session, pt, biller, patient, "commercial-lumbar-clean")
    payers.set_payer_parameter(
        session, biller, "aetna", "claims.filing_limit", "180 days", date(2020, 1, 1), "Aetna provider agreement §4"
    )
    assert timely_filing_worklist(session, biller, date(2026, 5, 11)) == []
    [item] = timely_filing_worklist(session, biller, date(2026, 8, 10))  # 2026-08-29 is the 180th day
    assert (item.filing.limit, item.filing.last_day, item.filing.confidence) == (
        "180 days",
        date(2026, 8, 29),
        "clinic",
    )


def test_a_late_claim_is_named_and_refused_from_a_batch_unless_the_biller_confirms(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "tf-c")
    commercial = built_claim(session, pt, biller, patient, "commercial-lumbar-clean")
    late_day = FixedClock(date(2026, 6, 1))  # the day after the last day, 2026-05-31

    with pytest.raises(LateFilingError) as refused:
        batches_service.create_batch(session, biller, [commercial], TRADING, clock=late_day)
    assert f"claim {commercial}" in str(refused.value)
    assert "TIMELY_FILING_LIMIT" in str(refused.value)
    assert "last day 2026-05-31, 1 day past" in str(refused.value)
    assert batches_service.list_batches(session, biller) == []

    on_time = FixedClock(date(2026, 5, 31))
    batch = batches_service.create_batch(session, biller, [commercial], TRADING, clock=on_time)
    assert batch.claim_count == 1

    # Built on the last day, sent the day after: marking it submitted is refused until confirmed.
    with pytest.raises(LateFilingError):
        batches_service.mark_batch_submitted(session, biller, batch.id, clock=late_day)
    marked = batches_service.mark_batch_submitted(session, biller, batch.id, clock=late_day, confirm_late=True)
    assert marked.submitted_at is not None
    confirmed = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "claim", AuditRow.entity_id == str(commercial))
    ).all()
    assert "late filing confirmed: last day 2026-05-31" in confirmed
    assert timely_filing_worklist(session, biller, date(2026, 6, 1)) == []  # sent: off the worklist


def test_another_clinic_sees_none_of_the_worklist(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "tf-d")
    _pt2, other, _patient2 = make_clinic(session, "tf-e")
    built_claim(session, pt, biller, patient, "commercial-lumbar-clean")
    assert len(timely_filing_worklist(session, biller, date(2026, 6, 1))) == 1
    assert timely_filing_worklist(session, other, date(2026, 6, 1)) == []
    with pytest.raises(access.ForbiddenError):
        timely_filing_worklist(session, pt, date(2026, 6, 1))
