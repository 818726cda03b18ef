"""The claim's balance by party through the API: none before the payer answers; after its 835, the claim's
and each line's payer, patient and written-off amounts, and whether it was denied or underpaid."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ptbill.services import access
from ptbill.storage.tables import ClaimRow, UserRow
from tests.integration.api.test_api_billing import signed_encounter
from tests.integration.api.world import A_USERS, World
from tests.integration.page_forms import logged_in
from tests.integration.test_posting import answer

D = Decimal


def test_a_claims_balance_by_party_appears_once_the_payer_answers(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    built = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world), signed_encounter(world)]})
    assert built.status_code == 201
    claim_ids = [claim["id"] for claim in built.json()]
    assert [claim["answer"] for claim in built.json()] == [None, None]
    assert biller.get(f"/api/claims/{claim_ids[0]}").json()["answer"] is None
    with world.session() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.email == A_USERS["biller"]))
        assert user is not None
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        claims = [session.get(ClaimRow, claim_id) for claim_id in claim_ids]
        answer(session, actor, *claims)  # type: ignore[arg-type]

    paid = biller.get(f"/api/claims/{claim_ids[0]}").json()
    balance = paid["answer"]["balance"]
    assert (paid["status"], paid["answer"]["outcome"], paid["answer"]["denied"]) == ("paid", "paid", False)
    assert paid["answer"]["underpaid"] == "0.00"
    assert balance["payer_paid"] == paid["paid_amount"]
    assert balance["patient"] == balance["coinsurance"] == paid["patient_responsibility"]
    assert D(balance["allowed"]) == D(paid["expected_payment"])
    assert D(balance["payer_paid"]) + D(balance["patient"]) + D(balance["written_off"]) == D(paid["total_charge"])
    for line in paid["lines"]:
        assert line["answer"]["outcome"] == "paid"
        assert line["answer"]["balance"]["payer_paid"] == line["paid_amount"]
        assert D(line["answer"]["balance"]["allowed"]) == D(line["expected_payment"])

    denied = biller.get(f"/api/claims/{claim_ids[1]}").json()
    assert (denied["answer"]["outcome"], denied["answer"]["denied"]) == ("denied", True)
    assert denied["answer"]["denied_amount"] == denied["total_charge"]
    assert denied["answer"]["balance"]["denied"] == denied["total_charge"]
    assert denied["answer"]["balance"]["written_off"] == "0.00"
    listed = {claim["id"]: claim for claim in biller.get("/api/claims").json()}
    assert listed[claim_ids[0]] == paid
    assert listed[claim_ids[1]] == denied


def test_the_claims_page_shows_each_answered_claims_balance_by_party(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    built = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world), signed_encounter(world)]})
    claim_ids = [claim["id"] for claim in built.json()]
    assert biller.post("/api/batches", json={"claim_ids": claim_ids}).status_code == 201
    page = logged_in(world.app, A_USERS["biller"])
    before = page.get("/claims").text
    assert "not answered yet" in before
    with world.session() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.email == A_USERS["biller"]))
        assert user is not None
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        answer(session, actor, *[session.get(ClaimRow, claim_id) for claim_id in claim_ids])  # type: ignore[arg-type]
    paid, denied = (biller.get(f"/api/claims/{claim_id}").json() for claim_id in claim_ids)
    text = page.get("/claims").text
    rows = {row.split("</tr>")[0] for row in text.split("<tr>")}
    paid_row = next(row for row in rows if paid["patient_control_number"] in row)
    denied_row = next(row for row in rows if denied["patient_control_number"] in row)
    balance = paid["answer"]["balance"]
    for party, amount in (("payer", "payer_paid"), ("patient", "patient"), ("written-off", "written_off")):
        assert f'data-balance="{party}">${D(balance[amount]):,.2f}<' in paid_row, party
    assert 'data-balance="open"><span class="muted">' in paid_row
    assert f"${D(denied['total_charge']):,.2f} denied" in denied_row
