"""Two people at once, on PostgreSQL with real parallel connections (and on SQLite, which serializes
writers): two different 835s paying the same claims lose nothing, the same 835 posted twice at once
posts once, two "create batch" requests never put a claim into two 837P files, and control numbers
drawn from the main database are never handed out twice.

Each worker is a thread with its own session and connection; a barrier starts them together.
The database is committed for real (a fresh SQLite file or PostgreSQL schema for this module).
"""

from __future__ import annotations

import copy
import dataclasses
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.remittance import ClaimPayment, ClaimStatus, PatientName
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, billing, patients, posting
from ptbill.services import batches as batches_service
from ptbill.services import notes as notes_service
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.session import DatabaseBusyError, make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimBatchRow, ClaimLineRow, ClaimPaymentRow, ClaimRow, RemittanceRow
from tests.integration.api.world import fresh_database
from tests.integration.test_posting import line, remittance_for
from tests.integration.test_storage_services import CLEAN, make_clinic

D = Decimal
CLAIMS_PER_ROUND = 12
TRADING = TradingConfig(TEST_TRADING, {})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with fresh_database(request.param, tmp_path_factory.mktemp(f"concurrency-{request.param}")) as url:
        engine: Engine = make_engine(url)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()


@dataclass
class Clinic:
    biller: access.Actor
    therapist: access.Actor
    patient_id: int


@pytest.fixture(scope="module")
def clinic(factory: sessionmaker[Session]) -> Clinic:
    with transaction(factory) as session:
        therapist, biller, patient = make_clinic(session, f"c{uuid.uuid4().hex[:8]}")
        return Clinic(biller, therapist, patient.id)


def billed_claims(factory: sessionmaker[Session], clinic: Clinic, count: int = CLAIMS_PER_ROUND) -> list[int]:
    """``count`` signed notes billed as claims, committed; their claim ids. Each note is another patient's
    first visit of the year, as a day's claims are: one patient's many notes would pass the therapy threshold."""
    with transaction(factory) as session:
        encounter_ids = []
        for _ in range(count):
            document = copy.deepcopy(CLEAN)
            document["id"] = f"cc-{uuid.uuid4().hex[:12]}"
            patient = patients.create_patient(
                session,
                clinic.therapist,
                {
                    "chart_number": f"C-{uuid.uuid4().hex[:10]}",
                    "first_name": "Ava",
                    "last_name": "Testwell",
                    "birth_date": date(1961, 4, 2),
                    "sex": "F",
                },
            )
            row, _ = notes_service.save_encounter(session, clinic.therapist, document, patient.id)
            notes_service.sign_encounter(session, clinic.therapist, row.id)
            encounter_ids.append(row.id)
        return [claim.id for claim in billing.build_claims(session, clinic.biller, encounter_ids)]


