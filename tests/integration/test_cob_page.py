"""The claim page's "Other payers" card in the app (a demo clinic on SQLite): a Medicare claim answered with a
patient share offers "Build the secondary claim"; the button builds it, the new claim's page links back to the
primary, and the API's next-payer action returns that same claim; another clinic's biller gets 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.domain.remittance import ClaimStatus
from ptbill.services import access, patients, posting
from ptbill.storage.tables import ClaimRow, UserRow
from tests.integration.api.world import (
    A_USERS,
    B_USERS,
    World,
    billed_claim,
    running_world,
)
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_page import csrf_of, text_of
from tests.integration.test_cob import PRIMARY, answer


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("cob-page"), encounters=2, patients=1) as built:
        yield built


@pytest.fixture(scope="module")
def claim_id(world: World) -> int:
    """A Medicare claim sent and answered with a patient share; the Medigap coverage is added afterwards,
    so posting built no secondary claim and the biller builds it from the page."""
    patient, claim = billed_claim(world)
    with world.session() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == A_USERS["biller"])).one()
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        primary_835 = answer(row.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="MEDICARE", trace="P-1")
        posting.post_remittances(session, actor, [primary_835], "medicare.835")
        patients.add_coverage(session, actor, patient, {"payer_id": "aetna", "member_id": "MS88123456", "priority": 2})
        session.commit()
    return int(claim["id"])


@pytest.fixture(scope="module")
def biller(world: World) -> TestClient:
    return logged_in(world.app, A_USERS["biller"])


def test_the_biller_builds_the_secondary_claim_from_the_primarys_page(
    world: World, biller: TestClient, claim_id: int
) -> None:
    page = biller.get(f"/claims/{claim_id}")
    assert page.status_code == 200, page.text
    assert "Build the secondary claim" in page.text
    built = biller.post(f"/claims/{claim_id}/next-payer", data={"csrf_token": csrf_of(page.text)})
    assert built.status_code == 200, built.text
    text = text_of(built.text)
    assert "Claim to the next payer built" in text
    assert "goes to the secondary payer" in text
    assert f'href="/claims/{claim_id}"' in built.text  # the secondary links back to the primary
    secondary_id = int(str(built.url).rstrip("/").split("?")[0].rsplit("/", 1)[1])

    primary_page = text_of(biller.get(f"/claims/{claim_id}").text)
    assert "Secondary claim built" in primary_page
    assert "Build the secondary claim" not in primary_page

    api = world.client(A_USERS["biller"])
    again = api.post(f"/api/claims/{claim_id}/next-payer")
    assert again.status_code == 201, again.text
    assert again.json()["id"] == secondary_id  # never two secondary claims for one answer
    other = world.client(B_USERS["biller"])
    assert other.post(f"/api/claims/{claim_id}/next-payer").status_code == 404
