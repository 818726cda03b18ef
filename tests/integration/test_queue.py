"""The biller's queue on SQLite and PostgreSQL: only signed notes, each filter narrows and the tab counts
follow it, pages are stable, "all matching" bills exactly the notes the filters match, bad filters are named."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ptbill.services import access, note_list, notes, queue
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.queue_filters import Paging, QueueFilter, read_filters, read_paging
from ptbill.storage.tables import EncounterCheckRow, EncounterRow, PatientRow, UserRow
from tests.integration.test_storage_services import CLEAN, make_clinic

D = Decimal
DAY = date(2026, 3, 2)


def finding(rule: str, severity: str = "warning") -> dict[str, Any]:
    return {"rule": rule, "severity": severity, "service": None, "message": rule, "fix": "", "reference": ""}


def crafted(
    session: Session,
    biller: access.Actor,
    patient: PatientRow,
    number: int,
    *,
    therapist: int | None,
    payer: str = "ca-medicare-south",
    day: date = DAY,
    verdict: str = "ready",
    status: str = "signed",
    amounts: tuple[float, ...] = (20.0,),
    findings: tuple[dict[str, Any], ...] = (),
    earlier_findings: tuple[dict[str, Any], ...] | None = None,
) -> int:
    """A stored note with the check the queue reads, written directly: the filters are tested, not the engine."""
    row = EncounterRow(
        clinic_id=biller.clinic_id,
        patient_id=patient.id,
        external_id=f"q-{number}",
        date_of_service=day,
        payer_id=payer,
        status=status,
        document=CLEAN,
        version=1,
        verdict=verdict,
        therapist_user_id=therapist,
    )
    session.add(row)
    session.flush()
    lines = [{"code": "97012", "units": 1, "expected_payment": amount} for amount in amounts]
    if earlier_findings is not None:  # an older check: the queue must read the latest one only
        session.add(
            EncounterCheckRow(
                encounter_id=row.id,
                encounter_version=1,
                ruleset_version="t",
                verdict="needs_attention",
                findings=list(earlier_findings),
                claim_lines=lines,
            )
        )
        session.flush()
    session.add(
        EncounterCheckRow(
            encounter_id=row.id,
            encounter_version=1,
            ruleset_version="t",
            verdict=verdict,
            findings=list(findings),
            claim_lines=lines,
        )
    )
    session.flush()
    return row.id


def ids(page: queue.QueuePage) -> list[int]:
    return [item.id for item in page.items]


def test_filters_narrow_the_queue_and_the_counts_follow(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "qf")
    other = UserRow(
        clinic_id=biller.clinic_id, email="pt2@qf.example", name="Kim Other", role="therapist", password_hash="x"
    )
    session.add(other)
    session.flush()
    made = {
        "plain": crafted(session, biller, patient, 1, therapist=pt.user_id, amounts=(10.0, 15.5)),
        "aetna": crafted(session, biller, patient, 2, therapist=pt.user_id, payer="aetna", amounts=(80.0,)),
        "other": crafted(session, biller, patient, 3, therapist=other.id, day=DAY - timedelta(days=10)),
        "warned": crafted(
            session,
            biller,
            patient,
            4,
            therapist=pt.user_id,
            verdict="needs_attention",
            findings=(finding("UNITS_MISMATCH"),),
            amounts=(33.33, 33.33, 33.34),
        ),
        "was_warned": crafted(
            session, biller, patient, 5, therapist=pt.user_id, earlier_findings=(finding("UNITS_MISMATCH"),)
        ),
        "blocked": crafted(
            session,
            biller,
            patient,
            6,
            therapist=pt.user_id,
            verdict="blocked",
            findings=(finding("CODE_UNKNOWN", "error"),),
        ),
        "draft": crafted(
            session,
            biller,
            patient,
            7,
            therapist=pt.user_id,
            status="draft",
            verdict="blocked",
            findings=(finding("CODE_UNKNOWN", "error"),),
        ),
        "billed": crafted(session, biller, patient, 8, therapist=pt.user_id, status="billed"),
    }
    everything = queue.queue_page(session, biller, QueueFilter())
    assert everything.counts == {"ready": 4, "needs_attention": 1, "blocked": 1}
    assert everything.totals["ready"] == D("145.50")
    blocked = queue.queue_page(session, biller, QueueFilter(), "blocked")
    assert ids(blocked) == [made["blocked"]]  # drafts are the therapist's, never the biller's
    assert made["draft"] not in {i.id for tab in queue.work_queue(session, biller).values() for i, _ in tab}

    cases: list[tuple[QueueFilter, str, set[int]]] = [
        (QueueFilter(payer="aetna"), "ready", {made["aetna"]}),
        (QueueFilter(therapist=other.id), "ready", {made["other"]}),
        (QueueFilter(date_to=DAY - timedelta(days=1)), "ready", {made["other"]}),
        (QueueFilter(date_from=DAY, date_to=DAY), "ready", {made["plain"], made["aetna"], made["was_warned"]}),
        (QueueFilter(rule="UNITS_MISMATCH"), "needs_attention", {made["warned"]}),
        (QueueFilter(rule="CODE_UNKNOWN"), "blocked", {made["blocked"]}),
        (QueueFilter(min_amount=D("50")), "ready", {made["aetna"]}),
        (QueueFilter(max_amount=D("25.50")), "ready", {made["plain"], made["other"], made["was_warned"]}),
        (QueueFilter(min_amount=D("100"), max_amount=D("100")), "needs_attention", {made["warned"]}),
    ]
    for filters, tab, expected in cases:
        page = queue.queue_page(session, biller, filters, tab)
        assert set(ids(page)) == expected, filters
        assert page.counts[tab] == len(expected) == page.total, filters
        counted = {
            t: len(queue.matching_ids(session, biller, filters, t)) for t in ("ready", "needs_attention", "blocked")
        }
        assert page.counts == counted, filters
    # The rule filter reads the latest check only: the note whose warning is gone is not listed.
    assert made["was_warned"] not in queue.matching_ids(session, biller, QueueFilter(rule="UNITS_MISMATCH"), "ready")


def test_pages_are_stable_and_the_last_page_holds_the_rest(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "qp")
    made = [
        crafted(session, biller, patient, n, therapist=pt.user_id, day=DAY - timedelta(days=n % 7)) for n in range(60)
    ]
    first = queue.queue_page(session, biller, QueueFilter(), "ready", Paging(1, 25))
    second = queue.queue_page(session, biller, QueueFilter(), "ready", Paging(2, 25))
    last = queue.queue_page(session, biller, QueueFilter(), "ready", Paging(3, 25))
    assert (first.total, first.pages, len(first.items), len(second.items), len(last.items)) == (60, 3, 25, 25, 10)
    assert not set(ids(first)) & set(ids(second))
    assert sorted(ids(first) + ids(second) + ids(last)) == sorted(made)
    keys = [(i.date_of_service, i.id) for i in first.items + second.items + last.items]
    assert keys == sorted(keys, reverse=True)  # newest visit first, ties by id: the same order every time
    past = queue.queue_page(session, biller, QueueFilter(), "ready", Paging(9, 25))
    assert past.paging.page == 3
    assert ids(past) == ids(last)


def signed_note(session: Session, pt: access.Actor, patient: PatientRow, number: int, day: date) -> int:
    document = copy.deepcopy(CLEAN)
    document["id"] = f"sel-{number}"
    document["date_of_service"] = day.isoformat()
    row, _ = notes.save_encounter(session, pt, document, patient.id)
    notes.sign_encounter(session, pt, row.id)
    return row.id


def test_all_matching_bills_exactly_the_matching_notes_and_skips_what_changed(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "qs")
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2), DAY + timedelta(days=3)]
    made = [signed_note(session, pt, patient, n, day) for n, day in enumerate(days)]
    draft, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)) | {"id": "sel-draft"}, patient.id)
    tab = next(
        t for t in ("ready", "needs_attention") if made[0] in queue.matching_ids(session, biller, QueueFilter(), t)
    )
    window = QueueFilter(date_from=days[1], date_to=days[2])
    assert sorted(queue.matching_ids(session, biller, window, tab)) == sorted(made[1:3])
    result = queue.build_matching(session, biller, window, tab, seen=2)
    assert sorted(c.encounter_id for c in result.built) == sorted(made[1:3])
    assert (result.matched, result.seen, result.skipped) == (2, 2, ())
    # A second press finds nothing left to bill; a stale selection naming a billed note skips it and says why.
    assert queue.build_matching(session, biller, window, tab, seen=2).matched == 0
    stale = queue.build_selected(session, biller, [made[1], made[0]])
    assert [c.encounter_id for c in stale.built] == [made[0]]
    assert [s.encounter_id for s in stale.skipped] == [made[1]]
    assert "billed" in stale.skipped[0].reason
    # The therapist's list has the draft with its blocking count; the biller's queue never does.
    listed = note_list.notes_list(session, pt, mine=True)
    assert [d.id for d in listed.drafts] == [draft.id]
    assert all(draft.id not in queue.matching_ids(session, biller, QueueFilter(), t) for t in queue.TABS)
    with pytest.raises(access.ConflictError):
        queue.build_matching(session, biller, QueueFilter(), "blocked")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"min": "٣٠"}, "min"),  # Arabic-Indic digits
        ({"max": "1e3"}, "max"),
        ({"min": "50", "max": "10"}, "max"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"therapist": "²"}, "therapist"),
        ({"therapist": "0"}, "therapist"),
        ({"rule": "NO_SUCH_RULE"}, "rule"),
        ({"payer": "aetna; drop table"}, "payer"),
    ],
)
def test_hostile_filters_are_named_not_crashed(values: dict[str, str], field: str) -> None:
    with pytest.raises(FieldProblemsError) as caught:
        read_filters(values)
    assert field in caught.value.problems


@pytest.mark.parametrize(
    ("page", "per_page", "field"), [("٢", None, "page"), ("0", None, "page"), (None, "30", "per_page")]
)
def test_hostile_paging_is_named(page: str | None, per_page: str | None, field: str) -> None:
    with pytest.raises(FieldProblemsError) as caught:
        read_paging(page, per_page)
    assert field in caught.value.problems
