"""The nightly eligibility run as a job, in process on SQLite: patients seen in the next days or under a plan of
care get a 270 through the clinic's mailbox unless their 271 is current; running it again asks nobody twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.jobs.runner import JobRunner
from ptbill.services import eligibility, notes, patients
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import EligibilityRequestRow, JobRunRow, PlanOfCareRow
from tests.eligibility_271 import ACTIVE_500_20, write_271
from tests.integration.api.world import fresh_database
from tests.integration.test_eligibility import NOTE, _coverage, _note
from tests.integration.test_storage_services import make_clinic

NIGHT = FixedClock(date(2026, 2, 26))


def test_the_nightly_run_asks_about_patients_expected_soon_whose_eligibility_is_not_current(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            pt, biller, ahead = make_clinic(session, "nightly")
            _coverage(session, biller, ahead.id)  # a note written ahead for 2026-03-02
            notes.save_encounter(session, pt, _note(ahead.chart_number), ahead.id, clock=NIGHT)
            planned = patients.create_patient(
                session, pt, {"chart_number": "C-2", "first_name": "Ben", "last_name": "Planwell",
                              "birth_date": date(1970, 1, 2), "sex": "M"},
            )  # fmt: skip
            _coverage(session, biller, planned.id)
            session.add(
                PlanOfCareRow(
                    clinic_id=biller.clinic_id, patient_id=planned.id, start_date=date(2026, 2, 1),
                    end_date=date(2026, 4, 30), visits_per_week=2, duration_weeks=8, physician_name="Dr Who",
                    physician_npi="1245319599", diagnoses=["M54.16"],
                )
            )  # fmt: skip
            verified = patients.create_patient(
                session, pt, {"chart_number": "C-3", "first_name": "Cy", "last_name": "Current",
                              "birth_date": date(1980, 5, 6), "sex": "M"},
            )  # fmt: skip
            form = {"payer_id": "aetna", "member_id": "W999000111", "priority": "1"}
            patients.register_coverage(session, biller, verified.id, form)
            notes.save_encounter(session, pt, {**_note("C-3"), "id": "enc-c3"}, verified.id, clock=NIGHT)
            answer = write_271(member_id="W999000111", last="CURRENT", first="CY", trace=None, benefits=ACTIVE_500_20)
            eligibility.record_file(session, biller, answer, FixedClock(date(2026, 2, 20)))
            seen = {ahead.id, planned.id}
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key="test", secure_cookies=False)
        runner = JobRunner(settings, sessions, NIGHT)
        try:
            first = runner.run_periodic("nightly_eligibility")
            second = runner.run_periodic("nightly_eligibility")
        finally:
            runner.close()
        with sessions() as session:
            runs = [session.get(JobRunRow, run_id) for run_id in (first, second)]
            assert [(r.status, r.message) for r in runs if r is not None] == [
                ("done", "2 eligibility request(s) sent for 1 clinic(s), 0 failed"),
                ("done", "0 eligibility request(s) sent for 1 clinic(s), 0 failed"),
            ]
            asked = session.scalars(select(EligibilityRequestRow).order_by(EligibilityRequestRow.id)).all()
            assert {row.patient_id for row in asked} == seen
            assert all(row.source == "nightly" and row.mailbox_file_id is not None for row in asked)
            by_patient = {row.patient_id: row.service_date for row in asked}
            assert by_patient[ahead.id] == date.fromisoformat(NOTE["date_of_service"])  # asked for the visit's day
            assert by_patient[planned.id] == NIGHT.day
        outbox = sorted(p.name for p in (tmp_path / "mailbox" / f"clinic-{biller.clinic_id}" / "outbox").iterdir())
        assert len(outbox) == 2
        assert all(name.endswith(".270") for name in outbox)
        engine.dispose()
