"""Regenerate docs/screenshots/*.png: the pages at 1440×900 in headless Chromium, on the demo clinic.

Starts the real app on a loopback port (fresh SQLite, synthetic demo data), walks through a
therapist's and a biller's day, posts the simulated payers' remittances for the back office (reports,
denials, an appeal packet rendered with poppler's pdftoppm), and shoots each page. Needs Debian's
/usr/bin/chromium, poppler-utils and the ``playwright`` package (the dev extra); it never downloads a
browser.

Usage: ``.venv/bin/python bench/screenshots.py [--out docs/screenshots]``

``--only widths`` shoots every page of ``tests/browser/page_walk.py`` instead, full length, at 390, 768
and 1280 px (``NAME-WIDTH.png``), to look at the layout on a phone, a tablet and a desktop.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the live-app helper is shared with the browser tests

from ptbill.storage.session import transaction  # noqa: E402
from ptbill.storage.tables import PatientRow  # noqa: E402
from tests.browser.back_office_data import pay_demo_claims  # noqa: E402
from tests.browser.live_app import (  # noqa: E402
    NEW_PATIENT,
    VIEWPORT,
    VISIT_DATE,
    LiveApp,
    fill_visit,
    launch_chromium,
    log_in,
    start_live_app,
    start_note,
)
from tests.browser.page_walk import answered_claim, pages  # noqa: E402

T = "services[0].traction."


def _checked(page: Page) -> None:
    """Wait until the live check has answered for the form as it is now."""
    page.wait_for_timeout(700)  # past the 500 ms debounce
    expect(page.locator("#check-status")).to_contain_text("Checked", timeout=15_000)


def _shoot(page: Page, out: Path, name: str) -> None:
    page.screenshot(path=str(out / name))
    print(f"wrote {out / name}")


def therapist_day(page: Page, base: str, out: Path) -> int:
    log_in(page, base, "therapist1@harbor.example")

    # A first visit: the empty template, every requirement waiting quietly as a to-do.
    start_note(page, base, NEW_PATIENT["last_name"], VISIT_DATE)
    _checked(page)
    _shoot(page, out, "note-empty.png")

    # The same visit typed without the force, saved as a draft (version 1, blocked), then finished.
    fill_visit(page)
    _checked(page)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=saved$"))
    encounter_id = int(re.search(r"/notes/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_label("Force", exact=True).fill("65")
    _checked(page)
    page.locator("#sign-button").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=signed$"))
    _shoot(page, out, "note-signed.png")

    # A returning patient: last visit's device, settings and force carried forward; today's changes marked.
    page.goto(f"{base}/notes/new")
    names = page.locator("#pick-patient option").all_inner_texts()
    returning = next(name for name in names if "HPT-1002" in name)  # a demo patient with five earlier visits
    start_note(page, base, returning.split(" · ")[1], VISIT_DATE)
    for name, value in {
        "plan_of_care.start_date": "2026-11-03",
        "plan_of_care.certified_date": "2026-11-05",
        "plan_of_care.end_date": "2027-01-31",
        "plan_of_care.visit_number": "6",
        "plan_of_care.visits_since_progress_report": "5",
        "services[0].start_time": "09:02",
        "services[0].end_time": "09:20",
    }.items():
        page.fill(f'[name="{name}"]', value)
    force = page.get_by_label("Force", exact=True)
    force.fill(str(int(force.input_value() or "60") + 5))
    page.check(f'[name="{T}device_type"][value="manual"]')
    page.fill(f'[name="{T}monitoring_checks"]', "09:08")
    page.fill(f'[name="{T}monitoring_checks"]', "")  # typed and cleared: shown as a warning, not a to-do
    _checked(page)
    page.locator("section.traction").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -70)")
    _shoot(page, out, "note-with-findings.png")

    page.goto(f"{base}/notes/{encounter_id}/history")
    _shoot(page, out, "encounter-history.png")
    page.context.clear_cookies()
    return encounter_id


def refused_note(page: Page, base: str, out: Path) -> None:
    """A visit typed in full with a date that is not one (as a browser without a date picker sends it):
    not saved, the error beside the date, everything else as typed."""
    log_in(page, base, "therapist1@harbor.example")
    start_note(page, base, "HPT-1004", "2026-11-25")
    fill_visit(page)
    page.get_by_label("Force", exact=True).fill("65")
    date_input = page.locator('[name="date_of_service"]')
    date_input.evaluate("input => { input.type = 'text'; }")
    date_input.fill("2026-02-30")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator('[data-findings-for="date_of_service"] .finding')).to_be_visible()
    _shoot(page, out, "note-form-error.png")
    page.context.clear_cookies()


def biller_day(page: Page, base: str, out: Path) -> None:
    log_in(page, base, "biller@harbor.example")
    page.goto(f"{base}/queue?tab=needs_attention")
    _shoot(page, out, "biller-queue.png")

    page.goto(f"{base}/payers/ca-medicare-south")
    page.fill("#p-name", "authorization.low_visits_warning")
    page.fill("#p-value", "3")
    page.fill("#p-from", "2026-12-01")
    page.fill("#p-ref", "Clinic policy: ask for more visits with three left (billing meeting 2026-11-20)")
    page.get_by_role("button", name="Save change").click()
    page.wait_for_url(re.compile(r"/payers/ca-medicare-south\?on=2026-12-01"))
    _shoot(page, out, "payer-settings.png")


REPORT_SHOTS = {  # page (with the parameters a biller would pick) -> screenshot
    "/reports/reimbursement-97012": "report-reimbursement-97012.png",
    "/reports/expected-vs-paid": "report-expected-vs-paid.png",
    "/reports/denial-rate": "report-denial-rate.png",
    "/reports/best-payer?code=97012": "report-best-payer.png",
    "/reports/documentation-audit?period=2026-02&n=5": "report-documentation-audit.png",
    "/reports/ar-aging?as_of=2026-04-06": "report-ar-aging.png",
    "/reports/ar-aging?by=patient&party=patient&as_of=2026-04-06": "report-ar-aging-patients.png",
    "/reports/days-in-ar?as_of=2026-04-06": "report-days-in-ar.png",
    "/reports/net-collection": "report-net-collection.png",
    "/reports/clean-claims": "report-clean-claims.png",
    "/reports/productivity": "report-productivity.png",
}


def back_office_day(page: Page, app: LiveApp, out: Path) -> None:
    """The simulated payers' 835s are posted (plus two late denials); the biller reads the
    reports, works the denials and opens an appeal packet, whose first two pages are rendered too."""
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
    log_in(page, app.url, "biller@harbor.example")
    for path, name in REPORT_SHOTS.items():
        page.goto(f"{app.url}{path}")
        expect(page.locator("figure.chart svg")).to_be_visible()
        _shoot(page, out, name)
    # the export: the same chart model as a PNG
    chart = page.request.get(f"{app.url}/reports/ar-aging.png?as_of=2026-04-06")
    assert chart.ok, chart.status
    (out / "report-ar-aging-export.png").write_bytes(chart.body())
    print(f"wrote {out / 'report-ar-aging-export.png'}")

    page.goto(f"{app.url}/denials")
    expect(page.locator("table.denial-work").first).to_be_visible()
    _shoot(page, out, "denials-worklist.png")

    # The first row is the appeal due soonest (the late denial due in 6 days): its item page.
    page.locator("table.denial-work tbody tr a.mono").first.click()
    expect(page.locator("#appeal-title")).to_be_visible()
    item_path = page.url.removeprefix(app.url)
    page.screenshot(path=str(out / "denial-item.png"), full_page=True)
    print(f"wrote {out / 'denial-item.png'}")
    response = page.request.get(f"{app.url}{item_path}/appeal.pdf")
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    with tempfile.TemporaryDirectory(prefix="ptbill-appeal-") as tmp:
        pdf = Path(tmp) / "appeal.pdf"
        pdf.write_bytes(response.body())
        for number, name in ((1, "appeal-packet"), (2, "appeal-packet-note")):
            prefix, only = Path(tmp) / name, str(number)
            command = ["pdftoppm", "-png", "-r", "90", "-f", only, "-l", only, "-singlefile", str(pdf), str(prefix)]
            subprocess.run(command, check=True)
            (out / f"{name}.png").write_bytes(prefix.with_suffix(".png").read_bytes())
            print(f"wrote {out / name}.png")
    page.context.clear_cookies()


def claim_page_shot(page: Page, app: LiveApp, out: Path) -> None:
    """The claim page of a claim paid with one line denied: its timeline, payment and adjustments."""
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
        clinic = session.scalar(select(PatientRow.clinic_id).where(PatientRow.id == app.new_patient_id))
        claim_id = answered_claim(session, clinic)
    log_in(page, app.url, "biller@harbor.example")
    page.goto(f"{app.url}/claims/{claim_id}")
    expect(page.locator(".timeline")).to_be_visible()
    page.screenshot(path=str(out / "claim-page.png"), full_page=True)
    print(f"wrote {out / 'claim-page.png'}")
    page.context.clear_cookies()


WIDTHS = (390, 768, 1280)


def every_page_at_three_widths(browser: Browser, app: LiveApp, out: Path) -> None:
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        page = context.new_page()
        who: str | None = None
        for walked in pages(app):
            if walked.who != who:
                context.clear_cookies()
                if walked.who:
                    log_in(page, app.url, walked.who)
                who = walked.who
            page.goto(app.url + walked.path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{walked.name}-{width}.png"), full_page=True)
            print(f"wrote {out / walked.name}-{width}.png")
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--only",
        choices=["all", "back-office", "note-form-error", "widths", "claim-page"],
        default="all",
        help="back-office: only the reports, denials, appeal; note-form-error: only the refused note; "
        "widths: every page at 390, 768 and 1280 px",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptbill-screens-") as tmp:
        app = start_live_app(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                if args.only == "widths":
                    every_page_at_three_widths(browser, app, args.out)
                context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                page = context.new_page()
                if args.only in ("all", "note-form-error"):
                    refused_note(page, app.url, args.out)
                if args.only == "all":
                    therapist_day(page, app.url, args.out)
                    biller_day(page, app.url, args.out)
                if args.only in ("all", "back-office"):
                    back_office_day(page, app, args.out)
                if args.only == "claim-page":
                    claim_page_shot(page, app, args.out)
                browser.close()
        finally:
            app.stop()


if __name__ == "__main__":
    main()
