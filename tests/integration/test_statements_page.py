"""Statements in the app (a demo clinic on SQLite): the nav links the statements page; the ledger's "Print
statement" stores one and hands out its PDF; the page runs statements and lists them with their PDFs; the
small-balance write-off wants its confirmation and names a bad field; the API runs, lists and downloads them,
answers 422 naming the field, and 404 for another clinic's statement; a therapist is refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.integration.api.world import A_USERS, B_USERS, World, running_world
from tests.integration.ledger_world import answered_visit
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_page import csrf_of, text_of
from tests.integration.test_statements import pdf_text

D = Decimal


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("statements-page"), encounters=2, patients=1) as built:
        yield built


@pytest.fixture(scope="module")
def visit(world: World) -> tuple[int, Decimal]:
    """A patient whose Medicare claim was answered: (patient id, the coinsurance left to them)."""
    return answered_visit(world, "EFT-STMT-PAGE")


@pytest.fixture(scope="module")
def biller(world: World) -> TestClient:
    return logged_in(world.app, A_USERS["biller"])


def test_the_ledger_prints_a_statement_that_is_stored_and_handed_out_as_a_pdf(
    biller: TestClient, visit: tuple[int, Decimal]
) -> None:
    patient, owes = visit
    ledger = biller.get(f"/patients/{patient}/ledger")
    assert 'action="/statements"' not in ledger.text
    assert 'href="/statements"' in ledger.text  # the nav
    assert f'action="/patients/{patient}/statements"' in ledger.text
    printed = biller.post(f"/patients/{patient}/statements", data={"csrf_token": csrf_of(ledger.text)})
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    text = pdf_text(printed.content)
    assert f"${owes:,.2f}" in text
    assert "Amount enclosed" in text


def test_the_page_runs_statements_and_lists_each_with_its_pdf(
    world: World, biller: TestClient, visit: tuple[int, Decimal]
) -> None:
    patient, _ = visit
    page = biller.get("/statements")
    assert page.status_code == 200
    token = csrf_of(page.text)
    bad = biller.post("/statements/runs", data={"csrf_token": token, "minimum": "lots"})
    assert bad.status_code == 400
    assert "minimum: " in text_of(bad.text)
    ran = biller.post("/statements/runs", data={"csrf_token": token, "minimum": "0.00"})
    assert ran.status_code == 200
    (latest,) = world.client(A_USERS["biller"]).get("/api/statements/runs").json()[:1]
    count = latest["count"]
    assert f"{count} statement{'' if count == 1 else 's'} made" in text_of(ran.text)
    assert patient not in [s["patient_id"] for s in latest["statements"]]  # printed today: within the cycle
    for statement in latest["statements"]:
        assert f'href="/statements/{statement["id"]}.pdf"' in ran.text
        assert biller.get(f"/statements/{statement['id']}.pdf").headers["content-type"] == "application/pdf"


def test_the_small_balance_write_off_wants_its_confirmation_then_leaves_nothing_owed(
    biller: TestClient, visit: tuple[int, Decimal]
) -> None:
    patient, owes = visit
    token = csrf_of(biller.get("/statements").text)
    form = {"csrf_token": token, "under": str(owes + 1), "reason_text": "Below our minimum"}
    unconfirmed = biller.post("/statements/small-balance-write-offs", data=form)
    assert unconfirmed.status_code == 400
    assert "confirm: " in text_of(unconfirmed.text)
    too_big = biller.post("/statements/small-balance-write-offs", data={**form, "under": "500", "confirm": "yes"})
    assert too_big.status_code == 400
    assert "under: " in text_of(too_big.text)
    done = biller.post("/statements/small-balance-write-offs", data={**form, "confirm": "yes"})
    assert done.status_code == 200
    assert "Small balances written off:" in text_of(done.text)
    assert "Patient owes now $0.00" in text_of(biller.get(f"/patients/{patient}/ledger").text)


def test_the_api_runs_lists_and_downloads_statements_and_refuses_bad_input(
    world: World, visit: tuple[int, Decimal]
) -> None:
    patient, _ = visit
    api = world.client(A_USERS["biller"])
    bad = api.post("/api/statements/runs", json={"minimum": "-1"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0].startswith("body.minimum: ")
    made = api.post("/api/statements/runs", json={"minimum": "10.00"})
    assert made.status_code == 201, made.text
    runs = api.get("/api/statements/runs").json()
    assert runs[0]["id"] == made.json()["id"]
    mine = api.get(f"/api/patients/{patient}/statements").json()
    assert mine, "the ledger printed one"
    pdf = api.get(mine[0]["pdf"])
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    other = world.client(B_USERS["biller"])
    assert other.get(mine[0]["pdf"]).status_code == 404
    assert other.get(f"/api/patients/{patient}/statements").status_code == 404
    refused = api.post("/api/statements/small-balance-write-offs", json={"under": "5.00", "reason_text": "\t"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0].startswith("body.reason_text: ")


def test_a_therapist_may_not_open_statements(world: World, visit: tuple[int, Decimal]) -> None:
    therapist = logged_in(world.app, A_USERS["therapist"])
    assert therapist.get("/statements").status_code == 403
    assert world.client(A_USERS["therapist"]).get("/api/statements/runs").status_code == 403
