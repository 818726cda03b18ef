"""A running app on a fresh database (SQLite file or PostgreSQL schema) with two clinics, and test
clients that fail loudly on any 5xx. Shared by the API tests, the schemathesis run and nothing else."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.server import create_app
from ptbill.services.access import Actor, hash_password
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.services.sessions import open_session, system_clock
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClinicRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate, postgres_database

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_URL = os.environ.get("PTBILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CLEAN_NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())

# Clinic A is the demo's Harbor PT; clinic B is Mesa, whose biller the demo creates and whose therapist
# and admin are added here, so every route can be called by a user of B with every role.
A_USERS = {
    "therapist": "therapist1@harbor.example",
    "pta": "pta@harbor.example",
    "biller": "biller@harbor.example",
    "admin": "admin@harbor.example",
}
B_USERS = {"therapist": "pt@mesa.example", "biller": "biller@mesa.example", "admin": "admin@mesa.example"}
PASSWORD = DEMO_PASSWORD


def note(**changes: Any) -> dict[str, Any]:
    """The clean Medicare lumbar note with a fresh id (ids are unique per clinic), changed as asked."""
    document = copy.deepcopy(CLEAN_NOTE)
    document["id"] = f"api-{uuid.uuid4().hex[:12]}"
    document.update(changes)
    return document


def new_patient(client: ApiClient) -> int:
    chart = f"E-{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/api/patients",
        json={
            "chart_number": chart,
            "first_name": "Maria",
            "last_name": "Lopez",
            "birth_date": "1958-07-14",
            "sex": "F",
        },
    )
    assert response.status_code == 201, response.text
    patient_id: int = response.json()["id"]
    return patient_id


class ApiClient(TestClient):
    """A TestClient that fails the test on any 5xx: no route may answer with a server error."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        assert response.status_code < 500, f"{method} {url} -> {response.status_code}: {response.text[:500]}"
        return response


@dataclass
class World:
    app: FastAPI
    database_url: str
    tokens: dict[str, str]  # email -> bearer token
    clinic_a: int
    clinic_b: int

    def client(self, email: str | None = None) -> ApiClient:
        """A client authenticated with the user's bearer token (no cookie), or anonymous."""
        headers = {"Authorization": f"Bearer {self.tokens[email]}"} if email else {}
        return ApiClient(self.app, headers=headers)

    def session(self) -> Session:
        factory = self.app.state.ptbill.sessions
        session: Session = factory()
        return session

    def ids_of(self, table: Any, clinic_id: int) -> set[int]:
        with self.session() as session:
            return set(session.scalars(select(table.id).where(table.clinic_id == clinic_id)))

    def close(self) -> None:
        self.app.state.ptbill.sessions.kw["bind"].dispose()


@contextmanager
def fresh_database(kind: str, tmp: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in ``tmp`` or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'ptbill.sqlite3'}"
        migrate(url)
        yield url
        return
    with postgres_database(POSTGRES_URL, "ptbill_api") as url:
        yield url


def build_world(database_url: str, data_dir: Path, *, encounters: int = 24, patients: int = 8) -> World:
    """Seed two clinics (a small demo clinic A, clinic B with a therapist, a biller and an admin) and
    start the app on them."""
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            seed_demo(session, encounters=encounters, patients=patients, today=DEMO_TODAY)
            mesa = session.scalar(select(ClinicRow).where(ClinicRow.name.like("Mesa%")))
            assert mesa is not None
            session.add_all(
                [
                    UserRow(
                        clinic_id=mesa.id,
                        email=B_USERS["therapist"],
                        name="Rio Mesa",
                        role="therapist",
                        credential="PT",
                        npi="1093817462",
                        password_hash=hash_password(PASSWORD),
                    ),
                    UserRow(
                        clinic_id=mesa.id,
                        email=B_USERS["admin"],
                        name="Ada Mesa",
                        role="admin",
                        password_hash=hash_password(PASSWORD),
                    ),
                ]
            )
            session.flush()
            users = {u.email: u for u in session.scalars(select(UserRow))}
            now = system_clock()
            tokens = {
                email: open_session(session, Actor(user.id, user.clinic_id, user.role, user.name), now)
                for email, user in users.items()
            }
    finally:
        engine.dispose()
    app = create_app(Settings(database_url=database_url, data_dir=data_dir, secret_key="test", secure_cookies=False))
    return World(
        app,
        database_url,
        tokens,
        clinic_a=users[A_USERS["biller"]].clinic_id,
        clinic_b=users[B_USERS["biller"]].clinic_id,
    )


@contextmanager
def running_world(kind: str, tmp: Path, *, encounters: int = 24, patients: int = 8) -> Iterator[World]:
    """A world on a fresh database of ``kind`` (sqlite, postgresql), closed and dropped afterwards: what a
    module's ``world`` fixture yields."""
    with fresh_database(kind, tmp) as url:
        built = build_world(url, tmp, encounters=encounters, patients=patients)
        try:
            yield built
        finally:
            built.close()


def billed_claim(world: World, *, sent: bool = True) -> tuple[int, dict[str, Any]]:
    """A new patient's standard note signed and billed (then ``sent`` in a batch marked submitted) through the
    API as the therapist and the biller do it: the patient's id and the claim as the API returns it."""
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    patient = new_patient(therapist)
    encounter = therapist.post("/api/encounters", json={"patient_id": patient, "document": note()}).json()["id"]
    assert therapist.post(f"/api/encounters/{encounter}/sign").status_code == 200
    [claim] = biller.post("/api/claims", json={"encounter_ids": [encounter]}).json()
    if sent:
        batch = biller.post("/api/batches", json={"claim_ids": [claim["id"]]}).json()
        assert biller.post(f"/api/batches/{batch['id']}/submitted").status_code == 200
    return patient, dict(claim)
