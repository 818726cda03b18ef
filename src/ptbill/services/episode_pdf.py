"""The episode of care as one PDF: a cover page listing its notes, then every note in date order, each from a new
page, printed as ``note_pdf`` prints one note. What a payer's records request or an appeal asks for: the initial
evaluation with its plan of care, the daily notes, progress reports and re-evaluations, the discharge summary.

Signed notes only unless drafts are asked for (they then print marked DRAFT); the cover says how many drafts
were left out. The cover lists the page each note starts on (the document is laid out twice: the first pass
finds the pages). The export is audited once for the patient and once on each note printed.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus import PageBreak, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.services import note_pdf_sections as sx
from ptbill.services.access import Actor, ConflictError, owned_row
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.episodes import Episode, EpisodeNote, episodes_of, pick_episode
from ptbill.services.note_pdf import NoteSheet, in_zone, moment_text, note_flowables, note_sheet, patient_line
from ptbill.services.pdf_pages import WIDTH, PageMark, RunningHead, build_document
from ptbill.services.pdf_text import plain
from ptbill.storage.tables import ClinicRow, EncounterRow, PatientRow

END = -1  # the key of the mark at the document's end: the last page


def _cover(
    clinic: ClinicRow,
    patient: str,
    episode: Episode,
    printed: tuple[EpisodeNote, ...],
    sheets: list[NoteSheet],
    pages: dict[int, int],
    footer: str,
) -> list[Any]:
    s = sx.styles()
    w = WIDTH
    first, last = episode.notes[0], episode.notes[-1]
    if episode.evaluation:
        span = f"From the initial evaluation of {sx.day(first.date_of_service)}"
    else:
        span = f"From {sx.day(first.date_of_service)} (no initial evaluation on file before these notes)"
    if episode.discharged:
        span += f" to the discharge summary of {sx.day(last.date_of_service)}"
    else:
        span += f" to the latest note, {sx.day(last.date_of_service)}: not discharged"
    latest = sheets[-1].encounter
    identity = [
        ["Patient", patient],
        ["Payer", f"{sheets[-1].payer_name} · member ID {latest.coverage.member_id} (as of the latest note)"],
        ["Episode", span],
        ["Notes", f"{len(printed)} printed" + _left_out(episode, printed)],
    ]
    rows: list[list[Any]] = [["#", "Date", "Note", "Therapist", "Status", "Addenda", "Pages"]]
    for number, note in enumerate(printed, start=1):
        rows.append(
            [
                str(number),
                sx.day(note.date_of_service),
                note.note_type.label,
                note.therapist,
                Paragraph("DRAFT, not signed", s["draft"]) if note.draft else note.status,
                str(note.addenda) if note.addenda else "—",
                _pages(pages, printed, number - 1),
            ]
        )
    table = sx.grid(rows, [0.05 * w, 0.13 * w, 0.23 * w, 0.24 * w, 0.15 * w, 0.1 * w, 0.1 * w])
    return [
        PageMark("Episode of care: contents"),
        Paragraph(plain(clinic.name), s["clinic"]),
        Paragraph(plain(f"{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip}"), s["small"]),
        Paragraph(plain(f"NPI {clinic.npi} · Tax ID {clinic.tax_id}"), s["small"]),
        Spacer(1, 18),
        Paragraph("Episode of care", s["title"]),
        Spacer(1, 6),
        sx.grid(identity, [0.15 * w, 0.85 * w], header=False, labels=(0,)),
        Spacer(1, 12),
        Paragraph("Contents", s["h2"]),
        table,
        Spacer(1, 10),
        Paragraph(
            plain(
                "Each note starts on a new page and prints as it was signed, with its addenda after it. Every page "
                "names the patient and the note it belongs to."
            ),
            s["small"],
        ),
        Paragraph(plain(footer), s["small"]),
    ]


def _pages(pages: dict[int, int], printed: tuple[EpisodeNote, ...], index: int) -> str:
    """The pages note ``index`` takes ("2–4"), from where it and the next note start (the end marker: -1)."""
    start = pages.get(printed[index].id)
    following = pages.get(printed[index + 1].id) if index + 1 < len(printed) else pages.get(END)
    if start is None or following is None:
        return "—"
    end = following - 1 if index + 1 < len(printed) else following
    return str(start) if end <= start else f"{start}–{end}"


def _left_out(episode: Episode, printed: tuple[EpisodeNote, ...]) -> str:
    drafts = len(episode.notes) - len(printed)
    if not drafts:
        return ""
    return f"; {drafts} draft{'s' if drafts != 1 else ''} not printed (not signed)"


def episode_pdf(
    session: Session,
    actor: Actor,
    patient_id: int,
    evaluation: int | None = None,
    *,
    include_drafts: bool = False,
    clock: Clock = SYSTEM_CLOCK,
) -> bytes:
    """The episode ``evaluation`` opens (default: the patient's latest) as a PDF; another clinic's patient is a
    NotFoundError, an ``evaluation`` that opens no episode of the patient an InvalidChangeError naming it, and an
    episode with nothing to print a ConflictError."""
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    episodes = episodes_of(session, actor, patient_id)
    episode = pick_episode(episodes, evaluation, include_drafts)
    if episode is None:
        kind = "note" if include_drafts else "signed note (drafts are left out unless asked for)"
        raise ConflictError(f"patient {patient_id} has no {kind} to print")
    printed = episode.printed(include_drafts)
    if not printed:
        raise ConflictError(f"the episode from note {episode.first_id} has only drafts: print it with drafts")
    zone = clinic_zone(session, actor.clinic_id)
    clinic = session.get(ClinicRow, actor.clinic_id)
    if clinic is None:  # pragma: no cover - the actor's clinic exists
        raise ConflictError("no clinic")
    rows = {
        row.id: row for row in session.scalars(select(EncounterRow).where(EncounterRow.id.in_([n.id for n in printed])))
    }
    sheets = [note_sheet(session, rows[note.id], zone) for note in printed]
    who = patient_line(sheets[0].patient_name, patient.birth_date, patient.chart_number)
    footer = f"Printed {moment_text(in_zone(clock.now(), zone))} by {actor.name}."
    head = RunningHead(who, clinic.name)
    title = f"Episode of care from {sx.day(episode.start)}"

    def story(pages: dict[int, int]) -> list[Any]:
        found = _cover(clinic, who, episode, printed, sheets, pages, footer)
        for note, sheet in zip(printed, sheets, strict=True):
            found += [PageBreak(), *note_flowables(sheet, found_on=pages, key=note.id)]
        return [*found, PageMark(printed[-1].note_type.label, found_on=pages, key=END, keep=True)]

    pages: dict[int, int] = {}
    build_document(story(pages), head, title=title, author=clinic.name)  # where each note starts
    pdf = build_document(story(dict(pages)), head, title=title, author=clinic.name)
    ids = ", ".join(str(note.id) for note in printed)
    audit(session, actor, "export", "patient", str(patient_id), f"episode PDF from note {episode.first_id}: {ids}")
    for note, sheet in zip(printed, sheets, strict=True):
        detail = f"in the episode PDF of patient {patient_id}, version {sheet.version.label}"
        audit(session, actor, "export", "encounter", str(note.id), detail)
    return pdf
