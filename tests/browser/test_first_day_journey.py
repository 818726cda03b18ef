"""A clinic's first day, in a real Chromium, from an empty database: ``ptbill init`` creates the clinic and
its admin, who must log in with a second factor; the admin fills in the clinic settings, adds a PT and the
PTA she supervises, invites the therapist and a biller, and registers a patient with Medicare primary, a
secondary, an authorization and a plan of care. The therapist finds the patient by typing three letters and
writes and signs a note; the biller (two-step login too) sees it ready. Every page is photographed at
1280 px and 390 px (``PTBILL_SCREENSHOTS`` keeps them in a folder of your choice)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ptbill.settings import Settings
from tests.browser.live_app import LiveApp, fill_visit, serve
from tests.browser.test_patient_pages import fill, shoot
from tests.migrated import migrate

pytestmark = pytest.mark.browser
SECRET_KEY = "journey-test-secret-" + "y" * 32
ADMIN = ("Maren Holt", "maren.holt@tidepool.example", "tidepool-first-morning")
PT = ("Iris Calloway", "1345678902")  # name, individual NPI (synthetic, check digit right)
PTA = ("Owen Baptiste", "1765432103")
THERAPIST_EMAIL = "iris.calloway@tidepool.example"
BILLER = ("Dana Whitcombe", "dana.whitcombe@tidepool.example")


def _ptbill(directory: Path, *args: str, stdin: str = "", user: str | None = None) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'ptbill.sqlite3'}",
        "PTBILL_DATA_DIR": str(directory),
        "PTBILL_SECRET_KEY": SECRET_KEY,
    }
    if user:
        env["PTBILL_USER"] = user
    done = subprocess.run(
        [sys.executable, "-m", "ptbill", *args],
        check=False,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def first_day_app(tmp_path: Path) -> Iterator[LiveApp]:
    """An empty, migrated database; the clinic set up by ``ptbill init``, as an installer would; then served."""
    directory = tmp_path / "clinic"
    directory.mkdir()
    database_url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(database_url)
    name, email, password = ADMIN
    said = _ptbill(
        directory,
        *("init", "--clinic", "Tidepool Physical Therapy LLC", "--npi", "1245319599", "--tax-id", "77-4102238"),
        *("--address", "212 Cota St", "--city", "Santa Barbara", "--state", "CA", "--zip", "93101"),
        *("--admin-email", email, "--admin-name", name, "--password-stdin"),
        stdin=password + "\n",
    )
    assert "is set up" in said
    _ptbill(directory, "users", "require-two-factor", "admin", "biller", user=email)
    app = serve(Settings(database_url, directory, SECRET_KEY, secure_cookies=False))
    yield app
    app.stop()


def _password_step(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _enrol(page: Any, folder: Path, who: str) -> Any:
    """The user's own two-step set-up, from the page the clinic sends them to; returns their authenticator."""
    import pyotp
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/account/two-factor$"))
    shoot(page, folder, f"{who}-two-factor-required")
    page.get_by_role("button", name="Set up two-step login").click()
    key = page.locator("code.secret").inner_text().replace(" ", "")
    shoot(page, folder, f"{who}-two-factor-enrol")
    totp = pyotp.TOTP(key)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-step login").click()
    expect(page.locator(".recovery-codes li")).not_to_have_count(0)
    shoot(page, folder, f"{who}-two-factor-recovery-codes")
    return totp


def _code_step(page: Any, folder: Path, who: str, totp: Any) -> None:
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/login/code"))
    shoot(page, folder, f"{who}-login-code")
    page.get_by_label("Code").fill(totp.at(time.time() + 30))  # the next step: a step's code is used once
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _choose_password(page: Any, folder: Path, who: str, temporary: str, chosen: str) -> None:
    """After logging in with an admin's temporary password, every page leads to choosing one's own."""
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/account/password\?required=1$"))
    expect(page.locator(".notice-error")).to_contain_text("temporary password")
    shoot(page, folder, f"{who}-password-required")
    page.get_by_label("Current password").fill(temporary)
    page.get_by_label("New password", exact=True).fill(chosen)
    page.get_by_label("New password again").fill(chosen)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".notice-ok")).to_contain_text("Your password is changed")


