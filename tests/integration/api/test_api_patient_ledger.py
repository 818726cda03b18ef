"""The patient ledger through the API: a payer's answer puts the coinsurance on the patient, a payment
recorded by the biller pays it with the rest as a credit, a refund above the credit is a 409, a bad field a
422 naming it, and a therapist may not record money."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ptbill.services import access
from ptbill.storage.tables import ClaimRow, EncounterRow, UserRow
from tests.integration.api.test_api_billing import signed_encounter
from tests.integration.api.world import A_USERS, World
from tests.integration.ledger_world import post_primary

D = Decimal


def test_a_payment_pays_the_visit_the_rest_is_credit_and_a_refund_gives_it_back(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    [claim] = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world)]}).json()
    with world.session() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.email == A_USERS["biller"]))
        assert user is not None
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        post_primary(session, access.Actor(user.id, user.clinic_id, user.role, user.name), row, f"EFT-API-{row.id}")
        encounter = session.get(EncounterRow, row.encounter_id)
        assert encounter is not None
        patient_id = encounter.patient_id
    ledger = biller.get(f"/api/patients/{patient_id}/ledger").json()
    visit = next(v for v in ledger["visits"] if v["claim_id"] == claim["id"])
    owes = D(visit["patient_owes"])
    assert owes > 0
    assert visit["due_since"] is not None
    assert {"charge", "payer_payment", "adjustment", "transfer"} <= {e["kind"] for e in ledger["entries"]}
    before_credit = D(ledger["credit"])

    paid = biller.post(f"/api/patients/{patient_id}/payments", json={"amount": str(owes + 7), "method": "cash"})
    assert paid.status_code == 201, paid.text
    assert {"claim_id": claim["id"], "amount": f"{owes:.2f}"} in paid.json()["applied"]
    after = biller.get(f"/api/patients/{patient_id}/ledger").json()
    assert D(next(v for v in after["visits"] if v["claim_id"] == claim["id"])["patient_owes"]) == 0
    credit = D(after["credit"])
    assert credit >= before_credit + 7 - sum(D(v["patient_owes"]) for v in ledger["visits"])

    too_much = {"amount": str(credit + 1), "method": "check", "reference": "3001"}
    assert biller.post(f"/api/patients/{patient_id}/refunds", json=too_much).status_code == 409
    refund = {"amount": str(credit), "method": "check", "reference": "3001", "reason": "overpaid"}
    refunded = biller.post(f"/api/patients/{patient_id}/refunds", json=refund)
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["credit"] == "0.00"

    bad = biller.post(f"/api/patients/{patient_id}/payments", json={"amount": "5", "method": "barter"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0].startswith("body.method")
    therapist = world.client(A_USERS["therapist"])
    assert (
        therapist.post(f"/api/patients/{patient_id}/payments", json={"amount": "5", "method": "cash"}).status_code
        == 403
    )
    assert therapist.get(f"/api/patients/{patient_id}/ledger").status_code == 403
