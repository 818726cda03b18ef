"""The demo clinic follows the calendar: seeded on any day, its visits fill the last twelve weeks, a
follow-up note written today is not blocked by an expired plan of care, every open denial can still be
appealed, the seeded batch says what happened to its claims, and the first real batch gets new
control numbers."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.status import BatchState, ClaimState
from ptbill.services import batches as batch_service
from ptbill.services import billing, queue, users
from ptbill.services import notes as note_service
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.services.denials import denial_worklist
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimBatchRow, ClaimRow, EncounterRow
from tests.migrated import migrate

POC_RULES = {"POC_EXPIRED", "POC_MISSING", "POC_NOT_CERTIFIED"}


@pytest.mark.slow
@pytest.mark.parametrize("today", [date(2026, 1, 2), date(2026, 7, 15), date(2026, 12, 4), date(2025, 11, 20)])
def test_a_demo_seeded_on_any_day_is_current_on_that_day(tmp_path: Path, today: date) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    migrate(url)
    factory = session_factory(make_engine(url))
    with transaction(factory) as session:
        seed_demo(session, encounters=48, patients=12, today=today)
        paid = simulate_payments(session, today=today)
    assert paid > 0

    with transaction(factory) as session:
        biller = users.authenticate(session, "biller@harbor.example", DEMO_PASSWORD)
        assert biller is not None
        notes = list(session.scalars(select(EncounterRow).where(EncounterRow.clinic_id == biller.clinic_id)))
        visit_days = [row.date_of_service for row in notes]
        assert max(visit_days) <= today
        assert min(visit_days) >= today - timedelta(days=92), "the visits fill the last three months"

        # The therapist's next note for each patient carries the last note's plan of care and is dated today.
        last_note: dict[int, EncounterRow] = {}
        for row in sorted(notes, key=lambda r: (r.date_of_service, r.id)):
            last_note[row.patient_id] = row
        for row in last_note.values():
            document = copy.deepcopy(row.document)
            document["date_of_service"] = today.isoformat()
            report = note_service.check_for_clinic(
                session, biller.clinic_id, encounter_from_dict(document, "follow-up")
            )
            blocking = {f.rule for f in report.findings if f.rule in POC_RULES and f.severity.value == "error"}
            assert not blocking, f"a follow-up note on {today} for patient {row.patient_id} is blocked by {blocking}"

        groups = denial_worklist(session, biller)
        items = [item for group in groups for item in group.items]
        assert items, "the demo has denials to work"
        late = [
            (item.claim_id, item.appeal_by) for item in items if item.appeal_by is not None and item.appeal_by < today
        ]
        assert not late, f"denials already past their appeal window on {today}: {late}"
        assert all(item.remittance_date is None or item.remittance_date <= today for item in items), (
            "no remittance is dated later than today"
        )

        # The seeded batch was sent: it is submitted and each of its claims is submitted or answered.
        batches = list(session.scalars(select(ClaimBatchRow).where(ClaimBatchRow.clinic_id == biller.clinic_id)))
        assert [b.status for b in batches] == [BatchState.SUBMITTED]
        states = set(session.scalars(select(ClaimRow.status).where(ClaimRow.batch_id == batches[0].id)))
        assert states <= {ClaimState.SUBMITTED, ClaimState.PAID, ClaimState.PARTIAL, ClaimState.DENIED}
        assert states & {ClaimState.PAID, ClaimState.DENIED}

        # The first real batch after the demo's gets control numbers of its own.
        ready = [row.id for row, _ in queue.work_queue(session, biller)["ready"]][:2]
        assert ready, "the demo leaves signed notes for the biller to bill"
        claims = billing.build_claims(session, biller, ready)
        first_real = batch_service.create_batch(
            session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), confirm_late=True
        )
        assert first_real.interchange_control_number != batches[0].interchange_control_number
