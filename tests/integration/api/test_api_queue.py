"""The queue over HTTP: the JSON API keeps its fields and adds paging and counts; bad filters answer 422 naming
the field, on the API and on the page; the notes page lists drafts with what blocks them."""

from __future__ import annotations

import pytest

from tests.integration.api.world import A_USERS, World
from tests.integration.page_forms import logged_in

TABS = ("ready", "needs_attention", "blocked")


def test_the_api_queue_pages_and_counts_every_tab(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    body = biller.get("/api/queue").json()
    assert set(TABS) <= set(body)  # the fields it always had
    assert body["tab"] == "ready"
    assert body["per_page"] == 50
    assert body["total"] == body["counts"]["ready"] == len(body["ready"])
    assert all(item["encounter"]["status"] == "signed" for tab in TABS for item in body[tab])
    for tab in TABS:
        page = biller.get("/api/queue", params={"tab": tab, "per_page": "25"}).json()
        assert page["counts"] == body["counts"]
        assert len(page[tab]) == min(25, body["counts"][tab])
    payer = next(
        item["encounter"]["payer_id"]
        for tab in TABS
        for item in biller.get("/api/queue", params={"tab": tab}).json()[tab]
    )
    narrowed = biller.get("/api/queue", params={"payer": payer}).json()
    assert sum(narrowed["counts"].values()) >= 1
    assert all(item["encounter"]["payer_id"] == payer for item in narrowed["ready"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min": "٣"}, "query.min"),
        ({"from": "2026-02-30"}, "query.from"),
        ({"per_page": "7"}, "query.per_page"),
        ({"tab": "drafts"}, "query.tab"),
        ({"rule": "NOPE"}, "query.rule"),
    ],
)
def test_bad_filters_are_named_by_the_api_and_the_page(world: World, params: dict[str, str], field: str) -> None:
    response = world.client(A_USERS["biller"]).get("/api/queue", params=params)
    assert response.status_code == 422
    assert any(line.startswith(field) for line in response.json()["problems"]), response.text
    if field == "query.tab":
        return  # the page shows the ready tab for an unknown tab, as it always did
    page = logged_in(world.app, A_USERS["biller"]).get("/queue", params=params)
    assert page.status_code == 422
    assert "These filters cannot be used" in page.text
    assert f"{field.split('.')[1]}: " in page.text


def test_the_queue_page_filters_by_link_and_the_notes_page_lists_drafts(world: World) -> None:
    client = logged_in(world.app, A_USERS["biller"])
    page = client.get("/queue", params={"tab": "needs_attention", "min": "0", "per_page": "25"})
    assert page.status_code == 200
    assert 'name="scope" value="all"' in page.text
    assert 'value="0"' in page.text  # the filter typed stays in its field
    admin = logged_in(world.app, A_USERS["admin"])  # every clinician's drafts; the demo's blocked ones among them
    notes = admin.get("/notes")
    assert notes.status_code == 200
    assert "Drafts to finish" in notes.text
    assert "blocking" in notes.text
