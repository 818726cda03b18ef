"""Copy-forward on the note page: the next note starts from the patient's last one, as the page offers it.

The evaluation's code is that day's (a daily note started from an evaluation must not bill it again); the
flowsheet and goals go on; the plan's counters count on from the note before.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from ptbill.domain.clock import FixedClock
from ptbill.server import create_app
from ptbill.services import notes, patients, users
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from tests.demo_day import DEMO_TODAY
from tests.integration.page_forms import forms_of, logged_in
from tests.migrated import migrate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TODAY = date(2026, 3, 31)
EVALUATION_CODE = {"code": "97162", "modifiers": ["GP"], "diagnosis_pointers": [1, 2], "minutes": 35}


def _scenario(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text())
    return document


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, int, Any]]:
    directory: Path = tmp_path_factory.mktemp("copy-forward")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        seed_demo(session, encounters=12, patients=6, today=DEMO_TODAY)
        admin = users.authenticate(session, "admin@harbor.example", DEMO_PASSWORD)
        assert admin is not None
        patient = patients.create_patient(
            session,
            admin,
            {"chart_number": "CF-1", "first_name": "Ines", "last_name": "Okafor", "birth_date": date(1954, 2, 3)}
            | {"sex": "F", "address_line1": "3 Mesa Rd", "city": "Goleta", "state": "CA", "zip": "93117"},
        )
        patients.add_coverage(
            session,
            admin,
            patient.id,
            {"payer_id": "ca-medicare-south", "member_id": "2KQ7NM4PX52"} | {"relationship_to_insured": "self"},
        )
        patient_id = patient.id
    app = create_app(
        Settings(url, directory, "copy-forward-" + "c" * 32, secure_cookies=False, clock=FixedClock(TODAY))
    )
    yield app, patient_id, sessions
    engine.dispose()
    app.state.ptbill.sessions.kw["bind"].dispose()


def _signed(sessions: Any, patient_id: int, document: dict[str, Any]) -> None:
    with transaction(sessions) as session:
        therapist = users.authenticate(session, "therapist1@harbor.example", DEMO_PASSWORD)
        assert therapist is not None
        row, report = notes.save_encounter(session, therapist, document, patient_id, clock=FixedClock(TODAY))
        assert report.verdict.value != "blocked", [f.to_json() for f in report.findings]
        notes.sign_encounter(session, therapist, row.id, clock=FixedClock(TODAY))


def _new_note(app: FastAPI, patient_id: int, day: str) -> tuple[dict[str, str], str]:
    """The new note's form values as the page fills them, and the page."""
    client = logged_in(app, "therapist1@harbor.example")
    page = client.get(f"/notes/new?patient_id={patient_id}&date_of_service={day}")
    assert page.status_code == 200
    form = next(f for f in forms_of(page.text) if f.method == "post" and f.action == "/notes")
    return {name: values[0] if values else "" for name, values in form.fields.items()}, page.text


def test_a_note_after_the_evaluation_carries_the_plan_and_exercises_but_not_the_evaluation_code(
    app: tuple[FastAPI, int, Any],
) -> None:
    web, patient_id, sessions = app
    evaluation = copy.deepcopy(_scenario("medicare-lumbar-evaluation"))
    evaluation["id"] = "CF-EVAL"
    evaluation["services"].append(EVALUATION_CODE)
    evaluation["total_treatment_minutes"] += EVALUATION_CODE["minutes"]
    _signed(sessions, patient_id, evaluation)

    form, page = _new_note(web, patient_id, "2026-02-23")
    codes = [value for name, value in form.items() if name.startswith("services[") and name.endswith(".code")]
    assert "97162" not in codes
    assert [code for code in codes if code] == ["97110", "97140"]
    assert not any(v for n, v in form.items() if n.startswith("services[3]."))  # nothing left of the evaluation's row
    assert (form["flowsheet[0].exercise"], form["flowsheet[1].minutes"]) == ("bridges", "8")
    assert (form["goals[0].id"], form["goals[1].id"]) == ("STG1", "LTG1")
    assert form["plan_of_care.visit_number"] == "2"
    assert '<option value="97164"' in page  # a re-evaluation's code is offered, to be chosen on its day


def test_the_evaluation_day_is_treatment_day_one_and_a_progress_report_starts_the_count_again(
    app: tuple[FastAPI, int, Any],
) -> None:
    """Medicare's first reporting period begins on the first day of the episode, even when that day's service is
    the evaluation (Benefit Policy Manual ch.15 §220.3 D): the day after the evaluation is treatment day 2. A
    progress report ends its period, so the next visit is day 1 of the next."""
    web, patient_id, sessions = app
    form, _page = _new_note(web, patient_id, "2026-02-23")  # after the evaluation of 2026-02-20 (the test above)
    assert (form["plan_of_care.visit_number"], form["plan_of_care.visits_since_progress_report"]) == ("2", "1")

    report = copy.deepcopy(_scenario("medicare-lumbar-progress-report"))  # visit 10, treatment day 10
    report["id"] = "CF-REPORT"
    _signed(sessions, patient_id, report)
    form, _page = _new_note(web, patient_id, "2026-03-18")
    assert (form["plan_of_care.visit_number"], form["plan_of_care.visits_since_progress_report"]) == ("11", "0")
