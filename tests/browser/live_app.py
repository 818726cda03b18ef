"""The real ptbill app on a free loopback port, for the browser tests and ``bench/screenshots.py``.

uvicorn serves ``create_app`` from a thread; the database is a fresh SQLite file, migrated and
seeded with the synthetic demo clinic plus one new patient whose first traction visit the tests
document. Chromium is Debian's (/usr/bin/chromium): Playwright never downloads a browser here.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.server import create_app
from ptbill.services import patients, users
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}

# The new patient (synthetic) and the visit the therapist documents for her.
NEW_PATIENT = {
    "chart_number": "HPT-9001",
    "first_name": "Nora",
    "last_name": "Lindqvist",
    "birth_date": date(1957, 5, 9),
    "sex": "F",
    "address_line1": "14 Alameda Padre Serra",
    "city": "Santa Barbara",
    "state": "CA",
    "zip": "93103",
}
NEW_COVERAGE = {"payer_id": "ca-medicare-south", "member_id": "5TQ8LM2KX41", "relationship_to_insured": "self"}
T = "services[0].traction."
VISIT = {  # input name -> what the therapist types; everything but the force
    "plan_of_care.start_date": "2026-11-03",
    "plan_of_care.certified_date": "2026-11-05",
    "plan_of_care.end_date": "2027-01-31",
    "plan_of_care.frequency_per_week": "2",
    "plan_of_care.visit_number": "6",
    "plan_of_care.visits_since_progress_report": "5",
    "diagnoses[0]": "M51.16",
    "diagnoses[1]": "M54.16",
    "referring_provider.name": "Alan Cho",
    "referring_provider.npi": "1528060639",
    T + "device_name": "Chattanooga Triton DTS",
    T + "angle_deg": "15",
    T + "hold_seconds": "60",
    T + "rest_seconds": "20",
    T + "patient_position": "supine, hips and knees flexed",
    "services[0].start_time": "09:02",
    "services[0].end_time": "09:20",
    T + "monitoring_checks": "09:08, 09:15",
    "services[0].patient_response": "Leg pain 6/10 before, 3/10 after; no adverse response.",
    "services[0].clinical_justification": "L5 radiculopathy from an L4-5 disc herniation; traction to unload "
    "the nerve root after two weeks of exercise alone did not change the leg pain.",
    "services[0].modifiers": "GP",
    "services[0].diagnosis_pointers": "1, 2",
    "services[1].minutes": "23",
    "services[1].modifiers": "GP",
    "services[1].diagnosis_pointers": "1",
    "total_treatment_minutes": "41",
}
VISIT_CHOICES = {T + "body_region": "lumbar", "services[1].code": "97110"}  # selects
VISIT_RADIOS = {T + "device_type": "motorized_table", T + "mode": "intermittent"}
VISIT_DATE = "2026-11-24"


@dataclass
class LiveApp:
    url: str
    settings: Settings
    sessions: sessionmaker[Session]
    new_patient_id: int
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _seed(url: str) -> int:
    """The demo clinic, plus a new Medicare patient with no earlier visit; returns her id."""
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, today=DEMO_TODAY)
        admin = users.authenticate(session, "admin@harbor.example", DEMO_PASSWORD)
        assert admin is not None
        patient = patients.create_patient(session, admin, dict(NEW_PATIENT))
        patients.add_coverage(session, admin, patient.id, dict(NEW_COVERAGE))
        return patient.id


def start_live_app(directory: Path, clock: Clock = SYSTEM_CLOCK) -> LiveApp:
    """The app on a fresh seeded database; ``clock`` is its today (a test that turns the calendar passes its own)."""
    directory.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(database_url)
    patient_id = _seed(database_url)
    settings = Settings(database_url, directory, "browser-test-secret-" + "x" * 32, secure_cookies=False, clock=clock)
    return serve(settings, patient_id)


def serve(settings: Settings, new_patient_id: int = 0) -> LiveApp:
    """The app on ``settings``' database as it stands (nothing seeded here); 0: no seeded new patient."""
    app = create_app(settings)
    # Bind first and hand uvicorn the socket: no race for the port between choosing and listening.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start on the loopback port")
        time.sleep(0.05)
    return LiveApp(
        f"http://127.0.0.1:{port}",
        settings,
        session_factory(make_engine(settings.database_url)),
        new_patient_id,
        server,
        thread,
    )


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def log_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def start_note(page: Page, base_url: str, patient_label: str, day: str) -> None:
    """Open a new traction note for the patient whose option text contains ``patient_label``."""
    page.goto(f"{base_url}/notes/new")
    option = page.locator("#pick-patient option", has_text=patient_label).first
    page.select_option("#pick-patient", value=option.get_attribute("value"))
    page.fill("#pick-date", day)
    page.get_by_role("button", name="Start note").click()
    page.wait_for_selector("form#note")


def fill_visit(page: Page) -> None:
    """Type the visit as a therapist would, field by field (the force is left out on purpose)."""
    for name, value in VISIT_CHOICES.items():
        page.select_option(f'[name="{name}"]', value)
    for name, value in VISIT_RADIOS.items():
        page.check(f'[name="{name}"][value="{value}"]')
    for name, value in VISIT.items():
        page.fill(f'[name="{name}"]', value)
