"""What the appeal packet encloses after its cover letter, printed as the note PDF prints notes: the treatment
note the claim was built from; the plan of care and progress (the episode's initial evaluation, which wrote the
plan of care, and its latest progress report before the note, when they are signed and on file); and the claim
lines as billed and paid. Each starts on a new page under a line naming the enclosure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportlab.platypus import PageBreak, Paragraph, Spacer
from sqlalchemy.orm import Session

from ptbill.domain.note_content import NoteType
from ptbill.services import note_pdf_sections as sx
from ptbill.services.access import Actor
from ptbill.services.episodes import EpisodeNote, episodes_of
from ptbill.services.note_pdf import NoteSheet, note_flowables, note_sheet, running_head
from ptbill.services.pdf_pages import WIDTH, PageMark, RunningHead
from ptbill.services.pdf_text import plain
from ptbill.storage.tables import ClaimRow, EncounterRow


@dataclass(frozen=True, slots=True)
class Enclosures:
    story: list[Any]
    names: list[str]  # as the cover letter lists them
    note_ids: list[int]  # the notes printed, the claim's first
    head: RunningHead  # the patient every page names


def plan_and_progress(session: Session, actor: Actor, row: EncounterRow) -> list[EpisodeNote]:
    """The signed initial evaluation of the note's episode and its latest signed progress report before the
    note (date order), each when there is one and it is not the note itself."""
    episode = next((e for e in episodes_of(session, actor, row.patient_id) if row.id in {n.id for n in e.notes}), None)
    if episode is None:  # pragma: no cover - the note is one of its patient's notes
        return []
    before = [n for n in episode.notes[: [n.id for n in episode.notes].index(row.id)] if not n.draft]
    found = [episode.evaluation] if episode.evaluation and not episode.evaluation.draft else []
    progress = [n for n in before if n.note_type is NoteType.PROGRESS_REPORT]
    return [n for n in found if n.id != row.id] + progress[-1:]


def _banner(text: str) -> Paragraph:
    return Paragraph(plain(text), sx.styles()["banner"])


def _claim_lines(claim: ClaimRow) -> list[Any]:
    w = WIDTH
    rows: sx.Rows = [["Line", "Code", "Modifiers", "Units", "Charge", "Paid"]]
    rows += [
        [
            str(line.line_number),
            line.code,
            " ".join(line.modifiers) or "—",
            str(line.units),
            f"${line.charge:,.2f}",
            f"${Decimal(line.paid_amount or 0):,.2f}",
        ]
        for line in claim.lines
    ]
    return [sx.grid(rows, [0.1 * w, 0.15 * w, 0.2 * w, 0.1 * w, 0.2 * w, 0.25 * w])]


def enclosures(session: Session, actor: Actor, claim: ClaimRow, row: EncounterRow, zone: str) -> Enclosures:
    """The enclosures of the appeal of ``claim``, built from its note ``row``."""
    sheet = note_sheet(session, row, zone)
    story: list[Any] = [
        PageBreak(),
        _banner("Enclosure 1 · The treatment note the claim was built from"),
        *note_flowables(sheet),
    ]
    names = [f"1. the treatment note of {sheet.encounter.date_of_service:%m/%d/%Y}"]
    ids = [row.id]
    extra = plan_and_progress(session, actor, row)
    sheets: list[NoteSheet] = []
    for found in extra:
        other = session.get(EncounterRow, found.id)
        if other is not None:
            sheets.append(note_sheet(session, other, zone))
    for number, other_sheet in enumerate(sheets, start=2):
        kind = other_sheet.note_type.label.lower()
        what = "which wrote the plan of care" if other_sheet.note_type.is_evaluation else "the latest before the note"
        story += [
            PageBreak(),
            _banner(f"Enclosure {number} · Plan of care and progress: the {kind} ({what})"),
            *note_flowables(other_sheet),
        ]
        names.append(f"{number}. the {kind} of {other_sheet.encounter.date_of_service:%m/%d/%Y} ({what})")
        ids.append(other_sheet.encounter_id)
    last = len(sheets) + 2
    story += [PageBreak(), PageMark("Claim lines as billed and paid"), _banner(f"Enclosure {last} · The claim")]
    if not sheets:
        story += [
            sx.heading("Plan of care and progress"),
            Paragraph(
                plain(
                    "No signed initial evaluation or progress report of this episode is on file before the note: "
                    "the plan of care is the one the treatment note records"
                    + (" (enclosure 1)." if sheet.encounter.plan_of_care else "; the note records none.")
                ),
                sx.styles()["body"],
            ),
        ]
    story += [sx.heading("Claim lines as billed and paid"), *_claim_lines(claim), Spacer(1, 6)]
    names.append(f"{last}. the claim lines as billed and paid")
    return Enclosures(story, names, ids, running_head(sheet))