def _log_out(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_clinic_starts_from_an_empty_database_and_bills_its_first_note(
    first_day_app: LiveApp, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    app = first_day_app
    url = app.url
    today = app.settings.clock.today()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    folder = Path(os.environ.get("PTBILL_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    name, email, password = ADMIN

    # 1. The admin: the clinic requires two-step login of admins, so the first login leads to the set-up.
    _password_step(page, url, email, password)
    totp = _enrol(page, folder, "admin")
    _log_out(page)
    _password_step(page, url, email, password)
    _code_step(page, folder, "admin", totp)
    expect(page.locator(".who")).to_contain_text(name)

    # 2. Clinic settings.
    page.goto(f"{url}/admin/clinic")
    shoot(page, folder, "admin-clinic-empty")
    fill(
        page, {"taxonomy_code": "225100000X", "submitter_id": "TIDEPOOL01", "submitter_name": "Tidepool PT"}, prefix=""
    )
    fill(
        page, {"receiver_id": "CLEARHOUSE", "receiver_name": "Clearing House", "contact_phone": "8055550142"}, prefix=""
    )
    fill(page, {"statement_cycle_days": "30", "time_zone": "America/Los_Angeles", "place_of_service": "11"}, prefix="")
    localities = page.locator("#medicare_locality option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    if localities:
        page.locator("#medicare_locality").select_option(localities[0])
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("The clinic settings are saved")
    expect(page.locator("#taxonomy_code")).to_have_value("225100000X")
    expect(page.locator("#time_zone")).to_have_value("America/Los_Angeles")
    shoot(page, folder, "admin-clinic-saved")

    # 3. Providers: a PT, then the PTA she supervises.
    page.goto(f"{url}/admin/providers")
    shoot(page, folder, "admin-providers-empty")
    for (who, npi), discipline, licence in ((PT, "PT", "PT 41877"), (PTA, "PTA", "PTA 9032")):
        fill(
            page,
            {"name": who, "discipline": discipline, "npi": npi, "licence_state": "CA", "licence_number": licence},
            prefix="",
        )
        if discipline == "PTA":
            page.locator("#supervisor_id").select_option(label=f"{PT[0]} (PT)")
        page.get_by_role("button", name="Add the provider").click()
        # The page after this save: its roster lists the provider (the PTA's page before already says "saved").
        expect(page.locator("tbody tr", has_text=who)).to_have_count(1)
        expect(page.get_by_role("status")).to_contain_text("The provider is saved")
    pta_row = page.locator("tbody tr", has_text=PTA[0])
    expect(pta_row.locator('[data-label="Supervised by"]')).to_have_text(PT[0])
    shoot(page, folder, "admin-providers")

    # 4. Users: the therapist and a biller, each with a one-time temporary password read from the page.
    page.goto(f"{url}/admin/users")
    temporary: dict[str, str] = {}
    for who, address, role in ((PT[0], THERAPIST_EMAIL, "therapist"), (BILLER[0], BILLER[1], "biller")):
        fill(page, {"name": who, "email": address, "role": role}, prefix="")
        if role == "therapist":  # she signs notes with her NPI and credential from the roster
            page.locator("#provider_id").select_option(label=f"{PT[0]} (PT, NPI {PT[1]})")
        page.get_by_role("button", name="Add the user").click()
        # This user's password: the biller's page before shows the therapist's, in the same place.
        secret = page.locator(".notice", has_text=f"Temporary password for {who}").locator(".admin-secret")
        expect(secret).to_be_visible()
        temporary[address] = secret.inner_text().strip()
        shoot(page, folder, f"admin-users-invited-{role}")
    expect(page.locator("tbody tr")).to_have_count(3)

    # 5. The patient, her coverages, an authorization and a plan of care.
    page.get_by_role("link", name="Patients").click()
    page.wait_for_url(f"{url}/patients")  # the list, not the users page, in the picture
    shoot(page, folder, "patients-empty")
    page.get_by_role("link", name="Register a patient").click()
    fill(
        page,
        {
            "first_name": "Beatrix",
            "last_name": "Quillfeather",
            "birth_date": "1951-03-14",
            "sex": "F",
            "phone": "805-555-0163",
            "address_line1": "31 Anacapa St",
            "city": "Santa Barbara",
            "state": "CA",
            "zip": "93101",
        },
    )
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("Patient registered")
    patient_id = page.url.split("?")[0].rsplit("/", 1)[1]
    page.get_by_role("link", name="Add coverage").click()
    fill(page, {"priority": "1", "payer_id": "ca-medicare-south", "member_id": "3QF7HN2WK18"})
    page.get_by_role("button", name="Add coverage").click()
    expect(page.get_by_role("status")).to_contain_text("Coverage added")
    page.get_by_role("link", name="Add coverage").click()
    fill(page, {"priority": "2", "payer_id": "aetna", "member_id": "W551907", "group_number": "TP-3301"})
    page.get_by_role("button", name="Add coverage").click()
    expect(page.get_by_role("status")).to_contain_text("Coverage added")
    page.get_by_role("link", name="Add authorization").click()
    fill(
        page,
        {
            "number": "AUTH-70114",
            "unit_kind": "visits",
            "approved": "12",
            "valid_from": day(-30),
            "valid_to": day(60),
            "codes": "97012, 97110",
        },
    )
    page.get_by_role("button", name="Add authorization").click()
    expect(page.get_by_role("status")).to_contain_text("Authorization added")
    page.get_by_role("link", name="Add plan of care").click()
    fill(
        page,
        {
            "referring_provider_name": "Alan Cho",
            "referring_provider_npi": "1528060639",
            "referral_date": day(-35),
            "start_date": day(-30),
            "end_date": day(60),
            "visits_per_week": "2",
            "duration_weeks": "12",
            "physician_name": "Alan Cho",
            "physician_npi": "1528060639",
            "signed_on": day(-28),
            "diagnoses": "M51.16, M54.16",
        },
    )
    page.get_by_role("button", name="Add plan of care").click()
    expect(page.get_by_role("status")).to_contain_text("Plan of care added")
    chart = page.locator("main")
    for said in ("Primary", "Secondary", "AUTH-70114", "2× a week for 12 weeks"):
        expect(chart).to_contain_text(said)
    shoot(page, folder, "patient-chart")
    _log_out(page)

    # 6. The therapist: temporary password, finds the patient by three letters, writes and signs the note.
    _password_step(page, url, THERAPIST_EMAIL, temporary[THERAPIST_EMAIL])
    page.wait_for_url(lambda address: "/login" not in address)
    _choose_password(page, folder, "therapist", temporary[THERAPIST_EMAIL], "tidepool-lumbar-traction")
    page.goto(f"{url}/notes/new")
    page.locator("#patient-search").press_sequentially("Qui", delay=60)
    expect(page.locator("#pick-status")).to_contain_text("found")
    expect(page.locator("#pick-patient option", has_text="Quillfeather, Beatrix")).to_have_count(1)
    expect(page.locator("#pick-patient")).to_have_value(patient_id)
    shoot(page, folder, "note-picker")
    page.fill("#pick-date", today.isoformat())
    page.get_by_role("button", name="Start note").click()
    page.wait_for_selector("form#note")
    expect(page.locator("h1")).to_contain_text("Beatrix Quillfeather")
    fill_visit(page)
    for field, value in {
        "plan_of_care.start_date": day(-30),
        "plan_of_care.certified_date": day(-28),
        "plan_of_care.end_date": day(60),
    }.items():
        page.fill(f'[name="{field}"]', value)
    page.get_by_label("Force", exact=True).fill("65")
    expect(page.locator("#check-counts")).not_to_contain_text(re.compile(r"\d+ to fix"))
    shoot(page, folder, "note-filled")
    page.locator("#sign-button").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=signed$"))
    expect(page.locator(".notice-ok")).to_contain_text("Signed")
    expect(page.locator(".badge-status-signed")).to_be_visible()
    shoot(page, folder, "note-signed")
    _log_out(page)

    # 7. The biller: two-step login is required of billers too; then the queue shows the note ready.
    _password_step(page, url, BILLER[1], temporary[BILLER[1]])
    _choose_password(page, folder, "biller", temporary[BILLER[1]], "tidepool-claims-desk")
    page.goto(f"{url}/queue")  # billers must also set up two-step login before the queue
    _enrol(page, folder, "biller")
    page.goto(f"{url}/queue?tab=ready")
    row = page.locator("table.queue tbody tr", has_text="Quillfeather")
    expect(row).to_have_count(1)
    expect(page.locator(".tab-ready .tab-count")).to_have_text("1")
    shoot(page, folder, "biller-queue-ready")