def together(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, started together; each result or the exception it raised."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except Exception as exc:  # the test inspects what each worker ended with
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


# posting ---------------------------------------------------------------------------------------


def payment_835(claims: list[ClaimRow], trace: str, share: Decimal) -> str:
    """A balanced 835 paying ``share`` of each line's expected payment, the rest written off (CO-45)."""
    payments = []
    for claim in claims:
        paid = [((billed.expected_payment or D(0)) * share).quantize(D("0.01")) for billed in claim.lines]
        lines = tuple(
            line(billed.code, tuple(billed.modifiers), str(billed.charge), str(amount), str(billed.charge - amount))
            for billed, amount in zip(claim.lines, paid, strict=True)
        )
        payments.append(
            ClaimPayment(
                claim.patient_control_number,
                ClaimStatus.PRIMARY,
                claim.total_charge,
                sum(paid, D(0)),
                patient_responsibility=D(0),
                payer_claim_control_number=f"{trace}-{claim.id}",
                patient=PatientName("LOPEZ", "MARIA"),
                service_lines=lines,
            )
        )
    paid_total = sum((p.paid for p in payments), D(0))
    header = remittance_for(claims[0], trace=trace)  # the payer, payee and dates of the posting tests
    return write_835(dataclasses.replace(header, claims=tuple(payments), payment_amount=paid_total))


def post(factory: sessionmaker[Session], actor: access.Actor, text: str, name: str) -> posting.PostingSummary:
    with transaction(factory) as session:
        return posting.post_remittances(session, actor, read_835(text), name)


def load_claims(factory: sessionmaker[Session], claim_ids: list[int]) -> list[ClaimRow]:
    with factory() as session:
        rows = list(session.scalars(select(ClaimRow).where(ClaimRow.id.in_(claim_ids)).order_by(ClaimRow.id)))
        for row in rows:
            _ = row.lines
        session.expunge_all()
        return rows


def test_two_different_835s_paying_the_same_claims_at_once_lose_nothing(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    for round_number in range(6):
        claim_ids = billed_claims(factory, clinic)
        claims = load_claims(factory, claim_ids)
        assert all((c.expected_payment or 0) > 0 for c in claims)
        # Each payment alone leaves the claim underpaid (partial); the two together pay it in full.
        first = payment_835(claims, f"A{round_number}-{uuid.uuid4().hex[:6]}", D("0.4"))
        second = payment_835(claims, f"B{round_number}-{uuid.uuid4().hex[:6]}", D("0.7"))
        results = together(
            partial(post, factory, clinic.biller, first, "a.835"),
            partial(post, factory, clinic.biller, second, "b.835"),
        )
        for result in results:
            # SQLite may answer "busy" to the second writer; PostgreSQL must serialize both.
            if isinstance(result, DatabaseBusyError) and factory.kw["bind"].dialect.name == "sqlite":
                continue
            assert isinstance(result, posting.PostingSummary), repr(result)
            assert result.claims_posted == CLAIMS_PER_ROUND
        with factory() as session:
            for claim in session.scalars(select(ClaimRow).where(ClaimRow.id.in_(claim_ids))):
                payments = list(session.scalars(select(ClaimPaymentRow).where(ClaimPaymentRow.claim_id == claim.id)))
                paid = sum((p.paid for p in payments), D(0))
                assert claim.paid_amount == paid, f"round {round_number}: claim {claim.id} lost a payment"
                assert claim.status == ("paid" if len(payments) == 2 else "partial")
                for line in session.scalars(select(ClaimLineRow).where(ClaimLineRow.claim_id == claim.id)):
                    matched = [e for p in payments for e in p.lines if e["matched_line"] == line.line_number]
                    from_rows = sum((D(entry["paid"]) for entry in matched), D(0))
                    assert line.paid_amount == from_rows


def test_the_same_835_posted_twice_at_once_posts_once_and_says_already_posted(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    claim_ids = billed_claims(factory, clinic)
    text = payment_835(load_claims(factory, claim_ids), f"SAME-{uuid.uuid4().hex[:6]}", D("1"))
    results = together(
        lambda: post(factory, clinic.biller, text, "era.835"),
        lambda: post(factory, clinic.biller, text, "era.835 (again)"),
    )
    summaries = [r for r in results if isinstance(r, posting.PostingSummary)]
    others = [r for r in results if not isinstance(r, posting.PostingSummary)]
    if factory.kw["bind"].dialect.name == "sqlite":
        assert all(isinstance(r, DatabaseBusyError) for r in others), repr(others)
    else:
        assert others == [], repr(others)
    assert sorted(s.claims_posted for s in summaries)[-1] == CLAIMS_PER_ROUND
    if len(summaries) == 2:
        assert sorted((s.claims_posted, s.claims_already_posted) for s in summaries) == [
            (0, CLAIMS_PER_ROUND),
            (CLAIMS_PER_ROUND, 0),
        ]
    with factory() as session:
        trace = read_835(text).__next__().trace_number
        assert len(list(session.scalars(select(RemittanceRow).where(RemittanceRow.trace_number == trace)))) == 1
        for claim in session.scalars(select(ClaimRow).where(ClaimRow.id.in_(claim_ids))):
            payments = list(session.scalars(select(ClaimPaymentRow).where(ClaimPaymentRow.claim_id == claim.id)))
            assert len(payments) == 1
            assert claim.paid_amount == payments[0].paid


# batches ---------------------------------------------------------------------------------------


def make_batch(factory: sessionmaker[Session], actor: access.Actor, claim_ids: list[int]) -> int:
    with transaction(factory) as session:
        return batches_service.create_batch(session, actor, claim_ids, TRADING, confirm_late=True).id


def clm01s(content: str) -> list[str]:
    """The patient control numbers (CLM01) an 837P file sends."""
    return [segment.split("*")[1] for segment in content.split("~") if segment.strip().startswith("CLM*")]


def test_two_batches_built_at_once_never_share_a_claim(factory: sessionmaker[Session], clinic: Clinic) -> None:
    for round_number in range(8):
        claim_ids = billed_claims(factory, clinic, 4)
        results = together(
            partial(make_batch, factory, clinic.biller, claim_ids),
            partial(make_batch, factory, clinic.biller, claim_ids),
        )
        made = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if not isinstance(r, int)]
        assert len(made) == 1, f"round {round_number}: {results!r}"
        (loser,) = refused
        if not isinstance(loser, DatabaseBusyError):
            assert isinstance(loser, access.ConflictError), repr(loser)
            assert "already in batch" in str(loser)
            for claim_id in claim_ids:
                assert str(claim_id) in str(loser)
        with factory() as session:
            batches = list(session.scalars(select(ClaimBatchRow).where(ClaimBatchRow.id.in_(made))))
            claims = list(session.scalars(select(ClaimRow).where(ClaimRow.id.in_(claim_ids))))
            sent = [number for batch in batches for number in clm01s(batch.content)]
            assert sorted(sent) == sorted(c.patient_control_number.upper() for c in claims)
            assert {c.batch_id for c in claims} == set(made)


def test_batches_built_at_once_on_other_claims_get_distinct_control_numbers(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    first, second = billed_claims(factory, clinic, 2), billed_claims(factory, clinic, 2)
    results = together(
        lambda: make_batch(factory, clinic.biller, first), lambda: make_batch(factory, clinic.biller, second)
    )
    made = [r for r in results if isinstance(r, int)]
    if factory.kw["bind"].dialect.name == "sqlite":
        assert all(isinstance(r, int | DatabaseBusyError) for r in results), repr(results)
    else:
        assert len(made) == 2, repr(results)
    with factory() as session:
        numbers = [
            b.interchange_control_number for b in session.scalars(select(ClaimBatchRow).order_by(ClaimBatchRow.id))
        ]
    assert len(numbers) == len(set(numbers)), numbers


def test_control_numbers_come_from_the_database_so_two_app_servers_never_reuse_one(
    factory: sessionmaker[Session], clinic: Clinic, tmp_path: Path
) -> None:
    """Two servers on one database (each with its own data folder) must not send the same ISA13."""
    from ptbill.server import create_app
    from ptbill.settings import Settings

    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    numbers = []
    for folder in ("server-one", "server-two"):
        (tmp_path / folder).mkdir()
        server = create_app(Settings(url, tmp_path / folder, "s" * 40, secure_cookies=False))
        sessions = server.state.ptbill.sessions
        claim_ids = billed_claims(factory, clinic, 1)
        with transaction(sessions) as session:
            numbers.append(
                batches_service.create_batch(
                    session, clinic.biller, claim_ids, TRADING, confirm_late=True
                ).interchange_control_number
            )
        sessions.kw["bind"].dispose()
    assert numbers[0] != numbers[1]


def test_control_numbers_drawn_at_the_same_moment_are_never_the_same(factory: sessionmaker[Session]) -> None:
    scope = f"race-{uuid.uuid4().hex[:6]}"

    def draw() -> list[int]:
        drawn = []
        for _ in range(25):
            with transaction(factory) as session:
                drawn.append(StoredControlNumbers(session, scope).next("interchange"))
        return drawn

    first, second = together(draw, draw)
    assert sorted(first + second) == list(range(1, 51))


# a busy SQLite database ------------------------------------------------------------------------

BUSY = "the database is busy with another change; nothing of this one was saved: try again in a moment"


@contextmanager
def held_by_another_program(factory: sessionmaker[Session]) -> Iterator[None]:
    """Another program holds SQLite's write lock, longer than the 5 s the app waits for it."""
    url = factory.kw["bind"].url
    if url.get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL waits for the rows it needs, not for the whole database")
    holder = sqlite3.connect(str(url.database))
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_busy_sqlite_database_answers_posting_clearly_and_posts_once_free(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    claim_ids = billed_claims(factory, clinic, 1)
    text = payment_835(load_claims(factory, claim_ids), f"BUSY-{uuid.uuid4().hex[:6]}", D("1"))
    with held_by_another_program(factory), pytest.raises(DatabaseBusyError) as busy:
        post(factory, clinic.biller, text, "era.835")
    assert str(busy.value) == BUSY
    assert post(factory, clinic.biller, text, "era.835").claims_posted == 1


def test_a_busy_sqlite_database_answers_the_api_with_503_and_a_message(
    factory: sessionmaker[Session], clinic: Clinic, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from ptbill.server import create_app
    from ptbill.services.sessions import open_session, system_clock
    from ptbill.settings import Settings

    claim_ids = billed_claims(factory, clinic, 1)
    server = create_app(Settings(factory.kw["bind"].url.render_as_string(), tmp_path, "s" * 40, secure_cookies=False))
    with factory.begin() as session:
        token = open_session(session, clinic.biller, system_clock())
    client = TestClient(server, headers={"Authorization": f"Bearer {token}"})
    with held_by_another_program(factory):
        response = client.post("/api/batches", json={"claim_ids": claim_ids})
    server.state.ptbill.sessions.kw["bind"].dispose()
    assert (response.status_code, response.json()) == (503, {"detail": BUSY})
