"""No patient data in the server's crash log: the app served by uvicorn in its own process, with two routes
that fail the way a bug would, one with a database error whose parameters hold the patient sent in the
request and one with an exception chain quoting it. The log on the server's stderr keeps the exception
types and the frames, and names neither the patient nor her member id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from faker import Faker
from fastapi import FastAPI, Request
from sqlalchemy import text

from ptbill.log_privacy import WITHHELD
from ptbill.server import create_app
from tests.integration.served import served_app
from tests.migrated import migrate


def crashing_app() -> FastAPI:
    """The real app plus two routes with bugs in them (uvicorn imports this factory in the server process)."""
    app = create_app()

    @app.post("/api/test-crash/database")
    async def database_error(request: Request) -> dict[str, Any]:
        patient = await request.json()
        with app.state.ptbill.sessions() as session:
            session.execute(
                text("SELECT id FROM patients_misspelled WHERE last_name = :name AND member_id = :member"),
                {"name": patient["last_name"], "member": patient["member_id"]},
            )
        return {}

    @app.post("/api/test-crash/chained")
    async def chained_error(request: Request) -> dict[str, Any]:
        patient = await request.json()
        try:
            raise KeyError(f"no coverage for {patient['first_name']} {patient['last_name']} ({patient['member_id']})")
        except KeyError as exc:
            raise RuntimeError(f"saving the note of {patient['last_name']} failed") from exc

    return app


def test_a_crash_log_names_no_patient(tmp_path: Path) -> None:
    fake = Faker()
    Faker.seed(9012)
    patient = {
        "first_name": fake.first_name_female(),
        "last_name": fake.last_name(),
        "member_id": fake.bothify("#??#??#??##").upper(),
    }
    url = f"sqlite:///{tmp_path / 'ptbill.sqlite3'}"
    migrate(url)
    factory = "tests.integration.test_log_privacy:crashing_app"
    secret = "log-privacy-test-" + "x" * 32
    with served_app(url, tmp_path, secret, factory, log_level="info", keep_log=True) as served:
        for route in ("database", "chained"):
            assert httpx.post(f"{served.base}/api/test-crash/{route}", json=patient, timeout=30).status_code == 500
    log = served.log

    assert log.count("Exception in ASGI application") == 2
    for value in patient.values():
        assert value not in log
    assert "sqlalchemy.exc.OperationalError: " + WITHHELD in log
    assert "KeyError: " + WITHHELD in log
    assert "RuntimeError: " + WITHHELD in log
    assert 'patient["last_name"]' in log or "patient['last_name']" in log  # the frames and their code stay
