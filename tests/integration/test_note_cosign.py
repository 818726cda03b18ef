"""A PTA's note co-signed by a supervising PT where the clinic's state or the payer requires it (SQLite and
PostgreSQL): signed, it waits in the queue's blocked tab and billing refuses it; a PT co-signs it once (audited,
who and when stored), and it is ready and billed. Refusals, the PT's "to co-sign" list, clinic isolation, and two
PTs co-signing the same note at once on real parallel connections: exactly one wins."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.services import access, billing, cosign, note_list, payers, queue
from ptbill.services import notes as notes_service
from ptbill.services.clinic import SettingsRefusedError
from ptbill.storage.session import DatabaseBusyError, make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, EncounterRow, UserRow
from tests.integration.conftest import POSTGRES_URL
from tests.integration.test_concurrency import together
from tests.integration.test_storage_services import make_clinic
from tests.migrated import migrate, postgres_database

ROOT = Path(__file__).resolve().parents[2]
PTA_NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-pta-cq.json").read_text())
PT_NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
CLOCK = FixedClock(date(2026, 3, 4))


@dataclass
class Staff:
    pt: access.Actor  # Dana Reyes, the supervising PT the PTA note names
    pta: access.Actor
    other_pt: access.Actor
    ot: access.Actor
    biller: access.Actor
    admin: access.Actor
    patient_id: int


def _user(session: Session, clinic_id: int, name: str, role: str, credential: str | None, npi: str | None) -> Any:
    row = UserRow(
        clinic_id=clinic_id,
        email=f"{uuid.uuid4().hex[:10]}@cosign.example",
        name=name,
        role=role,
        credential=credential,
        npi=npi,
        password_hash="not-used",
    )
    session.add(row)
    session.flush()
    return access.Actor(row.id, clinic_id, role, name)


def staffed_clinic(session: Session, name: str, *, state_rule: date | None = date(2026, 1, 1)) -> Staff:
    pt, biller, patient = make_clinic(session, name)
    staff = Staff(
        pt,
        _user(session, pt.clinic_id, "Sam Ortiz", "pta", "PTA", "1003000126"),
        _user(session, pt.clinic_id, "Lee Park", "therapist", "PT", "1679576722"),
        _user(session, pt.clinic_id, "Olu Ade", "therapist", "OT", "1215930367"),
        biller,
        _user(session, pt.clinic_id, "Ada Admin", "admin", None, None),
        patient.id,
    )
    if state_rule is not None:
        cosign.set_assistant_cosign(session, staff.admin, state_rule)
    return staff


def pta_note(session: Session, staff: Staff, note_id: str = "pta-1001", *, sign: bool = True) -> int:
    document = copy.deepcopy(PTA_NOTE) | {"id": note_id}
    row, _report = notes_service.save_encounter(session, staff.pta, document, staff.patient_id, clock=CLOCK)
    if sign:
        notes_service.sign_encounter(session, staff.pta, row.id, clock=CLOCK)
    return row.id


def latest_rules(session: Session, note_id: int) -> dict[str, str]:
    row = session.get(EncounterRow, note_id)
    assert row is not None
    return {f["rule"]: f["severity"] for f in row.checks[-1].findings}


def tabs_of(session: Session, biller: access.Actor) -> dict[int, str]:
    return {item.id: tab for tab, items in queue.work_queue(session, biller).items() for item, _ in items}


def test_a_pta_note_waits_for_the_pt_then_is_ready_and_billed(session: Session) -> None:
    staff = staffed_clinic(session, "waits")
    draft_id = pta_note(session, staff, sign=False)
    assert latest_rules(session, draft_id).get("NOTE_COSIGN_MISSING") == "info"  # told, not held, while a draft
    notes_service.sign_encounter(session, staff.pta, draft_id, clock=CLOCK)
    row = session.get(EncounterRow, draft_id)
    assert row is not None
    assert (row.status, row.verdict) == ("signed", "blocked")
    waiting = [f for f in row.checks[-1].findings if f["rule"] == "NOTE_COSIGN_MISSING"]
    assert waiting[0]["severity"] == "error"
    assert waiting[0]["message"].startswith("Waiting for co-signature by Dana Reyes")
    assert tabs_of(session, staff.biller)[draft_id] == "blocked"
    with pytest.raises(access.ConflictError, match="blocking findings"):
        billing.build_claims(session, staff.biller, [draft_id], clock=CLOCK)

    done = cosign.cosign_note(session, staff.pt, draft_id, clock=CLOCK)
    assert (done.cosigned_by_name, done.cosigned_version, done.cosigned_by_user_id) == (
        "Dana Reyes",
        1,
        staff.pt.user_id,
    )
    assert done.cosigned_at is not None
    assert done.cosigned_at.date() == CLOCK.day
    assert done.verdict == "ready"
    assert "NOTE_COSIGN_MISSING" not in latest_rules(session, draft_id)
    assert tabs_of(session, staff.biller)[draft_id] == "ready"
    audit = session.scalars(
        select(AuditRow).where(AuditRow.entity == "encounter", AuditRow.entity_id == str(draft_id))
    ).all()
    cosigned = [a for a in audit if a.action == "cosign"]
    assert len(cosigned) == 1
    assert (cosigned[0].user_id, cosigned[0].detail) == (staff.pt.user_id, "version 1, the supervising therapist named")
    (claim,) = billing.build_claims(session, staff.biller, [draft_id], clock=CLOCK)
    assert claim.encounter_id == draft_id


def test_another_pt_may_cosign_in_the_named_ones_place_and_the_audit_says_so(session: Session) -> None:
    staff = staffed_clinic(session, "covering")
    note_id = pta_note(session, staff)
    done = cosign.cosign_note(session, staff.other_pt, note_id, clock=CLOCK)
    assert done.cosigned_by_name == "Lee Park"
    detail = session.scalar(
        select(AuditRow.detail).where(AuditRow.action == "cosign", AuditRow.entity_id == str(note_id))
    )
    assert detail == "version 1, in the named one's place"


def test_cosigning_is_refused_to_the_wrong_people_and_for_the_wrong_notes(session: Session) -> None:
    staff = staffed_clinic(session, "refused")
    note_id = pta_note(session, staff)
    for who in (staff.biller, staff.pta, staff.admin):
        with pytest.raises(access.ForbiddenError):
            cosign.cosign_note(session, who, note_id, clock=CLOCK)
    with pytest.raises(access.ForbiddenError, match="co-signed by a PT"):
        cosign.cosign_note(session, staff.ot, note_id, clock=CLOCK)  # an OT does not co-sign a PTA's note
    draft = pta_note(session, staff, "pta-draft", sign=False)
    with pytest.raises(access.ConflictError, match="sign it first"):
        cosign.cosign_note(session, staff.pt, draft, clock=CLOCK)
    own, _ = notes_service.save_encounter(session, staff.pt, copy.deepcopy(PT_NOTE), staff.patient_id, clock=CLOCK)
    notes_service.sign_encounter(session, staff.pt, own.id, clock=CLOCK)
    with pytest.raises(access.ConflictError, match="only an assistant's is co-signed"):
        cosign.cosign_note(session, staff.other_pt, own.id, clock=CLOCK)
    cosign.cosign_note(session, staff.pt, note_id, clock=CLOCK)
    with pytest.raises(access.ConflictError, match="co-signed by Dana Reyes"):
        cosign.cosign_note(session, staff.other_pt, note_id, clock=CLOCK)
    elsewhere = staffed_clinic(session, "elsewhere")
    with pytest.raises(access.NotFoundError):
        cosign.cosign_note(session, elsewhere.pt, note_id, clock=CLOCK)
    assert session.scalars(select(AuditRow.detail).where(AuditRow.action == "cosign")).all() == [
        "version 1, the supervising therapist named"
    ]


def test_the_payers_parameter_holds_the_note_without_the_clinics_rule(session: Session) -> None:
    staff = staffed_clinic(session, "payer-rule", state_rule=None)
    free = pta_note(session, staff, "pta-free")
    assert session.get(EncounterRow, free).verdict == "ready"  # type: ignore[union-attr]
    payers.set_payer_parameter(
        session,
        staff.biller,
        "ca-medicare-south",
        "notes.assistant_cosign_required",
        True,
        date(2026, 1, 1),
        "the state Medicaid-style contract, for this test",
    )
    held = pta_note(session, staff, "pta-held")
    assert latest_rules(session, held)["NOTE_COSIGN_MISSING"] == "error"
    assert latest_rules(session, free) == {}  # already signed and ready: its stored check stands


def test_the_clinics_rule_starts_on_its_date_of_service(session: Session) -> None:
    staff = staffed_clinic(session, "from-date", state_rule=date(2026, 3, 3))
    before = pta_note(session, staff)  # the PTA note is dated 2026-03-02
    assert "NOTE_COSIGN_MISSING" not in latest_rules(session, before)
    cosign.set_assistant_cosign(session, staff.admin, date(2026, 3, 2))
    after = pta_note(session, staff, "pta-1002")
    assert latest_rules(session, after)["NOTE_COSIGN_MISSING"] == "error"
    with pytest.raises(SettingsRefusedError):
        cosign.set_assistant_cosign(session, staff.admin, date(1999, 12, 31))
    with pytest.raises(access.ForbiddenError):
        cosign.set_assistant_cosign(session, staff.pt, None)
    changes = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "clinic", AuditRow.clinic_id == staff.pt.clinic_id)
    ).all()
    assert changes.count("changed: assistant_cosign_from") == 2


def test_the_pts_notes_list_shows_what_waits_for_their_cosignature(session: Session) -> None:
    staff = staffed_clinic(session, "list")
    note_id = pta_note(session, staff)
    waiting = note_list.notes_list(session, staff.pt, mine=True).to_cosign
    assert [item.id for item in waiting] == [note_id]
    assert waiting[0].waiting is not None
    assert waiting[0].waiting.startswith("Waiting for co-signature by Dana Reyes")
    assert note_list.notes_list(session, staff.pta, mine=True).to_cosign == ()  # the PTA does not co-sign
    assert note_list.notes_list(session, staffed_clinic(session, "other").pt, mine=True).to_cosign == ()
    cosign.cosign_note(session, staff.pt, note_id, clock=CLOCK)
    assert note_list.notes_list(session, staff.pt, mine=True).to_cosign == ()


# two PTs at once, on committed data ------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cosign') / 'ptbill.sqlite3'}"
        migrate(url)
        engine: Engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()
        return
    with postgres_database(POSTGRES_URL, "ptbill_cosign") as url:
        engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()


def _cosign(factory: sessionmaker[Session], actor: access.Actor, note_id: int) -> str:
    with transaction(factory) as session:
        return cosign.cosign_note(session, actor, note_id, clock=CLOCK).cosigned_by_name or ""


def test_two_pts_cosigning_the_same_note_at_once_make_one_cosignature(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        staff = staffed_clinic(session, f"race{uuid.uuid4().hex[:6]}")
    for round_number in range(6):
        with transaction(factory) as session:
            note_id = pta_note(session, staff, f"race-{round_number}")
        results = together(
            partial(_cosign, factory, staff.pt, note_id), partial(_cosign, factory, staff.other_pt, note_id)
        )
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if not isinstance(r, str)]
        assert len(won) == 1, f"round {round_number}: {results!r}"
        assert all(isinstance(r, access.ConflictError | DatabaseBusyError) for r in lost), repr(lost)
        if factory.kw["bind"].dialect.name == "postgresql":
            assert all(isinstance(r, access.ConflictError) for r in lost), repr(lost)  # the compare-and-set
        with factory() as session:
            row = session.get(EncounterRow, note_id)
            assert row is not None
            assert (row.cosigned_by_name, row.verdict) == (won[0], "ready")
            count = session.scalars(
                select(AuditRow.id).where(AuditRow.action == "cosign", AuditRow.entity_id == str(note_id))
            ).all()
            assert len(count) == 1
