"""The biller's queue and the notes list with thousands of signed notes: p50/p95/worst of one page.

Setup (not timed): the demo clinic (services.demo_data, a few dozen notes checked by the engine), then its
signed notes and their checks copied by bulk insert until the clinic has N signed, unbilled notes (spread
over payers, therapists, verdicts and 120 days) and N/10 drafts. Timed, through the ASGI app with a
logged-in biller (and a therapist for /notes): the queue's first page, a filtered page (payer, date range,
minimum amount), the last page, the needs-attention tab filtered by rule, and /notes.

Run: .venv/bin/python bench/queue_pages.py [N] [sqlite|postgresql|both]   (default 5000, both)
PostgreSQL: PTBILL_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test), in a schema of its own.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from ptbill.server import create_app
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClinicRow, EncounterCheckRow, EncounterRow, UserRow

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a fresh database as the API tests make one
from tests.integration.api.world import fresh_database

TODAY = date(2026, 4, 1)
RUNS = 40
PAYERS = ("ca-medicare-south", "aetna", "bcbs-ca", "united-healthcare", "cigna")
VERDICTS = ("ready", "ready", "ready", "needs_attention", "blocked")


def seed(url: str, count: int) -> None:
    """The demo clinic, then copies of its notes and their latest checks up to ``count`` signed notes."""
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            seed_demo(session, encounters=40, patients=30, today=TODAY)
            clinic = session.scalars(select(ClinicRow).order_by(ClinicRow.id)).first()
            assert clinic is not None
            therapists = list(
                session.scalars(
                    select(UserRow.id).where(UserRow.clinic_id == clinic.id, UserRow.role.in_(("therapist", "pta")))
                )
            )
            models = list(session.scalars(select(EncounterRow).where(EncounterRow.clinic_id == clinic.id)))
            checks = {
                c.encounter_id: c for c in session.scalars(select(EncounterCheckRow).order_by(EncounterCheckRow.id))
            }
            drafts = count // 10
            rows = []
            for n in range(count + drafts):
                model = models[n % len(models)]
                rows.append(
                    {
                        "clinic_id": clinic.id,
                        "patient_id": model.patient_id,
                        "external_id": f"bench-{n}",
                        "date_of_service": TODAY - timedelta(days=n % 120),
                        "payer_id": PAYERS[n % len(PAYERS)],
                        "status": "signed" if n < count else "draft",
                        "document": model.document,
                        "version": 1,
                        "verdict": VERDICTS[n % len(VERDICTS)],
                        "therapist_user_id": therapists[n % len(therapists)],
                    }
                )
            session.execute(insert(EncounterRow), rows)
            new = session.execute(
                select(EncounterRow.id, EncounterRow.external_id).where(EncounterRow.external_id.like("bench-%"))
            ).all()
            check_rows = []
            for encounter_id, external_id in new:
                n = int(external_id.removeprefix("bench-"))
                model_check = checks.get(models[n % len(models)].id)
                if model_check is None:
                    continue
                check_rows.append(
                    {
                        "encounter_id": encounter_id,
                        "encounter_version": 1,
                        "ruleset_version": model_check.ruleset_version,
                        "verdict": VERDICTS[n % len(VERDICTS)],
                        "findings": model_check.findings,
                        "claim_lines": model_check.claim_lines,
                        "fingerprint": model_check.fingerprint,
                    }
                )
            session.execute(insert(EncounterCheckRow), check_rows)
            if url.startswith("postgresql"):
                session.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def login(client: TestClient, email: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:200]


def timed(client: TestClient, url: str) -> tuple[float, float, float, int]:
    client.get(url)  # warm: templates compiled, catalog loaded
    times = []
    status = 0
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1], status


def run(kind: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
        seed(url, count)
        settings = Settings(database_url=url, data_dir=Path(folder), secret_key="bench", secure_cookies=False)
        app = create_app(settings)
        biller, therapist = TestClient(app), TestClient(app)
        login(biller, "biller@harbor.example")
        login(therapist, "therapist1@harbor.example")
        ready = biller.get("/api/queue").json()
        pages = ready["pages"]
        start = (TODAY - timedelta(days=60)).isoformat()
        views = [
            ("/queue first page", biller, "/queue"),
            ("/queue filtered", biller, f"/queue?payer=aetna&from={start}&to={TODAY.isoformat()}&min=1"),
            ("/queue last page", biller, f"/queue?page={pages}"),
            ("/queue rule, 200/page", biller, "/queue?tab=needs_attention&rule=UNITS_MISMATCH&per_page=200"),
            ("/notes (therapist)", therapist, "/notes"),
            ("/api/queue first page", biller, "/api/queue"),
        ]
        print(f"\n{kind}: {count} signed notes ({ready['counts']}), {count // 10} drafts, {RUNS} runs each")
        print(f"{'view':28} {'p50 ms':>8} {'p95 ms':>8} {'worst':>8}  status")
        for name, client, address in views:
            p50, p95, worst, status = timed(client, address)
            print(f"{name:28} {p50:8.1f} {p95:8.1f} {worst:8.1f}  {status}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    which = sys.argv[2] if len(sys.argv) > 2 else "both"
    for kind in ("sqlite", "postgresql") if which == "both" else (which,):
        run(kind, count)


if __name__ == "__main__":
    main()
