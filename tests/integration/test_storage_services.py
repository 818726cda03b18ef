"""The app's use cases on a real database (SQLite and PostgreSQL): notes are checked on every save,
signing, the biller's queue, claims and batches, payer edits, tenant isolation and the audit log."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.errors import EncounterFormatError
from ptbill.services import access, patients, payers
from ptbill.services import batches as batches_service
from ptbill.services import billing as billing_service
from ptbill.services import notes as notes_service
from ptbill.services import queue as queue_service
from ptbill.storage.tables import AuditRow, ClinicRow, EncounterCheckRow, EncounterRow, PatientRow, UserRow
from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[2]
CLEAN: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())


def make_clinic(session: Session, name: str) -> tuple[access.Actor, access.Actor, PatientRow]:
    clinic = ClinicRow(
        name=name, npi="1245319599", tax_id="954512345", address_line1="1 Main", city="Goleta", state="CA", zip="93117"
    )
    session.add(clinic)
    session.flush()
    therapist = UserRow(
        clinic_id=clinic.id,
        email=f"pt@{name}.example",
        name="Dana Reyes",
        role="therapist",
        credential="PT",
        npi="1093817462",
        password_hash=access.hash_password("pw-123456"),
    )
    biller = UserRow(
        clinic_id=clinic.id,
        email=f"billing@{name}.example",
        name="Bo Biller",
        role="biller",
        password_hash=access.hash_password("pw-123456"),
    )
    session.add_all([therapist, biller])
    session.flush()
    pt = access.Actor(therapist.id, clinic.id, "therapist", therapist.name)
    billing = access.Actor(biller.id, clinic.id, "biller", biller.name)
    patient = patients.create_patient(
        session,
        pt,
        {
            "chart_number": "C-1",
            "first_name": "Ava",
            "last_name": "Testwell",
            "birth_date": date(1961, 4, 2),
            "sex": "F",
        },
    )
    return pt, billing, patient


def test_a_note_is_checked_on_every_save_and_keeps_its_findings(session: Session) -> None:
    pt, _, patient = make_clinic(session, "a")
    document = json.loads(json.dumps(CLEAN))
    document["services"][0]["traction"]["force_lbs"] = None
    row, report = notes_service.save_encounter(session, pt, document, patient.id)
    assert report.verdict.value == "blocked"
    assert row.checks[-1].findings[0]["rule"] == "TRACTION_FORCE_MISSING"
    assert row.checks[-1].ruleset_version
    document["services"][0]["traction"]["force_lbs"] = 65
    row, report = notes_service.save_encounter(session, pt, document, patient.id, row.id)
    assert (row.version, row.verdict, len(row.checks)) == (2, "ready", 2)
    assert notes_service.sign_encounter(session, pt, row.id).status == "signed"


def test_a_note_saved_many_times_reads_one_earlier_check_a_save_and_keeps_its_whole_history(session: Session) -> None:
    """The note page and the API's note show the latest check: a draft saved again and again (an EMR re-saving it
    through the API) must not read every earlier check on each save."""
    pt, _, patient = make_clinic(session, "a")
    document = json.loads(json.dumps(CLEAN))
    row, _ = notes_service.save_encounter(session, pt, document, patient.id)
    for force in range(40, 70):
        document["services"][0]["traction"]["force_lbs"] = force
        row, _ = notes_service.update_encounter(session, pt, row.id, document)
    session.expunge_all()  # a new request: nothing of the note loaded yet

    loaded: list[int] = []

    def count(target: EncounterCheckRow, _context: object) -> None:
        loaded.append(target.encounter_version)

    event.listen(EncounterCheckRow, "load", count)
    try:
        page = notes_service.get_encounter(session, pt, row.id, every_check=False)
        document["services"][0]["traction"]["force_lbs"] = 75
        saved, report = notes_service.save_encounter(session, pt, document, patient.id, row.id, every_check=False)
    finally:
        event.remove(EncounterCheckRow, "load", count)

    assert loaded == [31]  # one earlier check read from the database (the latest, for the page), not 31
    assert [c.encounter_version for c in page.checks] == [31]
    assert [c.encounter_version for c in saved.checks] == [32]
    assert saved.checks[0].verdict == report.verdict.value == saved.verdict
    history = notes_service.get_encounter(session, pt, row.id)
    assert [c.encounter_version for c in history.checks] == list(range(1, 33))  # nothing lost, oldest first


def test_a_malformed_note_is_refused_naming_the_field(session: Session) -> None:
    pt, _, patient = make_clinic(session, "b")
    document = json.loads(json.dumps(CLEAN))
    document["date_of_service"] = "2026-02-30"
    with pytest.raises(EncounterFormatError) as refused:
        notes_service.save_encounter(session, pt, document, patient.id)
    assert refused.value.problems == ['date_of_service: not a date: "2026-02-30"']


def test_a_blocked_note_cannot_be_signed(session: Session) -> None:
    pt, _, patient = make_clinic(session, "c")
    document = json.loads(json.dumps(CLEAN))
    document["services"][0]["clinical_justification"] = None
    row, _ = notes_service.save_encounter(session, pt, document, patient.id)
    with pytest.raises(access.ConflictError, match="blocking"):
        notes_service.sign_encounter(session, pt, row.id)


def test_the_biller_builds_a_claim_and_a_batch_pyx12_accepts(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "d")
    row, _ = notes_service.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    notes_service.sign_encounter(session, pt, row.id)
    queue = queue_service.work_queue(session, biller)
    assert [r.id for r, _ in queue["ready"]] == [row.id]
    claims = billing_service.build_claims(session, biller, [row.id])
    assert [line.code for line in claims[0].lines] == ["97012", "97110", "97140"]
    batch = batches_service.create_batch(
        session, biller, [claims[0].id], TradingConfig(TEST_TRADING, {}), confirm_late=True
    )
    assert pyx12_errors(batch.content) == []
    assert batches_service.mark_batch_submitted(session, biller, batch.id, confirm_late=True).submitted_at is not None
    with pytest.raises(access.ConflictError):
        billing_service.build_claims(session, biller, [row.id])  # already billed


def test_a_clinic_never_sees_another_clinics_data(session: Session) -> None:
    pt_a, _, patient_a = make_clinic(session, "e")
    pt_b, biller_b, _ = make_clinic(session, "f")
    row, _ = notes_service.save_encounter(session, pt_a, json.loads(json.dumps(CLEAN)), patient_a.id)
    with pytest.raises(access.NotFoundError):
        notes_service.get_encounter(session, pt_b, row.id)
    with pytest.raises(access.NotFoundError):
        patients.get_patient(session, biller_b, patient_a.id)
    assert notes_service.list_encounters(session, pt_b) == []


def test_a_clinic_edit_of_a_payer_rule_applies_from_its_date(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "g")
    payers.set_payer_parameter(
        session,
        biller,
        "ca-medicare-south",
        "traction.minimum_minutes",
        20,
        date(2026, 3, 1),
        "MAC bulletin 2026-02 (test)",
    )
    _, report = notes_service.save_encounter(
        session, pt, json.loads(json.dumps(CLEAN)), patient.id
    )  # 18 min on 2026-03-02
    assert "TRACTION_BELOW_MIN_DURATION" in {f.rule for f in report.findings}
    shown = {p["name"]: p for p in payers.payer_parameters(session, biller, "ca-medicare-south", date(2026, 3, 2))}
    assert shown["traction.minimum_minutes"]["value"] == 20
    assert shown["traction.minimum_minutes"]["source"] == "MAC bulletin 2026-02 (test)"


def test_reads_and_changes_of_patient_data_are_audited_and_the_log_is_append_only(session: Session) -> None:
    pt, _, patient = make_clinic(session, "h")
    row, _ = notes_service.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    notes_service.get_encounter(session, pt, row.id)
    actions = [
        a
        for (a,) in session.execute(
            select(AuditRow.action).where(AuditRow.entity == "encounter", AuditRow.entity_id == str(row.id))
        )
    ]
    assert actions == ["create", "read"]
    session.flush()
    with pytest.raises(DatabaseError), session.begin_nested():
        session.execute(text("UPDATE audit_log SET action = 'nothing'"))
    with pytest.raises(DatabaseError), session.begin_nested():
        session.execute(text("DELETE FROM audit_log"))
    assert session.scalar(select(func.count()).select_from(AuditRow)) >= 2


def test_truncate_cannot_empty_the_audit_log_on_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger covers emptying the table")
    pt, _, patient = make_clinic(session, "t")
    patients.get_patient(session, pt, patient.id)
    session.flush()
    before = session.scalar(select(func.count()).select_from(AuditRow))
    assert before >= 2
    with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
        session.execute(text("TRUNCATE audit_log"))
    with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
        session.execute(text("TRUNCATE clinics, audit_log CASCADE"))
    assert session.scalar(select(func.count()).select_from(AuditRow)) == before


def test_no_patient_name_reaches_the_audit_log(session: Session) -> None:
    pt, _, patient = make_clinic(session, "i")
    notes_service.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    details = " ".join(d or "" for (d,) in session.execute(select(AuditRow.detail)))
    assert "Testwell" not in details
    assert "Lopez" not in details
    assert session.scalar(select(func.count()).select_from(EncounterRow)) >= 1
