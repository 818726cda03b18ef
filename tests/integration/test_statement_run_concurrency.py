"""Two billers running statements at the same moment, on PostgreSQL with two real parallel connections: no
patient gets two statements for the same day (the second run waits for the clinic's row, then finds every
patient stated within the cycle); and the unique index refuses a second run statement of the day outright."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.services import access
from ptbill.services.statements import StatementRun, run_statements
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimRow, StatementRow, StatementRunRow
from tests.integration.api.world import fresh_database
from tests.integration.ledger_world import post_primary
from tests.integration.test_concurrency import Clinic, billed_claims, together
from tests.integration.test_concurrency import clinic as clinic  # noqa: PLC0414 - the module's fixture

CLOCK = FixedClock(date(2026, 5, 1))
PATIENTS = 3


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    with fresh_database("postgresql", Path(tmp_path_factory.mktemp("statement-runs"))) as url:
        engine: Engine = make_engine(url)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()


def run(factory: sessionmaker[Session], actor: access.Actor) -> StatementRun:
    with transaction(factory) as session:
        return run_statements(session, actor, minimum=Decimal("1.00"), clock=CLOCK)


@pytest.mark.postgres
def test_two_statement_runs_at_once_never_state_a_patient_twice_on_one_day(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    for claim_id in billed_claims(factory, clinic, count=PATIENTS):
        with transaction(factory) as session:
            claim = session.get(ClaimRow, claim_id)
            assert claim is not None
            post_primary(session, clinic.biller, claim, trace=f"EFT-STMT-{claim_id}")
    results = together(partial(run, factory, clinic.biller), partial(run, factory, clinic.biller))
    assert all(isinstance(r, StatementRun) for r in results), results
    assert sorted(r.count for r in results) == [0, PATIENTS]  # the second found them all stated today
    with factory() as session:
        stated = session.scalars(select(StatementRow.patient_id).where(StatementRow.statement_date == CLOCK.day))
        patients = list(stated)
        assert len(patients) == len(set(patients)) == PATIENTS
        # Whatever a run did, the database takes no second run statement for a patient on one day.
        first = session.scalars(select(StatementRow)).first()
        assert first is not None
        other_run = session.scalars(select(StatementRunRow.id).where(StatementRunRow.id != first.run_id)).first()
        twin = StatementRow(
            clinic_id=first.clinic_id,
            patient_id=first.patient_id,
            run_id=other_run,
            statement_date=first.statement_date,
            amount_due=first.amount_due,
            reminder_level=0,
            pdf=b"%PDF",
        )
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
