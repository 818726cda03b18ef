"""The A/R aging kept per server process under the clinic's ledger revision (``ar_aging.ArAging.rows``,
``ledger.ledger_revision``, migration 0031_ledger_marks), on SQLite and PostgreSQL. Two engines on one database
stand for two server processes: a posting, a status change, a clinic write-off or a patient payment committed
through the other one is in the next aging at once; a change rolled back never is; a transaction's own
uncommitted change is seen by it and by no one else; one clinic's changes and figures never reach another's."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.domain.remittance import ClaimStatus
from ptbill.jobs.runner import JobRunner
from ptbill.services import access, batches, patient_payments, posting, reports, write_offs
from ptbill.services.reports import ar_aging, ledger
from ptbill.settings import Settings
from ptbill.storage.session import make_engine
from ptbill.storage.tables import ClaimRow, EncounterRow, JobRunRow
from tests.integration.conftest import BACKENDS, migrated_database
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
CHARGE = D("140.38")  # the Medicare claim's total charge


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this module's own: its tests commit for good, as server processes do."""
    with migrated_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture
def here(database: str) -> Iterator[sessionmaker[Session]]:
    """The server process whose kept agings are tested."""
    engine = make_engine(database)
    ar_aging.forget_all()
    yield sessionmaker(engine, expire_on_commit=False)
    ar_aging.forget_all()
    engine.dispose()


@pytest.fixture
def other(database: str) -> Iterator[sessionmaker[Session]]:
    """Another server process: its own engine, its own connections."""
    engine: Engine = make_engine(database)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@contextmanager
