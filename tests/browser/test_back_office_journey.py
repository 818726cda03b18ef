"""A biller's day in the back office, in a real Chromium, from the seeded demo clinic (issue 13, Done-when 1):
bill three of Medicare's ready notes from the filtered queue, build the 837P batch and mark it submitted; the
payer's 835 (real X12 from ``payer_answers``, one line denied CO-50 / N115) is uploaded through the
remittance page; the claim page shows the claim paid with that line denied; the denial is opened from the
worklist, assigned, its appeal noted and its redetermination packet built, and it is set to appealed; the A/R
aging moves at each step (the claims enter A/R when submitted, and the payments take most of it out).

Each step is photographed at 1280 px; ``PTBILL_SCREENSHOTS=docs/screenshots`` keeps them (``journey-*.png``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.settings import Settings
from ptbill.storage.tables import DenialItemRow
from tests.browser.live_app import VIEWPORT, LiveApp, _seed, log_in, serve
from tests.browser.payer_answers import answer_batch
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate

pytestmark = pytest.mark.browser
BILLER = "biller@harbor.example"
MEDICARE = "ca-medicare-south"


@pytest.fixture(scope="module")
def back_office(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[LiveApp]:
    """Its own copy of the demo clinic, on the demo's day, so the journey's claims change no other test."""
    directory = tmp_path_factory.mktemp("back-office-journey")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    patient_id = _seed(url)
    settings = Settings(
        url, directory, "journey-secret-" + "z" * 32, secure_cookies=False, clock=FixedClock(DEMO_TODAY)
    )
    app = serve(settings, patient_id)
    yield app
    app.stop()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PTBILL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text) or "0")


def _insurance_ar(page: Page, base: str) -> Decimal:
    page.goto(f"{base}/reports/ar-aging")
    total = page.locator("tfoot .total-col")
    return _money(total.first.inner_text()) if total.count() else Decimal(0)  # no claim in A/R: no table


def test_a_batch_goes_out_the_835_comes_back_and_the_denial_is_appealed(
    back_office: LiveApp, browser: Browser, tmp_path: Path
) -> None:
    base, shots = back_office.url, _shots(tmp_path)
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, base, BILLER)
    ar_start = _insurance_ar(page, base)

    # The queue, filtered to Medicare's ready notes: three of them billed.
    page.goto(f"{base}/queue?tab=ready&payer={MEDICARE}")
    rows = page.locator("input[name=encounter_id]")
    assert rows.count() >= 3, "the demo has ready Medicare notes"
    page.locator("input[data-select-all]").uncheck()
    for index in range(3):
        rows.nth(index).check()
    page.screenshot(path=str(shots / "journey-1-queue.png"), full_page=True)
    page.get_by_role("button", name="Build claims for selected").click()
    page.wait_for_url(re.compile(r"/claims\?built=3"))

    # The batch: the three new claims (the only ones built), then marked submitted.
    page.get_by_role("button", name="Create 837P batch").click()
    page.wait_for_url(re.compile(r"/batches/\d+"))
    batch_id = int(re.search(r"/batches/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_role("button", name="Mark submitted").click()
    # The page after the marking: its "Submitted <when>." notice. (Not the button gone: on the page being left
    # app.js renames the clicked button "Marking…" at once, so no button is named "Mark submitted" there either.)
    expect(page.locator(".notice", has_text=re.compile(r"^Submitted "))).to_have_count(1)
    page.screenshot(path=str(shots / "journey-2-batch.png"), full_page=True)
    ar_submitted = _insurance_ar(page, base)
    assert ar_submitted > ar_start, "submitted claims are in A/R"

    # The payer answers: its 835 uploaded through the page.
    with back_office.sessions() as session:
        files, denied_claim = answer_batch(session, batch_id, DEMO_TODAY, tmp_path)
    page.goto(f"{base}/remittances")
    page.set_input_files("#remit-files", [str(f) for f in files])
    page.get_by_role("button", name="Upload and post").click()
    posted = page.locator("tr", has_text=files[0].name).first
    expect(posted).to_contain_text("Posted", timeout=30_000)
    assert posted.locator("td").nth(4).inner_text().strip() == "3", "all three claims matched"
    page.screenshot(path=str(shots / "journey-3-remittance.png"), full_page=True)

    # The claim: paid, one line denied as not medically necessary.
    page.goto(f"{base}/claims/{denied_claim}")
    main = page.locator("main")
    expect(main).to_contain_text("Paid")
    expect(main).to_contain_text("50")
    expect(main).to_contain_text("N115")
    page.screenshot(path=str(shots / "journey-4-claim.png"), full_page=True)

    # The denial, from the worklist: assigned, the appeal written, the packet built, set to appealed.
    with back_office.sessions() as session:
        page.goto(f"{base}/denials")  # the worklist's first read makes the items of earlier answers too
        item = session.scalar(select(DenialItemRow.id).where(DenialItemRow.claim_id == denied_claim))
    assert item is not None, "the denied line is a work item"
    expect(page.locator(f"a[href='/denials/items/{item}']").first).to_be_visible()
    page.locator(f"a[href='/denials/items/{item}']").first.click()
    page.wait_for_url(f"**/denials/items/{item}")
    me = page.locator("#assignee option", has_text="(me)").get_attribute("value")
    page.select_option("#assignee", value=me)
    page.get_by_role("button", name="Assign").click()
    # The page after the assignment: its history names the assignee (the form's label is on every page).
    expect(page.locator("ol.history")).to_contain_text("Assigned to")
    page.fill("#note-text", "Appeal: the note documents radiculopathy at L5 and the failed two weeks of exercise.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("ol.history")).to_contain_text("radiculopathy at L5")
    packet = page.locator("a", has_text=re.compile("redetermination packet", re.I)).first
    response = page.request.get(base + str(packet.get_attribute("href")))
    assert response.ok
    assert response.body().startswith(b"%PDF"), "the redetermination packet is a PDF"
    page.select_option("#status", value="appealed")
    page.get_by_role("button", name="Save status").click()
    expect(page.locator(".denial-status-big")).to_have_text("Appealed")  # the badge, not the menu's option
    page.screenshot(path=str(shots / "journey-5-denial.png"), full_page=True)

    # The A/R aging after the payments: most of the new claims' charges have left it, the denied line stays.
    ar_paid = _insurance_ar(page, base)
    assert ar_start < ar_paid < ar_submitted
    page.screenshot(path=str(shots / "journey-6-ar-aging.png"), full_page=True)
    context.close()
