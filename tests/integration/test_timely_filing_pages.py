"""The timely filing pages on the day the installation's clock pins: the worklist, the badge on the claims
list, the warning on the claim page, and a batch with a late claim that asks the biller to confirm first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.server import create_app
from ptbill.services.access import Actor
from ptbill.settings import Settings
from ptbill.storage.tables import ClaimRow, PatientRow, UserRow
from tests.integration.api.world import A_USERS, World, running_world
from tests.integration.page_forms import logged_in
from tests.integration.test_timely_filing import built_claim

LATE_DAY = date(2026, 6, 1)  # the day after the commercial plan's assumed 90 days from 2026-03-02


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("timely-pages"), encounters=2, patients=1) as built:
        yield built


@pytest.fixture(scope="module")
def late_claim(world: World) -> int:
    with world.session() as session:
        users = {u.email: u for u in session.scalars(select(UserRow))}
        pt, biller = (users[A_USERS[role]] for role in ("therapist", "biller"))
        patient = session.scalars(select(PatientRow).where(PatientRow.clinic_id == pt.clinic_id)).first()
        assert patient is not None
        claim = built_claim(
            session,
            Actor(pt.id, pt.clinic_id, pt.role, pt.name),
            Actor(biller.id, biller.clinic_id, biller.role, biller.name),
            patient,
            "commercial-lumbar-clean",
        )
        session.commit()
    return claim


@pytest.fixture(scope="module")
def biller(world: World, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(
        database_url=world.database_url,
        data_dir=tmp_path_factory.mktemp("timely-app"),
        secret_key="test",
        secure_cookies=False,
        clock=FixedClock(LATE_DAY),
    )
    return logged_in(create_app(settings), A_USERS["biller"])


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_worklist_badge_and_claim_page_name_the_late_claim(biller: TestClient, late_claim: int) -> None:
    page = biller.get("/claims/timely-filing")
    assert page.status_code == 200
    assert f'href="/claims/{late_claim}"' in page.text
    assert "Past filing limit" in page.text
    assert "90 days" in page.text
    assert "(assumed)" in page.text
    assert (
        biller.get("/claims/timely-filing", params={"payer": "ca-medicare-south"}).text.count("Past filing limit") == 0
    )
    assert "Past filing limit" in biller.get("/claims").text
    claim = biller.get(f"/claims/{late_claim}").text
    assert "Past the payer&#39;s filing limit: filing limit 90 days from the date of service" in claim
    assert "last day 2026-05-31, 1 day past" in claim


def test_a_batch_with_the_late_claim_asks_first_and_is_made_when_confirmed(
    world: World, biller: TestClient, late_claim: int
) -> None:
    token = csrf(biller.get("/claims").text)
    asked = biller.post("/batches", data={"claim_id": str(late_claim), "csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 409
    assert "Create the batch anyway" in asked.text
    assert f'name="claim_id" value="{late_claim}"' in asked.text
    with world.session() as session:
        assert session.get(ClaimRow, late_claim).batch_id is None  # type: ignore[union-attr]
    confirm = {"claim_id": str(late_claim), "confirm_late": "1", "csrf_token": csrf(asked.text)}
    made = biller.post("/batches", data=confirm, follow_redirects=False)
    assert made.status_code == 303, made.text
    with world.session() as session:
        assert session.get(ClaimRow, late_claim).batch_id is not None  # type: ignore[union-attr]
