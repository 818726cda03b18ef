"""Denied lines through the API: the list with its filters and counts, one item with its history, a
compare-and-set change (409 when the item moved), notes, bad fields named (422), and the appeal packet
(409 after the deadline unless late=true)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from sqlalchemy import select

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, posting
from ptbill.storage.tables import ClaimRow, DenialItemRow, UserRow
from tests.integration.api.test_api_billing import signed_encounter
from tests.integration.api.world import A_USERS, World
from tests.integration.test_denial_items import with_one_denied_line


def deny_a_line(world: World, email: str, claim_id: int, notice: date | None = None) -> int:
    """Post an 835 paying the claim with its last line denied (CO-96 / N20); the new item's id."""
    with world.session() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.email == email))
        assert user is not None
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        claim = session.get(ClaimRow, claim_id)
        assert claim is not None
        remittance = with_one_denied_line(claim)
        if notice is not None:
            remittance = dataclasses.replace(remittance, payment_date=notice)
        posting.post_remittances(session, actor, read_835(write_835(remittance)), "api-denial.835")
        item_id = session.scalar(select(DenialItemRow.id).where(DenialItemRow.claim_id == claim_id))
        assert item_id is not None
        return item_id


def a_denied_line(world: World, notice: date | None = None) -> int:
    biller = world.client(A_USERS["biller"])
    [claim] = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world)]}).json()
    return deny_a_line(world, A_USERS["biller"], claim["id"], notice)


def test_a_denied_line_is_listed_read_and_worked_through_the_api(world: World) -> None:
    item_id = a_denied_line(world, SYSTEM_CLOCK.today() - timedelta(days=10))
    biller = world.client(A_USERS["biller"])
    listed = biller.get("/api/denials", params={"reason": "CO-96", "limit": 500})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert item_id in [i["id"] for i in body["items"]]
    assert body["by_status"]["new"] >= 1
    item = biller.get(f"/api/denials/{item_id}").json()
    assert (item["status"], item["key"], item["carc_group"], item["carc"]) == ("new", "CO-96 / N20", "CO", "96")
    assert item["appeal"]["name"] == "redetermination"
    assert item["appeal"]["form"] == "CMS-20027"
    assert item["events"][0]["kind"] == "created"
    me = biller.get("/api/me").json()["id"]
    moved = biller.patch(
        f"/api/denials/{item_id}",
        json={"expected_status": "new", "status": "in progress", "assignee_id": me, "follow_up": "2031-01-05"},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["assignee_id"], moved.json()["follow_up"]) == (
        "in progress", me, "2031-01-05",
    )  # fmt: skip
    stale = biller.patch(f"/api/denials/{item_id}", json={"expected_status": "new", "status": "resolved"})
    assert stale.status_code == 409
    assert "is in progress now" in stale.json()["detail"]
    cleared = biller.patch(f"/api/denials/{item_id}", json={"expected_status": "in progress", "follow_up": None})
    assert cleared.json()["follow_up"] is None
    assert cleared.json()["assignee_id"] == me  # left out: unchanged
    nobody = biller.patch(f"/api/denials/{item_id}", json={"expected_status": "in progress", "assignee_id": 999999})
    assert nobody.status_code == 422
    assert nobody.json()["problems"][0].startswith("assignee_id:")
    bad = biller.patch(f"/api/denials/{item_id}", json={"expected_status": "lost"})
    assert bad.status_code == 422
    note = biller.post(f"/api/denials/{item_id}/notes", json={"text": "Called the MAC, ref 42."})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    kinds = [e["kind"] for e in biller.get(f"/api/denials/{item_id}").json()["events"]]
    assert kinds == ["created", "status", "assign", "follow-up", "follow-up", "note"]
    mine = biller.get("/api/denials", params={"assignee": "mine", "status": "in progress"}).json()
    assert item_id in [i["id"] for i in mine["items"]]
    assert biller.get("/api/denials", params={"follow_up": "soon"}).status_code == 422
    packet = biller.get(f"/api/denials/{item_id}/appeal.pdf")
    assert packet.status_code == 200
    assert packet.content.startswith(b"%PDF-")


def test_a_packet_after_the_deadline_is_409_unless_late(world: World) -> None:
    item_id = a_denied_line(world, date(2026, 1, 5))  # the redetermination was due on 05/10/2026
    biller = world.client(A_USERS["biller"])
    refused = biller.get(f"/api/denials/{item_id}/appeal.pdf")
    assert refused.status_code == 409
    assert "05/10/2026" in refused.json()["detail"]
    late = biller.get(f"/api/denials/{item_id}/appeal.pdf", params={"late": "true"})
    assert late.status_code == 200
    assert late.content.startswith(b"%PDF-")


def test_a_therapist_may_not_work_denials(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    assert therapist.get("/api/denials").status_code == 403
