"""Signed notes never change; a correction is an addendum (SQLite and PostgreSQL): its author, the clock's time,
reason and text, audited; a claim records which version of the note, addenda included, it was built from;
two addenda at once get two numbers."""

from __future__ import annotations

import json
from datetime import date
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.services import access, addenda, billing, notes
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.storage.session import transaction
from ptbill.storage.tables import AuditRow, ClaimRow, EncounterRow, NoteAddendumRow
from tests.integration.test_concurrency import Clinic, together
from tests.integration.test_concurrency import clinic as clinic  # noqa: PLC0414 - the module's fixtures
from tests.integration.test_concurrency import factory as factory  # noqa: PLC0414
from tests.integration.test_storage_services import CLEAN, make_clinic

CLOCK = FixedClock(date(2026, 3, 4))


def signed_note(session: Session, name: str, note_id: str = "enc-1001") -> tuple[access.Actor, access.Actor, int]:
    pt, biller, patient = make_clinic(session, name)
    document = json.loads(json.dumps(CLEAN)) | {"id": note_id}
    row, _ = notes.save_encounter(session, pt, document, patient.id)
    notes.sign_encounter(session, pt, row.id)
    return pt, biller, row.id


def test_a_signed_note_cannot_be_edited(session: Session) -> None:
    pt, _, note_id = signed_note(session, "immutable")
    changed = json.loads(json.dumps(CLEAN)) | {"assessment": "rewritten after signing"}
    with pytest.raises(access.ConflictError, match="a signed note cannot be edited"):
        notes.update_encounter(session, pt, note_id, changed)
    row = session.get(EncounterRow, note_id)
    assert row is not None
    assert "assessment" not in row.document
    assert row.version == 1


def test_an_addendum_keeps_its_author_time_and_reason_and_is_audited(session: Session) -> None:
    pt, biller, note_id = signed_note(session, "amend")
    made = addenda.add_addendum(
        session, pt, note_id, " Late entry ", "Patient also reported numbness in the L foot.", clock=CLOCK
    )
    assert (made.sequence, made.encounter_version, made.author_name, made.reason) == (1, 1, "Dana Reyes", "Late entry")
    assert made.created_at.date() == CLOCK.day
    second = addenda.add_addendum(session, pt, note_id, "Correction", "Force was 70 lb, not 65.", clock=CLOCK)
    assert second.sequence == 2
    listed = addenda.addenda_of(session, biller, note_id)  # billers read them
    assert [a.text for a in listed] == ["Patient also reported numbness in the L foot.", "Force was 70 lb, not 65."]
    actions = session.scalars(
        select(AuditRow.action).where(AuditRow.entity == "encounter", AuditRow.entity_id == str(note_id))
    ).all()
    assert actions.count("addendum") == 2
    row = session.get(EncounterRow, note_id)
    assert row is not None
    assert row.version == 1
    assert row.status == "signed"


def test_an_addendum_is_refused_on_a_draft_to_a_biller_with_blank_fields_and_across_clinics(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "refusals")
    draft, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    with pytest.raises(access.ConflictError, match="draft"):
        addenda.add_addendum(session, pt, draft.id, "why", "what", clock=CLOCK)
    notes.sign_encounter(session, pt, draft.id)
    with pytest.raises(access.ForbiddenError):
        addenda.add_addendum(session, biller, draft.id, "why", "what", clock=CLOCK)
    with pytest.raises(FieldProblemsError) as caught:
        addenda.add_addendum(session, pt, draft.id, "  ", "x" * 8001, clock=CLOCK)
    assert caught.value.problems == {"reason": "required", "text": "at most 8000 characters, got 8001"}
    other_pt, _, _ = make_clinic(session, "elsewhere")
    with pytest.raises(access.NotFoundError):
        addenda.add_addendum(session, other_pt, draft.id, "why", "what", clock=CLOCK)
    with pytest.raises(access.NotFoundError):
        addenda.addenda_of(session, other_pt, draft.id)
    assert session.scalars(select(NoteAddendumRow).where(NoteAddendumRow.encounter_id == draft.id)).all() == []


def test_the_claim_records_the_note_version_with_its_addenda(session: Session) -> None:
    pt, biller, plain = signed_note(session, "versions")
    patient_id = session.get(EncounterRow, plain).patient_id  # type: ignore[union-attr]
    second, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)) | {"id": "enc-1002"}, patient_id)
    notes.sign_encounter(session, pt, second.id)
    addenda.add_addendum(session, pt, second.id, "Late entry", "Home program reviewed.", clock=CLOCK)
    first_claim, second_claim = billing.build_claims(session, biller, [plain, second.id], clock=CLOCK)
    assert first_claim.note_version == "1+0"
    assert second_claim.note_version == "1+1"
    assert first_claim.note_hash
    assert second_claim.note_hash
    assert len(second_claim.note_hash) == 64
    # The hash is of the note as billed: read back from the database it is the same.
    session.expire_all()
    row = session.get(EncounterRow, second.id)
    assert row is not None
    assert addenda.note_version(session, row).sha256 == second_claim.note_hash
    stored = session.get(ClaimRow, second_claim.id)
    assert stored is not None
    assert stored.note_version == "1+1"
    # A later addendum (a billed note is corrected the same way) changes the version a new claim would record.
    addenda.add_addendum(session, pt, second.id, "Correction", "Angle was 20 degrees.", clock=CLOCK)
    later = addenda.note_version(session, row)
    assert later.label == "1+2"
    assert later.sha256 != second_claim.note_hash


def add(factory: sessionmaker[Session], actor: access.Actor, note_id: int, text: str) -> object:
    with transaction(factory) as session:
        return addenda.add_addendum(session, actor, note_id, "Late entry", text, clock=CLOCK)


def test_two_addenda_at_once_get_two_numbers(factory: sessionmaker[Session], clinic: Clinic) -> None:
    sqlite = factory.kw["bind"].dialect.name == "sqlite"
    for round_number in range(4):
        with transaction(factory) as session:
            document = json.loads(json.dumps(CLEAN)) | {"id": f"enc-add-{round_number}-{clinic.patient_id}"}
            row, _ = notes.save_encounter(session, clinic.therapist, document, clinic.patient_id)
            notes.sign_encounter(session, clinic.therapist, row.id)
            note_id = row.id
        results = together(
            partial(add, factory, clinic.therapist, note_id, "first"),
            partial(add, factory, clinic.therapist, note_id, "second"),
        )
        made = [r for r in results if isinstance(r, addenda.Addendum)]
        assert sqlite or len(made) == 2, results
        with factory() as session:
            numbers = session.scalars(
                select(NoteAddendumRow.sequence).where(NoteAddendumRow.encounter_id == note_id)
            ).all()
        assert sorted(numbers) == list(range(1, len(made) + 1))
