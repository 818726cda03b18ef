"""Remittance in the JSON API and the pages: the same 835 uploaded twice posts once, a malformed file
posts nothing and names the segment, payments reconcile, and an unmatched payment is matched by hand once.
On SQLite and PostgreSQL (the ``world`` fixture)."""

from __future__ import annotations

import dataclasses
import re
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ptbill.remittance.x12_835.writer import write_835
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, RemittanceFileRow
from tests.integration.api.world import A_USERS, World, new_patient, note
from tests.integration.page_forms import logged_in
from tests.integration.test_posting import remittance_for

D = Decimal


def a_claim(world: World, users: dict[str, str] = A_USERS) -> ClaimRow:
    """A fresh claim of the users' clinic, with its lines, detached from its session."""
    therapist, biller = world.client(users["therapist"]), world.client(users["biller"])
    patient = new_patient(therapist)
    created = therapist.post("/api/encounters", json={"patient_id": patient, "document": note()})
    assert created.status_code == 201, created.text
    assert therapist.post(f"/api/encounters/{created.json()['id']}/sign").status_code == 200
    [claim] = biller.post("/api/claims", json={"encounter_ids": [created.json()["id"]]}).json()
    with world.session() as session:
        row = session.scalar(select(ClaimRow).where(ClaimRow.id == claim["id"]).options(selectinload(ClaimRow.lines)))
        assert row is not None
        session.expunge(row)
        return row


def era_of(claim: ClaimRow, **changes: Any) -> bytes:
    remittance = remittance_for(claim, trace=f"EFT-{uuid.uuid4().hex[:10]}")
    return write_835(dataclasses.replace(remittance, **changes)).encode()


def upload(world: World, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    biller = world.client(A_USERS["biller"])
    response = biller.post("/api/remittances", files=[("files", (name, data, "text/plain")) for name, data in files])
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()
    return results


def files_with(world: World, data: bytes) -> int:
    import hashlib

    with world.session() as session:
        digest = hashlib.sha256(data).hexdigest()
        return int(session.scalar(select(func.count()).where(RemittanceFileRow.sha256 == digest)) or 0)


def payments_of(world: World, claim_id: int) -> int:
    with world.session() as session:
        return int(session.scalar(select(func.count()).where(ClaimPaymentRow.claim_id == claim_id)) or 0)


def test_the_same_835_uploaded_twice_through_the_api_posts_once(world: World) -> None:
    claim = a_claim(world)
    data = era_of(claim)
    [first] = upload(world, ("era.835", data))
    [again] = upload(world, ("era.835", data))
    assert first["outcome"] == "posted", first
    assert again["outcome"] == "already_posted"
    assert "already posted" in again["message"]
    assert again["file"]["id"] == first["file"]["id"]
    assert first["file"]["summary"]["claims_matched"] == 1
    assert files_with(world, data) == 1
    assert payments_of(world, claim.id) == 1
    biller = world.client(A_USERS["biller"])
    stored = biller.get(f"/api/remittances/{first['file']['id']}").json()
    assert stored["summary"]["payments_total"] == first["file"]["summary"]["payments_total"]
    assert first["file"]["id"] in {f["id"] for f in biller.get("/api/remittances").json()}


def test_one_request_with_a_good_and_a_malformed_file_posts_the_good_one_only(world: World) -> None:
    good, bad = a_claim(world), a_claim(world)
    broken = era_of(bad).replace(b"CLP*" + bad.patient_control_number.encode() + b"*1*", b"CLP*X*1*Y", 1)
    results = upload(world, ("good.835", era_of(good)), ("bad.835", broken))
    assert [r["outcome"] for r in results] == ["posted", "refused"]
    assert results[1]["reason"] == "malformed"
    assert "(CLP)" in results[1]["message"]
    assert "CLP03" in results[1]["message"]
    assert payments_of(world, good.id) == 1
    assert files_with(world, broken) == 0
    with world.session() as session:
        assert session.scalar(select(func.count()).where(ClaimPaymentRow.patient_control_number == "X")) == 0


def test_the_upload_page_posts_once_and_says_already_posted(world: World) -> None:
    claim = a_claim(world)
    data = era_of(claim)
    client = logged_in(world.app, A_USERS["biller"])
    page = client.get("/remittances")
    assert page.status_code == 200
    assert "MiB in all per upload" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answers = [
        client.post("/remittances", data={"csrf_token": token.group(1)}, files=[("files", ("era.835", data))])
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert "Posted:" in answers[0].text
    assert "Already posted:" in answers[1].text
    assert payments_of(world, claim.id) == 1
    file_id = re.search(r'href="/remittances/(\d+)"', answers[0].text)
    assert file_id is not None
    summary = client.get(f"/remittances/{file_id.group(1)}")
    assert "Claims matched" in summary.text
    refused = client.post(
        "/remittances", data={"csrf_token": token.group(1)}, files=[("files", ("notes.txt", b"hello"))]
    )
    assert "not an X12 835" in refused.text


def test_payments_reconcile_in_the_api_and_on_the_page(world: World) -> None:
    claim = a_claim(world)
    [posted] = upload(world, ("era.835", era_of(claim)))
    [payment_id] = posted["file"]["summary"]["payment_ids"]
    biller = world.client(A_USERS["biller"])
    listed = {p["id"]: p for p in biller.get("/api/payments").json()}
    payment = listed[payment_id]
    assert payment["reconciled"] is True
    assert D(payment["total"]) == D(payment["claims_paid"]) - D(payment["plb_total"])
    detail = biller.get(f"/api/payments/{payment_id}").json()
    assert [c["claim_id"] for c in detail["claims"]] == [claim.id]
    assert biller.get(f"/api/payments/{payment_id}", params={"offset": 1}).json()["claims"] == []
    assert biller.get(f"/api/payments/{payment_id}", params={"limit": 0}).status_code == 422
    page = logged_in(world.app, A_USERS["biller"]).get(f"/payments/{payment_id}")
    assert f'href="/claims/{claim.id}"' in page.text
    assert "✓ yes" in page.text
    assert biller.get("/api/payments", params={"from": "2026-03-21"}).json() == [
        p for p in biller.get("/api/payments", params={"from": "2026-03-21"}).json() if p["id"] != payment_id
    ]
    assert biller.get("/api/payments", params={"from": "not a date"}).status_code == 422


def test_an_unmatched_payment_is_matched_once_through_the_api(world: World) -> None:
    claim = a_claim(world)
    base = remittance_for(claim, trace=f"EFT-{uuid.uuid4().hex[:10]}")
    stray = dataclasses.replace(base.claims[0], patient_control_number=f"LOST-{uuid.uuid4().hex[:8]}")
    [posted] = upload(world, ("era.835", write_835(dataclasses.replace(base, claims=(stray,))).encode()))
    assert posted["file"]["summary"]["unmatched_claims"] == [stray.patient_control_number]
    biller = world.client(A_USERS["biller"])
    [item] = [
        u
        for u in biller.get("/api/remittances/unmatched").json()
        if u["patient_control_number"] == stray.patient_control_number
    ]
    matched = biller.post(f"/api/claim-payments/{item['id']}/match", json={"claim_id": claim.id})
    assert matched.status_code == 200, matched.text
    assert D(matched.json()["claim_paid_amount"]) == stray.paid
    again = biller.post(f"/api/claim-payments/{item['id']}/match", json={"claim_id": claim.id})
    assert again.status_code == 409
    assert payments_of(world, claim.id) == 1
    with world.session() as session:
        assert session.scalar(select(ClaimRow.paid_amount).where(ClaimRow.id == claim.id)) == stray.paid
