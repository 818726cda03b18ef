"""The patient ledger page in Chromium: a biller opens it from the chart of a patient whose claim the payer
answered, records a check that pays the visit with the rest as a credit, and sees the credit; axe finds
nothing serious at a desktop, a tablet and a phone width, and the page never scrolls sideways.
Screenshots go to $PTBILL_SCREENSHOTS when it is set (``patient-ledger.png``), else to the test's folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.services.access import Actor
from ptbill.services.patient_ledger import patient_balances
from ptbill.storage.session import transaction
from ptbill.storage.tables import UserRow
from tests.browser.axe import BLOCKING, violations
from tests.browser.back_office_data import pay_demo_claims
from tests.browser.live_app import LiveApp, log_in, start_live_app
from tests.browser.page_walk import BILLER

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def paid_app(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_live_app(tmp_path_factory.mktemp("ledger-app"))
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
    yield app
    app.stop()


def owing_patient(app: LiveApp) -> int:
    """The demo patient who owes the most after the simulated payers' answers."""
    with app.sessions() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == BILLER)).one()
        biller = Actor(user.id, user.clinic_id, user.role, user.name)
        owing = patient_balances(session, biller, today=app.settings.clock.today(), minimum=Decimal("0.01"))
        session.commit()
    assert owing, "the simulated payers left no patient owing anything"
    return owing[0].patient_id


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that lets axe add its script (the app's CSP refuses inline scripts, as it should)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_biller_records_a_check_and_sees_the_credit(paid_app: LiveApp, page: Any, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PTBILL_SCREENSHOTS") or tmp_path)
    patient = owing_patient(paid_app)
    log_in(page, paid_app.url, BILLER)
    page.goto(f"{paid_app.url}/patients/{patient}")
    page.get_by_role("link", name="Ledger and payments").click()
    page.wait_for_url(f"**/patients/{patient}/ledger")
    owed = Decimal(page.locator('[data-total="owed"]').inner_text().replace("$", "").replace(",", ""))
    page.get_by_label("Amount").first.fill(str(owed + 25))
    page.get_by_label("Paid by").select_option("check")
    page.get_by_label("Check number or card receipt reference").first.fill("4417")
    page.get_by_role("button", name="Record payment").click()
    page.wait_for_url("**/ledger?done=payment")
    assert page.locator('[data-total="owed"]').inner_text() == "$0.00"
    assert page.locator('[data-total="credit"]').inner_text() == "$25.00"
    assert page.get_by_role("button", name="Record refund").is_visible()
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(folder / "patient-ledger.png"), full_page=True)
    blocking, too_wide = [], []
    for width in (1280, 768, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        if (wide := page.evaluate("document.documentElement.scrollWidth")) > width:
            too_wide.append(f"{wide} px wide on a {width} px screen")
        blocking += [f"{width} px: {v}" for v in violations(page) if v.impact in BLOCKING]
    page.screenshot(path=str(folder / "patient-ledger-phone.png"), full_page=True)
    assert blocking == []
    assert too_wide == []
