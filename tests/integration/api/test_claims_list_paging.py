"""The claims list and a batch's page show a page of claims at a time: every claim is on exactly one page,
the counts and the batch's total are of all of them, the filters narrow by payer, status and visit dates,
and a bad filter is refused naming the field."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.integration.api.test_api_billing import signed_encounter
from tests.integration.api.world import A_USERS, World
from tests.integration.page_forms import logged_in

BATCHED_ROW = re.compile(r'<td class="mono"><a href="/claims/(\d+)">[^<]*</a></td>')


def _claim_ids(html: str) -> list[int]:
    """The claims listed in a batch (on the claims page, those after the waiting ones)."""
    return [int(n) for n in BATCHED_ROW.findall(html.rsplit('id="in-batch"', maxsplit=1)[-1])]


def test_the_claims_and_batch_pages_page_through_every_claim(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    built = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world) for _ in range(27)]})
    assert built.status_code == 201, built.text
    mine = {claim["id"]: Decimal(claim["total_charge"]) for claim in built.json()}
    batch = biller.post("/api/batches", json={"claim_ids": list(mine)})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["id"]
    page = logged_in(world.app, A_USERS["biller"])

    first = page.get("/claims?per_page=25")
    assert first.status_code == 200
    total = int(re.search(r'id="in-batch">In a batch <span class="count">(\d+)</span>', first.text).group(1))  # type: ignore[union-attr]
    pages = -(-total // 25)
    assert total >= 27
    assert f"page 1 of {pages}" in first.text
    assert "Next ›" in first.text
    seen: list[int] = []
    for number in range(1, pages + 1):
        shown = _claim_ids(page.get(f"/claims?per_page=25&page={number}").text)
        assert len(shown) == (25 if number < pages else total - 25 * (pages - 1))
        seen += shown
    assert len(seen) == len(set(seen)) == total
    assert set(mine) <= set(seen)
    assert seen == sorted(seen, reverse=True)  # newest first, across the pages
    past_the_end = page.get(f"/claims?per_page=25&page={pages + 5}")
    assert f"page {pages} of {pages}" in past_the_end.text

    none_paid = page.get("/claims?status=paid").text
    assert not set(_claim_ids(none_paid)) & set(mine)
    built_ones = set(_claim_ids(page.get("/claims?status=built&per_page=200").text))
    assert set(mine) <= built_ones
    assert not set(_claim_ids(page.get("/claims?to=2000-01-01").text))

    refused = page.get("/claims?status=lost&from=2026-02-30")
    assert refused.status_code == 422
    assert "status: not a claim status" in refused.text
    assert "from: not a date on the calendar" in refused.text

    one = page.get(f"/batches/{batch_id}?per_page=25")
    two = page.get(f"/batches/{batch_id}?per_page=25&page=2")
    assert "Claims 1–25 of 27 · page 1 of 2" in one.text
    assert "Claims 26–27 of 27 · page 2 of 2" in two.text
    listed = _claim_ids(one.text) + _claim_ids(two.text)
    assert sorted(listed) == sorted(mine)
    charge = f"${sum(mine.values(), Decimal('0.00')):,.2f}"
    assert f"<strong>{charge}</strong>" in one.text
    assert f"<strong>{charge}</strong>" in two.text
    whole = page.get(f"/batches/{batch_id}")  # 100 a page: the whole batch on one page, no pager
    assert sorted(_claim_ids(whole.text)) == sorted(mine)
    assert 'aria-label="Pages"' not in whole.text
