"""Autosaved note drafts (SQLite and PostgreSQL): one row per clinic, user and note, written by one atomic upsert
(two first saves at once make one row); each clinician sees only their own and each clinic only its own; a
signed note takes none; creation, restore, discard and the save that consumes a draft are audited, an autosave's
update at most once every ten minutes, and the audit log never holds what was typed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ptbill.services import access, note_drafts, notes
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.storage.session import transaction
from ptbill.storage.tables import AuditRow, NoteDraftRow, UserRow
from tests.integration.test_concurrency import Clinic, together
from tests.integration.test_concurrency import clinic as clinic  # noqa: PLC0414 - the module's fixtures
from tests.integration.test_concurrency import factory as factory  # noqa: PLC0414
from tests.integration.test_storage_services import CLEAN, make_clinic

DAY = date(2026, 11, 24)
TYPED = {
    "csrf_token": "not kept",
    "action": "save",
    "date_of_service": "2026-11-24",
    "services[0].patient_response": "Leg pain 6/10 before, 3/10 after.",
    "services[0].traction.force_lbs": "6²",  # unreadable: kept as typed all the same
}


def _audit(session: Session, draft_id: int) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(AuditRow.action, AuditRow.detail)
        .where(AuditRow.entity == "note_draft", AuditRow.entity_id == str(draft_id))
        .order_by(AuditRow.id)
    ).all()
    return [(row.action, row.detail) for row in rows]


def _second_therapist(session: Session, pt: access.Actor) -> access.Actor:
    other = UserRow(
        clinic_id=pt.clinic_id,
        email=f"pt2-{pt.clinic_id}@example.invalid",
        name="Sam Ortiz",
        role="therapist",
        credential="PT",
        password_hash=access.hash_password("pw-123456"),
    )
    session.add(other)
    session.flush()
    return access.Actor(other.id, pt.clinic_id, "therapist", other.name)


def test_a_draft_is_one_row_per_note_replaced_whole_by_each_save(session: Session) -> None:
    pt, _, patient = make_clinic(session, "drafts-upsert")
    key = note_drafts.key_for_new(patient.id, DAY)
    first = note_drafts.save_draft(session, pt, key, TYPED)
    assert first.form == {k: v for k, v in TYPED.items() if k not in ("csrf_token", "action")} | {"draft_key": key}
    assert first.form["services[0].traction.force_lbs"] == "6²"
    assert (first.saves, first.patient_id, first.encounter_id) == (1, patient.id, None)

    second = note_drafts.save_draft(session, pt, key, {"date_of_service": "2026-11-24", "assessment": "Better."})
    assert second.id == first.id
    assert second.saves == 2
    assert second.form == {"date_of_service": "2026-11-24", "assessment": "Better.", "draft_key": key}  # whole
    assert session.scalar(select(func.count()).select_from(NoteDraftRow).where(NoteDraftRow.id == first.id)) == 1
    found = note_drafts.draft_for(session, pt, key)
    assert found is not None
    assert found.form["assessment"] == "Better."


def test_creation_is_audited_and_autosave_updates_at_most_every_ten_minutes(session: Session) -> None:
    pt, _, patient = make_clinic(session, "drafts-audit")
    key = note_drafts.key_for_new(patient.id, DAY)
    draft = note_drafts.save_draft(session, pt, key, TYPED)
    for _ in range(5):
        note_drafts.save_draft(session, pt, key, TYPED)
    assert _audit(session, draft.id) == [("create", f"new note for patient {patient.id}, 4 fields")]

    # Ten minutes after the last audited write, the next write is recorded once, with the writes so far.
    long_ago = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    session.execute(update(NoteDraftRow).where(NoteDraftRow.id == draft.id).values(audited_at=long_ago))
    note_drafts.save_draft(session, pt, key, TYPED)
    note_drafts.save_draft(session, pt, key, TYPED)
    assert [a for a, _ in _audit(session, draft.id)] == ["create", "update"]
    assert _audit(session, draft.id)[1][1] == f"new note for patient {patient.id}, 4 fields, write 7"

    latest = note_drafts.draft_for(session, pt, key)
    assert latest is not None
    note_drafts.record_use(session, pt, latest, "restore")
    assert note_drafts.discard_draft(session, pt, key)
    assert not note_drafts.discard_draft(session, pt, key)  # nothing left to discard: no second row
    assert [a for a, _ in _audit(session, draft.id)] == ["create", "update", "restore", "discard"]
    details = " ".join(d or "" for _, d in _audit(session, draft.id))
    assert "Leg pain" not in details
    assert "6²" not in details
    assert note_drafts.draft_for(session, pt, key) is None


def test_each_clinician_sees_only_their_own_drafts_and_each_clinic_only_its_own(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "drafts-mine")
    colleague = _second_therapist(session, pt)
    key = note_drafts.key_for_new(patient.id, DAY)
    note_drafts.save_draft(session, pt, key, TYPED)
    note_drafts.save_draft(session, colleague, key, {"date_of_service": "2026-11-24", "assessment": "Hers."})
    mine = note_drafts.draft_for(session, pt, key)
    theirs = note_drafts.draft_for(session, colleague, key)
    assert mine is not None
    assert theirs is not None
    assert mine.id != theirs.id
    assert "assessment" not in mine.form
    assert [d.draft_key for d in note_drafts.drafts_of(session, pt)] == [key]
    listed = note_drafts.drafts_of(session, colleague)
    assert [(d.patient_name, d.date_of_service, d.note_status) for d in listed] == [
        (f"{patient.last_name}, {patient.first_name}", "2026-11-24", None)
    ]

    with pytest.raises(access.ForbiddenError):
        note_drafts.save_draft(session, biller, key, TYPED)  # billers read notes; they do not write them
    elsewhere, _, _ = make_clinic(session, "drafts-elsewhere")
    with pytest.raises(access.NotFoundError):
        note_drafts.save_draft(session, elsewhere, key, TYPED)  # another clinic's patient is not found
    assert note_drafts.drafts_of(session, elsewhere) == []
    assert note_drafts.draft_for(session, elsewhere, key) is None
    assert not note_drafts.discard_draft(session, elsewhere, key)
    assert note_drafts.draft_for(session, pt, key) is not None
    with pytest.raises(FieldProblemsError, match="draft_key"):
        note_drafts.save_draft(session, pt, "note-1; drop table", TYPED)


def test_a_signed_note_takes_no_draft_and_a_save_consumes_one(session: Session) -> None:
    pt, _, patient = make_clinic(session, "drafts-signed")
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    key = note_drafts.key_for_note(row.id)
    draft = note_drafts.save_draft(session, pt, key, TYPED)
    assert (draft.encounter_id, draft.patient_id) == (row.id, patient.id)
    assert note_drafts.consume_draft(session, pt, key, row.id, 2)
    assert note_drafts.draft_for(session, pt, key) is None
    assert _audit(session, draft.id)[-1] == ("consume", f"note {row.id}: saved as note {row.id} v2")

    notes.sign_encounter(session, pt, row.id)
    with pytest.raises(access.ConflictError, match="addendum"):
        note_drafts.save_draft(session, pt, key, TYPED)
    assert note_drafts.draft_for(session, pt, key) is None


def _save(factory: sessionmaker[Session], actor: access.Actor, key: str, text: str) -> int:
    with transaction(factory) as session:
        return note_drafts.save_draft(session, actor, key, {"assessment": text}).id


def test_two_first_saves_at_once_make_one_draft(factory: sessionmaker[Session], clinic: Clinic) -> None:
    """The upsert is atomic: two autosaves racing to create the draft never fail on the unique key."""
    for round_ in range(3):
        key = note_drafts.key_for_new(clinic.patient_id, DAY + timedelta(days=round_))
        results = together(*(partial(_save, factory, clinic.therapist, key, f"typing {i}") for i in range(4)))
        assert all(isinstance(result, int) for result in results), results
        assert len(set(results)) == 1
        with factory() as session:
            row = session.scalars(select(NoteDraftRow).where(NoteDraftRow.draft_key == key)).one()
            assert row.saves == 4
            assert row.form["assessment"] in {f"typing {i}" for i in range(4)}
            creates = session.scalars(
                select(AuditRow.action).where(AuditRow.entity == "note_draft", AuditRow.entity_id == str(row.id))
            ).all()
            assert creates == ["create"]
