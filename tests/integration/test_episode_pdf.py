"""The episode of care as one PDF (SQLite and PostgreSQL): evaluation → daily notes → progress report →
discharge in date order, each note from a new page, none of the episodes before or after; the cover lists them
with the pages they take; the latest episode by default, drafts only when asked (marked DRAFT); the export is
audited; another clinic's patient is not found. And the appeal packet encloses the note, the plan of care and
the latest progress report, printed the same way."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services import access, appeals, billing, episode_pdf, episodes
from ptbill.storage.tables import AuditRow, ClaimRow
from tests.integration.note_documents_world import CLOCK, FIRST, LAST, EpisodeWorld, episode_world, flat, pages_of
from tests.integration.test_back_office import deny_claim
from tests.integration.test_storage_services import make_clinic

DATES = ["02/20/2026", "02/23/2026", "02/25/2026", "02/27/2026", "03/02/2026", "03/04/2026", "03/06/2026"]
TYPES = ["Initial evaluation", *["Daily treatment note"] * 4, "Progress report", "Discharge summary"]


def starts(pages: list[str], world: EpisodeWorld, ids: list[int]) -> list[int]:
    """The page (1-based) each note's identity block is on: where it starts."""
    found = []
    for note_id in ids:
        marker = f"{world.external[note_id]} · version"
        found.append(next(number for number, page in enumerate(pages, start=1) if marker in page))
    return found


def test_the_episode_holds_its_notes_in_order_from_new_pages_and_no_other_episode(session: Session) -> None:
    world = episode_world(session, "episode")
    pdf = episode_pdf.episode_pdf(session, world.biller, world.patient_id, world.episode[0], clock=CLOCK)
    pages = pages_of(pdf)
    cover = pages[0]
    assert "Episode of care" in cover
    assert "From the initial evaluation of 02/20/2026 to the discharge summary of 03/06/2026" in cover
    assert "7 printed" in cover
    listed = re.findall(r"(\d) (\d\d/\d\d/\d{4}) (Initial evaluation|Daily treatment note|Progress report|"
                        r"Discharge summary) Dana Reyes, PT (signed) (—|\d) (\d+(?:–\d+)?)", cover)  # fmt: skip
    assert [(row[1], row[2]) for row in listed] == list(zip(DATES, TYPES, strict=True))
    assert [row[4] for row in listed] == ["—", "—", "1", "—", "—", "—", "—"]  # the second daily note's addendum

    begun = starts(pages, world, world.episode)
    assert begun == sorted(begun)
    assert len(set(begun)) == 7
    for page, kind, day in zip(begun, TYPES, DATES, strict=True):
        assert f"Date of service {day}" in pages[page - 1]  # the note's header opens its page
        assert pages[page - 1].startswith(f"{FIRST} {LAST} · DOB 07/14/1958 · Chart VN-1 {kind} · {day}")
        listed_pages = next(row[5] for row in listed if row[1] == day)
        assert listed_pages.split("–")[0] == str(page)  # the cover says where it starts
    assert listed[-1][5].split("–")[-1] == str(len(pages))
    text = flat(pdf)
    for elsewhere in ("enc-before", "enc-eval-2", "enc-after-draft"):
        assert elsewhere not in text
    assert "Reason Late entry" in text
    assert "DRAFT" not in text


def test_the_latest_episode_is_the_default_and_drafts_print_only_when_asked(session: Session) -> None:
    world = episode_world(session, "latest")
    signed_only = " ".join(pages_of(episode_pdf.episode_pdf(session, world.biller, world.patient_id, clock=CLOCK)))
    assert "enc-eval-2 · version" in signed_only
    assert "to the latest note, 06/03/2026: not discharged" in signed_only  # a draft, not printed
    assert "1 printed; 1 draft not printed (not signed)" in signed_only
    assert "enc-after-draft" not in signed_only
    assert "enc-eval ·" not in signed_only

    pages = pages_of(episode_pdf.episode_pdf(session, world.biller, world.patient_id, include_drafts=True, clock=CLOCK))
    assert "06/03/2026 Daily treatment note Dana Reyes, PT DRAFT, not signed" in pages[0]
    draft_pages = [page for page in pages if "enc-after-draft · version" in page]
    assert draft_pages
    assert all("DRAFT, NOT SIGNED · Daily treatment note · 06/03/2026" in page for page in draft_pages)
    assert "DRAFT" not in next(page for page in pages if "enc-eval-2 · version" in page)