def committed(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session, session.begin():
        yield session


def aging(sessions: sessionmaker[Session], actor: access.Actor, party: str) -> tuple[Decimal, list[ar_aging.AgingRow]]:
    """The aging's total for the party, read in a request of its own, and its rows."""
    params = dataclasses.replace(reports.ReportParams(today=DAY), party=party)  # type: ignore[arg-type]
    with committed(sessions) as session:
        report = reports.run(session, actor, "ar-aging", params)
    return sum((row.total for row in report.rows), D("0.00")), report.rows


def computed(sessions: sessionmaker[Session], actor: access.Actor, party: str) -> Decimal:
    """The same total computed afresh, nothing kept."""
    params = dataclasses.replace(reports.ReportParams(today=DAY), party=party)  # type: ignore[arg-type]
    with committed(sessions) as session:
        rows = ar_aging.ArAging().computed(session, actor, params)
    return sum((row.total for row in rows), D("0.00"))


def submitted_claim(sessions: sessionmaker[Session], name: str) -> tuple[access.Actor, int]:
    """A clinic whose Medicare claim was sent (in A/R for its whole charge), committed for good."""
    with committed(sessions) as session:
        biller, primary = medicare_and_medigap(session, name)
        batch = batches.create_batch(session, biller, [primary.id], TRADING, confirm_late=True)
        batches.mark_batch_submitted(session, biller, batch.id, clock=CLOCK)
        claim_id = primary.id
    return biller, claim_id


def test_every_change_committed_elsewhere_is_in_the_next_aging(
    here: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    biller, primary_id = submitted_claim(other, "kept1")
    assert aging(here, biller, "insurance")[0] == CHARGE
    first = aging(here, biller, "insurance")[1]
    assert aging(here, biller, "insurance")[1] is first, "nothing changed: the kept rows are served"

    # A status change, written by a plain UPDATE (no service code): the claim leaves A/R, then returns.
    with committed(other) as session:
        session.execute(update(ClaimRow).where(ClaimRow.id == primary_id).values(status="built"))
    assert aging(here, biller, "insurance")[0] == D("0.00")
    with committed(other) as session:
        session.execute(update(ClaimRow).where(ClaimRow.id == primary_id).values(status="submitted"))
    assert aging(here, biller, "insurance")[0] == CHARGE

    # Medicare's answer posted: the Medigap plan owes the patient's 22.58 share until it answers.
    with committed(other) as session:
        primary = session.get(ClaimRow, primary_id)
        assert primary is not None
        remit = answer(primary.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="CA MEDICARE", trace="M1")
        posting.post_remittances(session, biller, [remit], "medicare.835")
    assert (aging(here, biller, "insurance")[0], aging(here, biller, "patient")[0]) == (D("22.58"), D("0.00"))

    with committed(other) as session:
        primary = session.get(ClaimRow, primary_id)
        assert primary is not None
        secondary = secondary_of(session, primary)
        assert secondary is not None
        batch = batches.create_batch(session, biller, [secondary.id], TRADING, confirm_late=True)
        batches.mark_batch_submitted(session, biller, batch.id, clock=CLOCK)
        remit = answer(
            secondary.patient_control_number, ClaimStatus.SECONDARY, SECONDARY, payer="AETNA MEDIGAP", trace="A1"
        )
        posting.post_remittances(session, biller, [remit], "medigap.835")
        secondary_id = secondary.id
        patient_id = session.get(EncounterRow, primary.encounter_id).patient_id  # type: ignore[union-attr]
    assert (aging(here, biller, "insurance")[0], aging(here, biller, "patient")[0]) == (D("0.00"), PATIENT_OWES)

    # The patient pays 5.00, then the clinic writes 1.00 of the rest off as a small balance.
    with committed(other) as session:
        patient_payments.record_payment(session, biller, patient_id, "5.00", "cash", clock=CLOCK)
    assert aging(here, biller, "patient")[0] == PATIENT_OWES - D("5.00")
    with committed(other) as session:
        write_offs.write_off(session, biller, secondary_id, D("1.00"), "small_balance", clock=CLOCK)
    assert aging(here, biller, "patient")[0] == PATIENT_OWES - D("6.00") == computed(other, biller, "patient")


def test_a_change_rolled_back_is_never_served_and_a_transactions_own_change_stays_its_own(
    database: str, here: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    biller, primary_id = submitted_claim(other, "kept2")
    kept = aging(here, biller, "insurance")[1]
    with other() as session, session.begin():
        write_offs.write_off(session, biller, primary_id, D("40.00"), "bad_debt", clock=CLOCK)  # payer side too
        session.rollback()
    assert aging(here, biller, "insurance")[1] is kept

    params = reports.ReportParams(today=DAY)
    with here() as session, session.begin():
        write_offs.write_off(session, biller, primary_id, D("40.00"), "timely_filing", clock=CLOCK)
        own = reports.run(session, biller, "ar-aging", params).rows
        assert sum((row.total for row in own), D("0.00")) == CHARGE - D("40.00"), "its own change, seen by it"
        if database.startswith("postgresql"):  # SQLite lets one writer at a time: the other's audit row waits
            assert aging(other, biller, "insurance")[0] == CHARGE, "not committed: no one else sees it"
        session.rollback()
    assert aging(here, biller, "insurance") == (CHARGE, kept)


def test_one_clinics_changes_and_figures_never_reach_another(
    here: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    first, first_claim = submitted_claim(other, "kept3")
    kept = aging(here, first, "insurance")[1]
    second, second_claim = submitted_claim(other, "kept4")  # another clinic's claim: the first's ledger is as it was
    assert aging(here, first, "insurance")[1] is kept
    assert aging(here, second, "insurance")[0] == CHARGE

    with committed(other) as session:
        write_offs.write_off(session, second, second_claim, D("40.00"), "timely_filing", clock=CLOCK)
    assert aging(here, second, "insurance")[0] == CHARGE - D("40.00")
    assert aging(here, first, "insurance") == (CHARGE, kept)
    with committed(other) as session:
        write_offs.write_off(session, first, first_claim, D("2.00"), "timely_filing", clock=CLOCK)
    assert aging(here, first, "insurance")[0] == CHARGE - D("2.00") == computed(other, first, "insurance")
    assert aging(here, second, "insurance")[0] == CHARGE - D("40.00") == computed(other, second, "insurance")


def test_folding_the_marks_into_totals_keeps_every_revision_and_the_kept_aging(
    database: str, tmp_path: Path, here: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    """The nightly ``ledger_marks_compact`` job: the marks go, each clinic's revision stays, so what is kept is
    still served; the next change after it is seen at once, and a second run finds nothing to fold."""
    biller, claim_id = submitted_claim(other, "kept5")
    kept = aging(here, biller, "insurance")[1]
    with committed(other) as session:
        before = ledger.ledger_revision(session, biller.clinic_id)
    assert before is not None
    settings = Settings(database_url=database, data_dir=tmp_path, secret_key="test", secure_cookies=False)
    runner = JobRunner(settings, other, CLOCK)
    try:
        run_id = runner.run_periodic("ledger_marks_compact")
    finally:
        runner.close()
    with committed(other) as session:
        run = session.get(JobRunRow, run_id)
        assert run is not None
        assert run.status == "done"
        folded = int(run.message.split()[0])
    assert folded >= before > 0  # this clinic's marks among them
    with committed(other) as session:
        assert ledger.ledger_revision(session, biller.clinic_id) == before
        assert session.scalar(select(func.count()).select_from(ledger.LEDGER_MARKS)) == 0
        assert ledger.compact_ledger_marks(session) == 0
    assert aging(here, biller, "insurance")[1] is kept

    with committed(other) as session:
        write_offs.write_off(session, biller, claim_id, D("3.00"), "timely_filing", clock=CLOCK)
    with committed(other) as session:
        assert (ledger.ledger_revision(session, biller.clinic_id) or 0) > before
    assert aging(here, biller, "insurance")[0] == CHARGE - D("3.00") == computed(other, biller, "insurance")
