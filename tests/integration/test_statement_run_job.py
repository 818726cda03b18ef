"""A statement run larger than ``PTBILL_JOB_STATEMENTS`` is made by the ``run_statements`` job: the page hands
it to the job and shows its progress until the statements are made (in process on SQLite, by a worker on
PostgreSQL); a smaller run is made within the request, as before."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.server import create_app
from ptbill.settings import JobSettings, Settings
from tests.integration.api.world import A_USERS, running_world
from tests.integration.ledger_world import answered_visit
from tests.integration.page_forms import logged_in
from tests.integration.queue_worker import work_the_queue
from tests.integration.test_claim_page import csrf_of, text_of

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_large_statement_run_is_made_by_the_job_and_its_page_shows_the_progress(kind: str, tmp_path: Path) -> None:
    with running_world(kind, tmp_path, encounters=2, patients=1) as world:
        owing = [answered_visit(world, f"EFT-STMT-JOB-{n}") for n in range(2)]
        settings = Settings(
            database_url=world.database_url,
            data_dir=tmp_path,
            secret_key="test",
            secure_cookies=False,
            clock=world.app.state.ptbill.settings.clock,
            jobs=JobSettings(background_statements=1),  # two statements due: more than one, so a job
        )
        app = create_app(settings)
        biller = logged_in(app, A_USERS["biller"])
        page = biller.get("/statements")
        bad = biller.post("/statements/runs", data={"csrf_token": csrf_of(page.text), "minimum": "lots"})
        assert bad.status_code == 400
        assert "minimum: " in text_of(bad.text)
        answer = biller.post(
            "/statements/runs", data={"csrf_token": csrf_of(page.text), "minimum": "0.00"}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        job_page = answer.headers["location"]
        assert re.fullmatch(r"/statements/jobs/[0-9]+", job_page)
        if app.state.ptbill.jobs.queued:
            waiting = biller.get(job_page)
            assert "Waiting for a worker" in waiting.text
            assert 'http-equiv="refresh"' in waiting.text
            work_the_queue(app)
        done = biller.get(job_page)
        assert "Statements made" in done.text, done.text
        assert "2 of 2 (100%)" in done.text
        assert 'http-equiv="refresh"' not in done.text
        (latest,) = world.client(A_USERS["biller"]).get("/api/statements/runs").json()[:1]
        assert latest["count"] == 2
        assert sorted(s["patient_id"] for s in latest["statements"]) == sorted(p for p, _ in owing)
        assert sorted(Decimal(str(s["amount_due"])) for s in latest["statements"]) == sorted(o for _, o in owing)
        assert f"statement run #{latest['id']}: 2 statement(s)" in done.text
        assert logged_in(app, "biller@mesa.example").get(job_page).status_code == 404  # another clinic's job
        # Run again at once: everyone was stated today, within the cycle: nothing is due, made in the request.
        again = biller.post("/statements/runs", data={"csrf_token": csrf_of(page.text), "minimum": "0.00"})
        assert again.status_code == 200
        assert "0 statements made" in text_of(again.text)
        app.state.ptbill.jobs.close()
        app.state.ptbill.sessions.kw["bind"].dispose()
