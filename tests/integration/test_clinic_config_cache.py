"""The clinic's payer parameters and fee schedules kept per server process (``services.clinic_config``), on
SQLite and PostgreSQL: a change committed through another connection, as another server process makes it, is
seen by the next check; a change rolled back is never served; one clinic's values never reach another's checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.services import access, payers
from ptbill.services import notes as notes_service
from ptbill.storage.session import make_engine
from ptbill.storage.tables import ClinicRow, PayerParameterRow
from tests.integration.conftest import BACKENDS, migrated_database
from tests.integration.test_storage_services import CLEAN, make_clinic

MINIMUM = "traction.minimum_minutes"  # the note's traction lasts 18 minutes
SHORT = "TRACTION_BELOW_MIN_DURATION"
FEES = "code,modifiers,amount,effective_from,effective_to\n97012,,30.00,2026-01-01,\n97110,,40.00,2026-01-01,\n"


@pytest.fixture(scope="module", params=BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module's own: its tests commit for good, as separate server processes do, and the
    shared database's tests, each rolled back, must never find these clinics and users."""
    with migrated_database(request.param, tmp_path_factory) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def sessions(own_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(own_engine, expire_on_commit=False)


@contextmanager
def committed(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction of its own, committed at the end: what one request of one server process does."""
    with sessions() as session, session.begin():
        yield session


def clinic(sessions: sessionmaker[Session]) -> tuple[access.Actor, access.Actor]:
    """A clinic committed for good, as the other connections see it: its therapist and its biller."""
    with committed(sessions) as session:
        therapist, biller, _ = make_clinic(session, f"cfg-{uuid4().hex[:8]}")
    return therapist, biller


def note(payer: str = "ca-medicare-south") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(CLEAN))
    document["coverage"]["payer"] = payer
    return document


def rules_of(sessions: sessionmaker[Session], actor: access.Actor, payer: str = "ca-medicare-south") -> set[str]:
    """The rules a check of the note finds, in a transaction of its own (one request)."""
    with committed(sessions) as session:
        report = notes_service.check_document(session, actor, note(payer))
    return {finding.rule for finding in report.findings}


def prices_of(sessions: sessionmaker[Session], actor: access.Actor) -> dict[str, Any]:
    with committed(sessions) as session:
        report = notes_service.check_document(session, actor, note("aetna"))
    return {line.code: (line.expected_payment, line.payment_basis) for line in report.claim_lines}


def set_minimum(sessions: sessionmaker[Session], biller: access.Actor, minutes: int) -> None:
    with committed(sessions) as session:
        payers.set_payer_parameter(
            session, biller, "ca-medicare-south", MINIMUM, minutes, date(2026, 3, 1), "bulletin (test)"
        )


def test_a_payer_parameter_changed_through_another_connection_is_seen_by_the_next_check(
    sessions: sessionmaker[Session],
) -> None:
    therapist, biller = clinic(sessions)
    assert SHORT not in rules_of(sessions, therapist)
    assert SHORT not in rules_of(sessions, therapist)  # kept now
    set_minimum(sessions, biller, 20)
    assert SHORT in rules_of(sessions, therapist)
    set_minimum(sessions, biller, 15)  # a later edit of the same date wins
    assert SHORT not in rules_of(sessions, therapist)


def test_a_row_written_without_the_service_gives_the_clinic_a_new_revision(sessions: sessionmaker[Session]) -> None:
    therapist, _ = clinic(sessions)
    assert SHORT not in rules_of(sessions, therapist)
    with committed(sessions) as session:
        before = session.scalar(select(ClinicRow.config_revision).where(ClinicRow.id == therapist.clinic_id))
        session.add(
            PayerParameterRow(
                clinic_id=therapist.clinic_id,
                payer_id="ca-medicare-south",
                name=MINIMUM,
                value=25,
                effective_from=date(2026, 1, 1),
                reference="written directly (test)",
            )
        )
    with committed(sessions) as session:
        after = session.scalar(select(ClinicRow.config_revision).where(ClinicRow.id == therapist.clinic_id))
    assert after != before
    assert SHORT in rules_of(sessions, therapist)


def test_a_fee_schedule_uploaded_through_another_connection_prices_the_next_check(
    sessions: sessionmaker[Session],
) -> None:
    therapist, biller = clinic(sessions)
    before = prices_of(sessions, therapist)
    assert before["97012"][0] is None or before["97012"][1] is None or "aetna.csv" not in before["97012"][1]
    with committed(sessions) as session:
        payers.replace_fee_schedule(session, biller, "aetna", FEES, "aetna.csv")
    after = prices_of(sessions, therapist)
    assert str(after["97012"][0]) == "30.00"
    assert "aetna.csv" in after["97012"][1]
    with committed(sessions) as session:
        payers.replace_fee_schedule(session, biller, "aetna", FEES.replace("30.00", "33.00"), "aetna-2.csv")
    assert str(prices_of(sessions, therapist)["97012"][0]) == "33.00"


def test_a_change_rolled_back_is_never_served(sessions: sessionmaker[Session]) -> None:
    therapist, biller = clinic(sessions)
    with sessions() as session:
        payers.set_payer_parameter(session, biller, "ca-medicare-south", MINIMUM, 20, date(2026, 3, 1), "draft")
        seen = notes_service.check_document(session, therapist, note())  # in the same transaction: kept under it
        assert SHORT in {finding.rule for finding in seen.findings}
        session.rollback()
    assert SHORT not in rules_of(sessions, therapist)


def test_one_clinics_values_never_reach_another_clinics_checks(sessions: sessionmaker[Session]) -> None:
    therapist_a, biller_a = clinic(sessions)
    therapist_b, biller_b = clinic(sessions)
    set_minimum(sessions, biller_a, 20)
    with committed(sessions) as session:
        payers.replace_fee_schedule(session, biller_b, "aetna", FEES, "aetna.csv")
    for _ in range(2):  # the second round from what each process keeps
        assert SHORT in rules_of(sessions, therapist_a)
        assert SHORT not in rules_of(sessions, therapist_b)
        assert "aetna.csv" in str(prices_of(sessions, therapist_b)["97012"][1])
        assert "aetna.csv" not in str(prices_of(sessions, therapist_a)["97012"][1])
