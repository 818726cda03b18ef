"""Two people at once on remittances, on PostgreSQL: the same 835 uploaded from two logged-in browser
sessions of the served app at the same moment posts once (the other upload answers "already posted"),
and two manual matches of one unmatched payment at the same moment apply it once."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, remittance_files, unmatched
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, RemittanceFileRow
from tests.integration.api.world import fresh_database
from tests.integration.served import served_app
from tests.integration.test_concurrency import together
from tests.integration.test_posting import billed_claim, remittance_for

pytestmark = pytest.mark.postgres
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("remit-pg")) as url:
        yield url


@pytest.fixture(scope="module")
def factory(database: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(database)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def new_claim(factory: sessionmaker[Session], name: str) -> tuple[access.Actor, ClaimRow]:
    with transaction(factory) as session:
        biller, claim = billed_claim(session, name)
        claim_id = claim.id
    with factory() as session:
        row = session.scalar(select(ClaimRow).where(ClaimRow.id == claim_id).options(selectinload(ClaimRow.lines)))
        assert row is not None
        session.expunge(row)
        return biller, row


def log_in(base: str, email: str) -> tuple[httpx.Client, str]:
    """A browser session: logged in, with the CSRF token of the upload page."""
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"email": email, "password": "pw-123456", "csrf_token": token.group(1)})
    assert answer.status_code in (200, 303), answer.text
    page = client.get("/remittances")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return client, csrf.group(1)


def test_the_same_835_uploaded_from_two_browser_sessions_at_once_posts_once(
    database: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    name = f"s{uuid.uuid4().hex[:6]}"
    _, claim = new_claim(factory, name)
    data = write_835(remittance_for(claim, trace=f"EFT-{name}")).encode()
    with served_app(database, tmp_path, "remit-secret") as app:
        sessions = [log_in(app.base, f"billing@{name}.example") for _ in range(2)]

        def post(client: httpx.Client, csrf: str) -> Any:
            return client.post("/remittances", data={"csrf_token": csrf}, files=[("files", ("era.835", data))])

        (first, first_csrf), (second, second_csrf) = sessions
        answers = together(lambda: post(first, first_csrf), lambda: post(second, second_csrf))
        for client, _ in sessions:
            client.close()
    assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers), answers
    outcomes = sorted("Already posted:" in a.text for a in answers)
    assert outcomes == [False, True], [a.text[-3000:] for a in answers]
    assert sum("Posted:" in a.text for a in answers) == 1
    with factory() as session:
        assert session.scalar(select(func.count()).where(ClaimPaymentRow.claim_id == claim.id)) == 1
        files = select(func.count()).where(
            RemittanceFileRow.file_name == "era.835", RemittanceFileRow.clinic_id == claim.clinic_id
        )
        assert session.scalar(files) == 1
        paid = session.scalar(select(ClaimRow.paid_amount).where(ClaimRow.id == claim.id))
        assert paid == sum((line.charge / 4).quantize(paid.__class__("0.01")) for line in claim.lines)  # type: ignore[union-attr]


def test_two_matches_of_one_payment_at_once_apply_it_once(factory: sessionmaker[Session]) -> None:
    for round_number in range(4):
        biller, claim = new_claim(factory, f"m{round_number}{uuid.uuid4().hex[:6]}")
        base = remittance_for(claim, trace=f"EFT-M{uuid.uuid4().hex[:8]}")
        stray = dataclasses.replace(base.claims[0], patient_control_number=f"LOST-{uuid.uuid4().hex[:8]}")
        text = write_835(dataclasses.replace(base, claims=(stray,)))
        with transaction(factory) as session:
            posted = remittance_files.post_file(session, biller, "era.835", text.encode(), max_bytes=LIMIT)
            assert posted.outcome == "posted", posted.message
            [item] = unmatched.list_unmatched(session, biller)

        def match(payment_id: int = item.id, claim_id: int = claim.id, actor: access.Actor = biller) -> Any:
            with transaction(factory) as session:
                return unmatched.match_payment(session, actor, payment_id, claim_id)

        results = together(match, match)
        wins = [r for r in results if isinstance(r, unmatched.MatchResult)]
        losses = [r for r in results if isinstance(r, access.ConflictError)]
        assert (len(wins), len(losses)) == (1, 1), results
        with factory() as session:
            row = session.get(ClaimPaymentRow, item.id)
            assert row is not None
            assert row.claim_id == claim.id
            assert session.scalar(select(ClaimRow.paid_amount).where(ClaimRow.id == claim.id)) == stray.paid
