"""The patient ledger page in the app (a demo clinic on SQLite): linked from the chart, it shows what the
patient owes after the payer's answer; the payment form records money and the rest becomes a credit, the
refund form gives it back and refuses more than the credit, a bad entry is shown beside the form and
saves nothing, and a therapist is refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.integration.api.world import (
    A_USERS,
    World,
    running_world,
)
from tests.integration.ledger_world import answered_visit
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_page import csrf_of, text_of

D = Decimal


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("ledger-page"), encounters=2, patients=1) as built:
        yield built


@pytest.fixture(scope="module")
def visit(world: World) -> tuple[int, Decimal]:
    """A patient whose Medicare claim was answered: (patient id, the coinsurance left to them)."""
    return answered_visit(world, "EFT-PG-1")


@pytest.fixture(scope="module")
def biller(world: World) -> TestClient:
    return logged_in(world.app, A_USERS["biller"])


def test_the_chart_links_the_ledger_which_shows_what_the_patient_owes(
    biller: TestClient, visit: tuple[int, Decimal]
) -> None:
    patient, owes = visit
    assert f'href="/patients/{patient}/ledger"' in biller.get(f"/patients/{patient}").text
    page = biller.get(f"/patients/{patient}/ledger")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    for words in (
        "Patient owes now",
        f"${owes:,.2f}",
        "Insurance paid",
        "Coinsurance, passed to the patient",
        "Record a payment",
    ):
        assert words in text, words


def test_a_payment_then_a_refund_through_the_forms(biller: TestClient, visit: tuple[int, Decimal]) -> None:
    patient, owes = visit
    token = csrf_of(biller.get(f"/patients/{patient}/ledger").text)
    bad = biller.post(f"/patients/{patient}/payments", data={"csrf_token": token, "amount": "ten", "method": "cash"})
    assert bad.status_code == 400
    assert "amount: " in text_of(bad.text)
    paid = biller.post(
        f"/patients/{patient}/payments",
        data={"csrf_token": token, "amount": str(owes + 10), "method": "check", "reference": "1234"},
    )
    assert paid.status_code == 200
    text = text_of(paid.text)
    assert "Payment recorded." in text
    assert "Credit of $10.00" in text
    assert "Check 1234" in text
    too_much = biller.post(
        f"/patients/{patient}/refunds",
        data={"csrf_token": token, "amount": "10.01", "method": "check", "reference": "77"},
    )
    assert too_much.status_code == 409
    assert "more than the patient's credit" in text_of(too_much.text)
    refunded = biller.post(
        f"/patients/{patient}/refunds",
        data={"csrf_token": token, "amount": "10.00", "method": "check", "reference": "77"},
    )
    assert refunded.status_code == 200
    assert "Refund recorded." in text_of(refunded.text)
    assert "Credit of" not in text_of(refunded.text)


def test_a_therapist_may_not_open_the_ledger(world: World, visit: tuple[int, Decimal]) -> None:
    therapist = logged_in(world.app, A_USERS["therapist"])
    assert therapist.get(f"/patients/{visit[0]}/ledger").status_code == 403
