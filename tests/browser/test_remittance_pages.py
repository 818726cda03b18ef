"""Remittance in Chromium: a biller uploads an 835 on /remittances (with scripts the form sends it with
XMLHttpRequest and a progress bar; without, as a plain form post), sees it posted, uploads it again and
is told it was already posted, reads its summary, reconciles the payment on /payments and matches the
unmatched claim payment by hand. Saves the pages' screenshots in docs/screenshots/."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ptbill.domain.remittance import ProviderAdjustment
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import billing, notes, users
from ptbill.services.demo_data import DEMO_PASSWORD
from ptbill.storage.session import transaction
from ptbill.storage.tables import ClaimRow
from tests.browser.back_office_data import pay_demo_claims
from tests.browser.live_app import LiveApp, log_in, start_live_app
from tests.integration.test_posting import remittance_for
from tests.integration.test_storage_services import CLEAN

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BILLER = "biller@harbor.example"


@pytest.fixture(scope="module")
def remit_app(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_live_app(tmp_path_factory.mktemp("remit-app"))
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
    yield app
    app.stop()


def an_835(app: LiveApp, trace: str) -> tuple[bytes, ClaimRow]:
    """A check paying a new claim of the demo clinic (a signed note of the new patient, billed), one claim
    the payer misnumbered, and an overpayment recovered (PLB WO) from it."""
    with transaction(app.sessions) as session:
        therapist = users.authenticate(session, "therapist1@harbor.example", DEMO_PASSWORD)
        biller = users.authenticate(session, BILLER, DEMO_PASSWORD)
        assert therapist is not None
        assert biller is not None
        document = copy.deepcopy(CLEAN)
        document["id"] = f"remit-{trace}"
        row, _ = notes.save_encounter(session, therapist, document, app.new_patient_id)
        notes.sign_encounter(session, therapist, row.id)
        [built] = billing.build_claims(session, biller, [row.id])
        claim_id = built.id
    with app.sessions() as session:
        claim = session.scalar(select(ClaimRow).where(ClaimRow.id == claim_id).options(selectinload(ClaimRow.lines)))
        assert claim is not None
        session.expunge(claim)
    base = remittance_for(claim, trace=trace)
    stray = dataclasses.replace(base.claims[0], patient_control_number="HARBOR-0000X")
    recovered = ProviderAdjustment(
        "1245319599", date(2026, 12, 31), "WO", claim.patient_control_number, Decimal("7.50")
    )
    remittance = dataclasses.replace(
        base,
        claims=(*base.claims, stray),
        provider_adjustments=(recovered,),
        payment_amount=2 * base.payment_amount - Decimal("7.50"),
    )
    return write_835(remittance).replace("*C*ACH*", "*C*CHK*", 1).encode(), claim


def test_a_biller_uploads_an_835_reconciles_the_check_and_matches_the_stray_payment(
    browser: Any, remit_app: LiveApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    data, claim = an_835(remit_app, "0004417")
    era = tmp_path / "era-0004417.835"
    era.write_bytes(data)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, remit_app.url, BILLER)
    page.goto(remit_app.url + "/remittances")
    assert "MiB in all per upload" in page.inner_text("main")
    page.set_input_files("#remit-files", str(era))
    page.click("#remit-submit")
    page.wait_for_selector("main[data-upload='xhr'] #results-heading")
    results = page.inner_text("#remit-results")
    assert "Posted:" in results
    assert "1 matched" in results
    page.screenshot(path=str(SHOTS / "remittances.png"), full_page=True)

    page.set_input_files("#remit-files", str(era))
    page.click("#remit-submit")
    page.locator("#remit-results", has_text="Already posted").wait_for()

    page.click("#remit-results a:has-text('Summary of')")
    page.wait_for_url(re.compile(r"/remittances/\d+$"))  # the upload page has "Claims matched" too
    assert "Claims matched" in page.inner_text("main")
    assert "HARBOR-0000X" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "remittance-summary.png"), full_page=True)

    page.goto(remit_app.url + "/payments")
    row = page.locator("tr", has_text="0004417")
    assert "Check" in row.inner_text()
    assert "✓" in row.inner_text()
    page.screenshot(path=str(SHOTS / "payments.png"), full_page=True)
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/payments/\d+$"))  # count() does not wait: count on the payment's page
    assert page.locator(f"a[href='/claims/{claim.id}']").count() >= 1
    assert "overpayment" in page.inner_text("main").lower() or "WO" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "payment.png"), full_page=True)

    page.goto(remit_app.url + "/remittances/unmatched")
    page.locator("tr", has_text="HARBOR-0000X").locator("a", has_text="Find the claim").click()
    page.fill("#m-q", claim.patient_control_number)
    page.click("button:has-text('Search claims')")
    # The search's answer: the page before lists the claims of the same charge, with the same Match button.
    expect(page.locator("#found-heading")).to_have_text("Claims found")
    page.screenshot(path=str(SHOTS / "remittance-match.png"), full_page=True)
    page.click(f"button[aria-label='Match to claim {claim.patient_control_number}']")
    expect(page.locator("main")).to_contain_text(f"applied to claim {claim.id}")  # the page after the match
    context.close()


def test_the_upload_form_works_without_scripts(browser: Any, remit_app: LiveApp, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    data, _ = an_835(remit_app, "0009001")
    era = tmp_path / "plain.835"
    era.write_bytes(data)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, remit_app.url, BILLER)
    page.goto(remit_app.url + "/remittances")
    page.set_input_files("#remit-files", str(era))
    page.click("#remit-submit")
    # The page the post answers (the form's page had loaded already: waiting for "load" waited for nothing).
    expect(page.locator("#remit-results")).to_contain_text(re.compile(r"(Posted|Already posted):"))
    text = page.inner_text("main")
    assert "Posted:" in text or "Already posted:" in text
    assert page.locator("main[data-upload]").count() == 0
    broken = tmp_path / "broken.835"
    broken.write_bytes(data.replace(b"CLP*", b"CLP*X*Y*", 1))
    page.set_input_files("#remit-files", str(broken))
    page.click("#remit-submit")
    expect(page.locator("#remit-results")).to_contain_text("Not posted:")  # not the last upload's "Posted:"
    assert "Not posted:" in page.inner_text("main")
    assert "(CLP)" in page.inner_text("main")
    context.close()
