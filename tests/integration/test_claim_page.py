"""The claim page in the app (a demo clinic on SQLite): a Medicare claim paid with one line denied shows its
timeline, the 835 it came from, the check number and each adjustment in words; Medicare refuses a corrected
claim and the page prepares the reopening request PDF; a write-off lowers the open balance; a returned note
shows on the therapist's list; and the API's history says the same."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.services import access, posting
from ptbill.storage.tables import ClaimRow, UserRow
from tests.integration.api.world import (
    A_USERS,
    B_USERS,
    World,
    billed_claim,
    new_patient,
    note,
    running_world,
)
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_actions import one_line_denied
from tests.integration.test_posting import through_x12


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("claim-page"), encounters=4, patients=2) as built:
        yield built


def denied_claim(world: World, trace: str, file_name: str) -> int:
    """A Medicare claim sent, then answered by an 835 that pays every line but the last, which it denies."""
    _patient, claim = billed_claim(world)
    with world.session() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == A_USERS["biller"])).one()
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        posting.post_remittances(session, actor, through_x12(one_line_denied(row, trace)), file_name)
        session.commit()
    return int(claim["id"])


@pytest.fixture(scope="module")
def claim_id(world: World) -> int:
    return denied_claim(world, "EFT-7731", "era-0320.835")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def biller(world: World) -> TestClient:
    return logged_in(world.app, A_USERS["biller"])


def test_the_page_shows_the_timeline_payment_and_denied_line(biller: TestClient, claim_id: int) -> None:
    page = biller.get(f"/claims/{claim_id}")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    for words in ("Created", "In batch", "Submitted", "Partially paid, some denied", "EFT-7731", "era-0320.835"):
        assert words in text
    assert "CO-50" in text
    assert "N115" in text
    assert "does not take corrected (7) or void (8) claims" in text
    assert f'action="/claims/{claim_id}/corrected"' not in page.text  # Medicare: no corrected-claim button
    assert f'href="/claims/{claim_id}"' in biller.get("/claims").text


def test_a_reopening_request_is_prepared_as_a_pdf(biller: TestClient, claim_id: int) -> None:
    token = csrf_of(biller.get(f"/claims/{claim_id}").text)
    refused = biller.post(f"/claims/{claim_id}/reopening", data={"csrf_token": token, "change": "", "reason": "x"})
    assert refused.status_code == 400
    assert "change: say what" in refused.text
    done = biller.post(
        f"/claims/{claim_id}/reopening",
        data={"csrf_token": token, "change": "Line 3: 97140 units 1 <not 2>", "reason": "Clerical error"},
    )
    assert done.status_code == 200
    assert "Reopening request saved" in done.text
    link = re.search(rf'href="(/claims/{claim_id}/reopening/\d+\.pdf)"', done.text)
    assert link
    pdf = biller.get(link.group(1))
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "97140 units 1 <not 2>" in text
    assert "Request to reopen" in text


def test_a_write_off_lowers_the_open_balance_and_more_than_open_is_refused(
    world: World, biller: TestClient, claim_id: int
) -> None:
    api = world.client(A_USERS["biller"])
    before = api.get(f"/api/claims/{claim_id}/history").json()
    token = csrf_of(biller.get(f"/claims/{claim_id}").text)
    too_much = str(float(before["open"]["total"]) + 1)
    refused = biller.post(
        f"/claims/{claim_id}/write-offs", data={"csrf_token": token, "amount": too_much, "reason_code": "bad_debt"}
    )
    assert refused.status_code == 409
    assert "more than the claim's open balance" in text_of(refused.text)
    bad = biller.post(
        f"/claims/{claim_id}/write-offs", data={"csrf_token": token, "amount": "ten", "reason_code": "other"}
    )
    assert bad.status_code == 400
    assert "amount:" in bad.text
    done = biller.post(
        f"/claims/{claim_id}/write-offs", data={"csrf_token": token, "amount": "1.00", "reason_code": "small_balance"}
    )
    assert "Write-off saved" in done.text
    after = api.get(f"/api/claims/{claim_id}/history").json()
    assert float(after["open"]["total"]) == pytest.approx(float(before["open"]["total"]) - 1)
    assert after["write_offs"][0]["reason_code"] == "small_balance"
    assert after["timeline"][-1]["kind"] == "written_off"
    payment = after["payments"][0]
    assert payment["trace_number"] == "EFT-7731"
    assert payment["lines"][-1]["adjustments"][0]["code"] == "50"
    problem = api.post(f"/api/claims/{claim_id}/write-offs", json={"amount": "1.005", "reason_code": "small_balance"})
    assert problem.status_code == 422
    assert "amount" in problem.json()["problems"][0]
    medicare = api.post(f"/api/claims/{claim_id}/corrected")
    assert medicare.status_code == 409
    assert "reopen" in medicare.json()["detail"]


def test_a_returned_note_shows_on_the_therapists_list(world: World, biller: TestClient, claim_id: int) -> None:
    token = csrf_of(biller.get(f"/claims/{claim_id}").text)
    done = biller.post(
        f"/claims/{claim_id}/return-note", data={"csrf_token": token, "message": "Units for 97140 look high."}
    )
    assert "Note returned" in done.text
    therapist = logged_in(world.app, A_USERS["therapist"])
    listing = therapist.get("/notes").text
    assert "Returned by the biller" in listing
    assert "Units for 97140 look high." in listing
    assert therapist.get(f"/claims/{claim_id}").status_code == 403
    other: Any = logged_in(world.app, B_USERS["biller"])
    assert other.get(f"/claims/{claim_id}").status_code == 404


def test_a_signed_note_returned_through_the_api_goes_back_to_draft(world: World) -> None:
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    patient = new_patient(therapist)
    encounter = therapist.post("/api/encounters", json={"patient_id": patient, "document": note()}).json()["id"]
    assert biller.post(f"/api/encounters/{encounter}/return", json={"message": "x"}).status_code == 409  # a draft
    assert therapist.post(f"/api/encounters/{encounter}/sign").status_code == 200
    assert therapist.post(f"/api/encounters/{encounter}/return", json={"message": "x"}).status_code == 403
    returned = biller.post(f"/api/encounters/{encounter}/return", json={"message": "Add the response to traction."})
    assert returned.status_code == 201, returned.text
    assert returned.json()["back_to_draft"] is True
    assert therapist.get(f"/api/encounters/{encounter}").json()["status"] == "draft"
    assert therapist.post(f"/api/encounters/{encounter}/sign").status_code == 200
