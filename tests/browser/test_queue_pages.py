"""The biller's queue in Chromium on an app of its own (billing everything leaves the shared app alone):
a filtered view is a link, pages differ, and "Build claims for all N matching" bills the notes of every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from ptbill.storage.tables import ClaimRow, EncounterRow
from tests.browser.live_app import LiveApp, log_in, start_live_app

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "queue.png"
BILLER = "biller@harbor.example"


@pytest.fixture(scope="module")
def own_app(live_app: LiveApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A second live app (its own demo database); ``live_app`` first, so a missing Chromium skips."""
    app = start_live_app(tmp_path_factory.mktemp("queue-app"))
    yield app
    app.stop()


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_select_all_matching_bills_every_page(own_app: LiveApp, page: Any) -> None:
    expect = _expect()
    log_in(page, own_app.url, BILLER)
    page.goto(f"{own_app.url}/queue?tab=ready&per_page=25")
    everything = page.get_by_role("button", name=re.compile(r"Build claims for all \d+ matching"))
    total = int(re.findall(r"\d+", everything.inner_text())[0])
    assert total > 25, "the demo needs more ready notes than one page holds"
    assert page.locator("table.queue tbody tr").count() == 25
    first = page.locator('tbody input[name="encounter_id"]').evaluate_all("(boxes) => boxes.map((b) => b.value)")
    page.get_by_role("link", name="Next ›").click()
    page.wait_for_url(re.compile(r"[?&]page=2(&|$)"))  # evaluate_all does not wait: read the second page
    second = page.locator('tbody input[name="encounter_id"]').evaluate_all("(boxes) => boxes.map((b) => b.value)")
    assert second
    assert not set(first) & set(second)

    # Narrow by a payer chosen in the form: the view is a link, and the tab counts follow it.
    page.goto(f"{own_app.url}/queue?tab=ready&per_page=25")
    payer = page.locator("#f-payer option").nth(1).get_attribute("value")
    page.select_option("#f-payer", payer)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"payer="))
    assert parse_qs(urlsplit(page.url).query)["payer"] == [payer]
    narrowed = int(page.locator(".tab-ready .tab-count").inner_text())
    assert 0 < narrowed <= total
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    with own_app.sessions() as session:
        claims_before = session.scalar(select(func.count()).select_from(ClaimRow))
    page.goto(f"{own_app.url}/queue?tab=ready&per_page=25")
    page.get_by_role("button", name=f"Build claims for all {total} matching").click()
    page.wait_for_url(re.compile(r"/queue\?.*built=\d+"))
    notice = page.locator("[data-bulk-outcome]")
    expect(notice).to_contain_text("Built")
    built = int(re.findall(r"Built (\d+)", notice.inner_text())[0])
    skipped = int(parse_qs(urlsplit(page.url).query).get("skipped", ["0"])[0])
    assert built + skipped == total
    assert built > 25  # notes of every page, not the 25 shown
    assert page.locator(".tab-ready .tab-count").inner_text() == str(skipped)
    with own_app.sessions() as session:
        claims_after = session.scalar(select(func.count()).select_from(ClaimRow))
        signed_ready = session.scalar(
            select(func.count()).where(EncounterRow.status == "signed", EncounterRow.verdict == "ready")
        )
    assert claims_after - claims_before == built
    assert signed_ready == skipped
