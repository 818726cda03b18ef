"""Many notes checked in one request: one answer per note in order, a malformed note named field by field
in its place while the others are checked, the batch bounded, nothing saved."""

from __future__ import annotations

from tests.integration.api.world import A_USERS, B_USERS, World, note

BATCH = "/api/encounters/check/batch"


def test_each_note_gets_the_answer_the_one_note_check_gives_in_the_order_sent(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    blocked = note(id="batch-blocked")
    blocked["services"][0]["traction"]["force_lbs"] = None
    notes = [note(id="batch-ready"), blocked, note(id="batch-third")]
    response = client.post(BATCH, json=notes)
    assert response.status_code == 200
    answers = response.json()
    assert [a["index"] for a in answers] == [0, 1, 2]
    assert [a["check"]["encounter"] for a in answers] == ["batch-ready", "batch-blocked", "batch-third"]
    assert [a["problems"] for a in answers] == [[], [], []]
    for document, answer in zip(notes, answers, strict=True):
        assert answer["check"] == client.post("/api/encounters/check", json=document).json()
    assert answers[1]["check"]["verdict"] == "blocked"


def test_a_malformed_note_is_named_in_its_place_and_the_others_are_still_checked(world: World) -> None:
    bad = note(date_of_service="2026-02-30")
    bad["patient"]["sex"] = "X"
    response = world.client(A_USERS["biller"]).post(BATCH, json=[note(id="before"), bad, 7, note(id="after")])
    assert response.status_code == 200
    answers = response.json()
    assert answers[1]["check"] is None
    assert answers[1]["problems"][0] == 'date_of_service: not a date: "2026-02-30"'
    assert answers[1]["problems"][1].startswith("patient.sex: ")
    assert answers[2] == {"index": 2, "check": None, "problems": ["(document): an encounter must be a JSON object"]}
    assert [answers[0]["check"]["encounter"], answers[3]["check"]["encounter"]] == ["before", "after"]


def test_more_notes_than_a_batch_holds_is_refused_whole_with_the_limit(world: World) -> None:
    response = world.client(A_USERS["therapist"]).post(BATCH, json=[{}] * 501)
    assert response.status_code == 422
    assert any("500" in line for line in response.json()["problems"])


def test_a_body_that_is_not_a_list_is_refused(world: World) -> None:
    response = world.client(A_USERS["therapist"]).post(BATCH, json=note())
    assert response.status_code == 422


def test_the_batch_check_saves_nothing_and_needs_a_login(world: World) -> None:
    client = world.client(B_USERS["therapist"])
    before = len(client.get("/api/encounters").json())
    assert client.post(BATCH, json=[note(), note()]).status_code == 200
    assert len(client.get("/api/encounters").json()) == before
    assert world.client().post(BATCH, json=[note()]).status_code == 401
