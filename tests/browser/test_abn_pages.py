"""The ABN in a real Chromium: from the chart of a Medicare patient the front desk prepares an ABN (a refused
cost is marked beside its row, the Medicare amount fills an empty one), records the option the patient checked,
finds it signed on the chart and downloads the CMS-R-131 PDF. The pages are photographed at 1280 and 390 px
(``PTBILL_SCREENSHOTS`` keeps them)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live_app import LiveApp, log_in
from tests.browser.test_patient_pages import fill, shoot

pytestmark = pytest.mark.browser


def test_the_front_desk_prepares_an_abn_records_the_signature_and_downloads_it(
    live_app: LiveApp, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    folder = Path(os.environ.get("PTBILL_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    today = live_app.settings.clock.today().isoformat()
    log_in(page, live_app.url, "admin@harbor.example")
    page.goto(f"{live_app.url}/patients/{live_app.new_patient_id}")
    page.get_by_role("link", name="Prepare an ABN").click()
    fill(page, {"code_1": "97012", "label_1": "Traction for the low back", "code_2": "97110"})
    fill(page, {"reason_kind": "above_threshold", "given_on": today})
    page.get_by_role("button", name="Fill in labels and costs").click()
    # The page the server answers: only it has the empty label and cost filled (the typed label is on both pages).
    expect(page.locator("#f-label_2")).not_to_have_value("")  # ptbill's short label
    expect(page.locator("#f-cost_2")).to_have_value(re.compile(r"^[0-9]+\.[0-9]{2}$"))  # the Medicare amount
    expect(page.locator("#f-label_1")).to_have_value("Traction for the low back")  # the clinic's own words stay
    shoot(page, folder, "abn-new")
    fill(page, {"cost_1": "12,5x"})
    page.get_by_role("button", name="Prepare the ABN").click()
    expect(page.locator("#f-cost_1-error")).to_contain_text("dollars and cents")
    expect(page.locator("#f-label_1")).to_have_value("Traction for the low back")  # kept as typed
    shoot(page, folder, "abn-refused")

    fill(page, {"cost_1": "14.00"})
    page.get_by_role("button", name="Prepare the ABN").click()
    expect(page.get_by_role("heading", name="Not signed yet")).to_be_visible()
    expect(page.get_by_role("cell", name="Traction for the low back")).to_be_visible()
    expect(page.get_by_role("cell", name="$14.00")).to_be_visible()
    shoot(page, folder, "abn-unsigned")

    fill(page, {"signed_on": today, "option": "1"})
    page.get_by_role("button", name="Record the signature").click()
    expect(page.get_by_text("Signature recorded")).to_be_visible()
    expect(page.get_by_role("button", name="Record the signature")).to_have_count(0)  # never changed after
    link = page.get_by_role("link", name="Download the PDF").get_attribute("href")
    answer = page.request.get(f"{live_app.url}{link}")  # the page's own cookies
    assert answer.headers["content-type"] == "application/pdf"
    pdf = answer.body()
    assert pdf.startswith(b"%PDF")
    (folder / "abn.pdf").write_bytes(pdf)

    page.goto(f"{live_app.url}/patients/{live_app.new_patient_id}")
    row = page.locator("section[aria-labelledby=h-abn] tbody tr").filter(has_text="97110").first
    expect(row).to_contain_text("(bill Medicare, GA)")
    shoot(page, folder, "abn-chart")