def test_notes_before_any_evaluation_are_an_episode_of_their_own(session: Session) -> None:
    world = episode_world(session, "before")
    found = episodes.episodes_of(session, world.biller, world.patient_id)
    assert [[note.id for note in e.notes] for e in found] == [world.before, world.episode, world.after]
    assert [e.discharged for e in found] == [False, True, False]
    assert found[0].evaluation is None
    text = flat(episode_pdf.episode_pdf(session, world.biller, world.patient_id, world.before[0], clock=CLOCK))
    assert "From 11/10/2025 (no initial evaluation on file before these notes)" in text
    assert "enc-before · version" in text
    assert "enc-eval" not in text


def test_an_evaluation_that_opens_no_episode_is_refused_naming_it(session: Session) -> None:
    world = episode_world(session, "refused")
    with pytest.raises(access.InvalidChangeError) as refused:
        episode_pdf.episode_pdf(session, world.biller, world.patient_id, world.episode[2], clock=CLOCK)
    assert refused.value.field == "evaluation"
    assert f"no episode of this patient begins with note {world.episode[2]}" in str(refused.value)
    other, _, other_patient = make_clinic(session, "mesa")
    with pytest.raises(access.NotFoundError):
        episode_pdf.episode_pdf(session, other, world.patient_id, clock=CLOCK)
    with pytest.raises(access.ConflictError, match="no signed note"):
        episode_pdf.episode_pdf(session, other, other_patient.id, clock=CLOCK)


def test_the_episode_export_is_audited_for_the_patient_and_each_note(session: Session) -> None:
    world = episode_world(session, "audit")
    episode_pdf.episode_pdf(session, world.therapist, world.patient_id, world.episode[0], clock=CLOCK)
    exports = session.scalars(
        select(AuditRow).where(AuditRow.action == "export", AuditRow.user_id == world.therapist.user_id)
    ).all()
    assert [(a.entity, a.entity_id) for a in exports] == [("patient", str(world.patient_id))] + [
        ("encounter", str(note_id)) for note_id in world.episode
    ]
    assert exports[0].detail == f"episode PDF from note {world.episode[0]}: " + ", ".join(map(str, world.episode))


def test_the_appeal_packet_encloses_the_note_the_plan_of_care_and_the_latest_progress_report(
    session: Session,
) -> None:
    world = episode_world(session, "appeal")
    discharge = world.episode[-1]
    [built] = billing.build_claims(session, world.biller, [discharge], clock=CLOCK)
    claim = session.get(ClaimRow, built.id)
    assert claim is not None
    deny_claim(session, world.biller, claim, "50", ("N661",))
    pages = pages_of(appeals.build_appeal_pdf(session, world.biller, claim.id, today=date(2026, 6, 20)))
    assert "Request for redetermination" in pages[0]
    assert (
        "Enclosures: 1. the treatment note of 03/06/2026; 2. the initial evaluation of 02/20/2026 (which wrote the "
        "plan of care); 3. the progress report of 03/04/2026 (the latest before the note); 4. the claim lines"
    ) in pages[0]
    order = starts(pages, world, [discharge, world.episode[0], world.episode[5]])
    assert order == sorted(order)
    assert "Enclosure 1 · The treatment note the claim was built from" in pages[order[0] - 1]
    assert "Enclosure 2 · Plan of care and progress: the initial evaluation" in pages[order[1] - 1]
    assert "Enclosure 3 · Plan of care and progress: the progress report" in pages[order[2] - 1]
    text = " ".join(pages)
    assert "Discharge summary" in text
    assert "STG1 met" in text  # the discharge's goal status
    assert "Frequency and duration 2–3 visits a week for 6 weeks" in text  # the evaluation's plan of care
    assert "STG1 progressing" in text  # the progress report's
    for daily in world.episode[1:5]:
        assert f"{world.external[daily]} · version" not in text
    assert "Claim lines as billed and paid" in pages[-1]
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    detail = session.scalar(select(AuditRow.detail).where(AuditRow.entity == "appeal_packet"))
    assert detail is not None
    assert detail.endswith(f"notes {discharge}, {world.episode[0]}, {world.episode[5]}")
