"""Eligibility on the pages, without a browser: the chart shows the latest 271 per coverage (status, plan dates,
deductible and out of pocket left, coinsurance, visits, prior authorization, received in the clinic's zone)
with a "Verify now" button for billers that sends a 270 through the mailbox; the note page shows one line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.services import access, eligibility, notes, patients
from ptbill.storage.tables import EligibilityRequestRow, MailboxFileRow, UserRow
from tests.eligibility_271 import ACTIVE_500_20, write_271
from tests.integration.api.world import A_USERS, World, running_world
from tests.integration.page_forms import logged_in
from tests.integration.test_eligibility import NOTE


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("eligibility-pages"), encounters=4, patients=2) as built:
        yield built


def _actor(session: Any, email: str) -> access.Actor:
    user = session.scalars(select(UserRow).where(UserRow.email == email)).one()
    return access.Actor(user.id, user.clinic_id, user.role, user.name)


@pytest.fixture(scope="module")
def patient(world: World) -> tuple[int, int, int]:
    """A patient with an Aetna coverage and a note: (patient id, coverage id, note id)."""
    with world.session() as session:
        biller = _actor(session, A_USERS["biller"])
        therapist = _actor(session, A_USERS["therapist"])
        born = {"first_name": "Vera", "last_name": "Eligo", "birth_date": date(1966, 6, 6), "sex": "F"}
        made = patients.create_patient(session, therapist, {"chart_number": "EL-1", **born})
        form = {"payer_id": "aetna", "member_id": NOTE["coverage"]["member_id"], "priority": "1"}
        coverage = patients.register_coverage(session, biller, made.id, form)
        document = {**NOTE, "patient": {**NOTE["patient"], "id": "EL-1"}, "id": "enc-el-1"}
        note, _ = notes.save_encounter(session, therapist, document, made.id, clock=FixedClock(date(2026, 3, 2)))
        session.commit()
        return made.id, coverage.id, note.id


def csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found, url
    return found.group(1)


def test_verify_now_sends_a_270_and_the_recorded_271_shows_on_the_chart_and_beside_the_note(
    world: World, patient: tuple[int, int, int]
) -> None:
    patient_id, coverage_id, note_id = patient
    biller, therapist = logged_in(world.app, A_USERS["biller"]), logged_in(world.app, A_USERS["therapist"])
    chart = biller.get(f"/patients/{patient_id}").text
    assert "Not verified in ptbill yet." in chart
    assert f'action="/patients/{patient_id}/coverages/{coverage_id}/eligibility"' in chart
    assert '/eligibility"' not in therapist.get(f"/patients/{patient_id}").text  # no button for a therapist
    url = f"/patients/{patient_id}/coverages/{coverage_id}/eligibility"
    refused = therapist.post(url, data={"csrf_token": csrf(therapist, f"/patients/{patient_id}")})
    assert refused.status_code == 403

    sent = biller.post(url, data={"csrf_token": csrf(biller, f"/patients/{patient_id}")}, follow_redirects=False)

    assert sent.status_code == 303
    assert sent.headers["location"] == f"/patients/{patient_id}?outcome=eligibility-sent#h-eligibility"
    assert "Eligibility request (270) sent through the mailbox" in biller.get(sent.headers["location"]).text
    with world.session() as session:
        asked = session.scalars(
            select(EligibilityRequestRow).where(EligibilityRequestRow.patient_id == patient_id)
        ).one()
        out = session.get(MailboxFileRow, asked.mailbox_file_id)
        assert out is not None
        assert out.name.endswith(".270")
        assert out.transaction_type == "270"
        answer = write_271(member_id=NOTE["coverage"]["member_id"], last="ELIGO", first="VERA",
                           trace=asked.trace_number, benefits=ACTIVE_500_20)  # fmt: skip
        eligibility.record_file(session, _actor(session, A_USERS["biller"]), answer, FixedClock(date(2026, 2, 27)))
        session.commit()

    chart = biller.get(f"/patients/{patient_id}").text
    row = chart[chart.index('id="h-eligibility"') :]
    for shown in (
        "Active",
        "2026",
        "$500.00 left",
        "of $1,500.00",
        "$4,200.00 left",
        "20 %",
        "12 left",
        "of 30",
        "Not said",
    ):
        assert shown in row, shown
    note_page = therapist.get(f"/notes/{note_id}").text
    assert "data-eligibility" in note_page
    side = note_page[note_page.index("data-eligibility") :][:300]
    assert re.search(r"Active \(271 received Feb 27, 2026 for \w{3} \d{1,2}, \d{4}\); 12 visit\(s\) left", side), side
