"""A patient's eligibility through the API: a 270 asked (written, or sent through the clinic's mailbox by a
biller), the payer's 271 answer read back as the latest per coverage and in the history; a therapist may ask
but not send; an unknown coverage is 404."""

from __future__ import annotations

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.services import access, eligibility
from ptbill.storage.tables import UserRow
from tests.eligibility_271 import ACTIVE_500_20, write_271
from tests.integration.api.world import A_USERS, World, new_patient

AETNA = {"payer_id": "aetna", "member_id": "W555000111"}


def test_a_270_is_asked_and_sent_and_the_recorded_271_comes_back_latest_per_coverage(world: World) -> None:
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    patient = new_patient(therapist)
    coverage = biller.post(f"/api/patients/{patient}/coverages", json=AETNA).json()["id"]
    assert biller.get(f"/api/patients/{patient}/eligibility").json() == {"latest": [], "history": []}

    written = therapist.post(f"/api/patients/{patient}/eligibility", json={"send": False, "date": "2026-03-02"})
    assert written.status_code == 201, written.text
    assert "ST*270*" in written.json()["content"]
    assert written.json()["mailbox_file_id"] is None
    assert therapist.post(f"/api/patients/{patient}/eligibility", json={}).status_code == 403  # sending: billers
    sent = biller.post(f"/api/patients/{patient}/eligibility", json={"coverage_id": coverage})
    assert sent.status_code == 201, sent.text
    assert sent.json()["mailbox_file_id"] is not None
    missing = biller.post(f"/api/patients/{patient}/eligibility", json={"coverage_id": 2**40})
    assert missing.status_code == 404

    with world.session() as session:
        user = session.query(UserRow).filter(UserRow.email == A_USERS["biller"]).one()
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        answer = write_271(member_id=AETNA["member_id"], last="X", first="Y", trace=sent.json()["trace_number"],
                           benefits=ACTIVE_500_20)  # fmt: skip
        eligibility.record_file(session, actor, answer, SYSTEM_CLOCK)
        session.commit()

    body = therapist.get(f"/api/patients/{patient}/eligibility").json()
    (latest,) = body["latest"]
    assert (latest["coverage_id"], latest["coverage_status"], latest["deductible_remaining"]) == (
        coverage,
        "active",
        "500.00",
    )
    assert (latest["coinsurance_percent"], latest["visits_remaining"]) == ("20.00", 12)
    assert [a["id"] for a in body["history"]] == [latest["id"]]
