"""Episodes of care: a patient's notes from an initial evaluation through the next discharge summary.

The notes are taken in date-of-service order (then in the order they were written). An initial evaluation opens
an episode; a discharge summary closes the one that is open; an episode not discharged yet runs to the latest
note. Notes written before any evaluation, or after a discharge and before the next evaluation, form an episode
of their own (it has no evaluation). Drafts count where they fall, so an episode is the same whoever prints it;
the episode PDF leaves them out unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.note_content import NoteType
from ptbill.domain.status import EncounterState
from ptbill.services.access import Actor, InvalidChangeError, owned_row
from ptbill.storage.tables import EncounterRow, NoteAddendumRow, PatientRow


@dataclass(frozen=True, slots=True)
class EpisodeNote:
    """One note as an episode lists it."""

    id: int
    external_id: str
    date_of_service: date
    note_type: NoteType
    status: str
    therapist: str  # the rendering provider as the note names them, with credentials
    addenda: int

    @property
    def draft(self) -> bool:
        return self.status == EncounterState.DRAFT


@dataclass(frozen=True, slots=True)
class Episode:
    notes: tuple[EpisodeNote, ...]  # date order, drafts included

    @property
    def first_id(self) -> int:
        """The note that opens it: its initial evaluation (the ``evaluation`` that picks it), or its first note."""
        return self.notes[0].id

    @property
    def evaluation(self) -> EpisodeNote | None:
        first = self.notes[0]
        return first if first.note_type is NoteType.INITIAL_EVALUATION else None

    @property
    def discharged(self) -> bool:
        return self.notes[-1].note_type is NoteType.DISCHARGE_SUMMARY

    @property
    def start(self) -> date:
        return self.notes[0].date_of_service

    @property
    def end(self) -> date:
        return self.notes[-1].date_of_service

    def printed(self, include_drafts: bool) -> tuple[EpisodeNote, ...]:
        return tuple(note for note in self.notes if include_drafts or not note.draft)


def _note_type(document: dict[str, object]) -> NoteType:
    try:
        return NoteType(str(document.get("note_type") or NoteType.DAILY_NOTE))
    except ValueError:  # pragma: no cover - every stored note was read as encounter format 1 when it was saved
        return NoteType.DAILY_NOTE


def _therapist(document: dict[str, object]) -> str:
    provider = document.get("rendering_provider")
    if not isinstance(provider, dict):  # pragma: no cover - format 1 requires it
        return "—"
    name, credential = provider.get("name") or "—", provider.get("credential")
    return f"{name}, {credential}" if credential else str(name)


def split_episodes(notes: list[EpisodeNote]) -> list[Episode]:
    """``notes`` (in date order) cut into episodes: an evaluation opens one, a discharge summary closes it."""
    episodes: list[list[EpisodeNote]] = []
    open_episode: list[EpisodeNote] | None = None
    for note in notes:
        if note.note_type is NoteType.INITIAL_EVALUATION or open_episode is None:
            open_episode = [note]
            episodes.append(open_episode)
        else:
            open_episode.append(note)
        if note.note_type is NoteType.DISCHARGE_SUMMARY:
            open_episode = None
    return [Episode(tuple(found)) for found in episodes]


def episodes_of(session: Session, actor: Actor, patient_id: int) -> list[Episode]:
    """Every episode of a patient of the actor's clinic (another clinic's: NotFoundError), oldest first."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    counts = (
        select(NoteAddendumRow.encounter_id, func.count().label("n"))
        .where(NoteAddendumRow.clinic_id == actor.clinic_id)
        .group_by(NoteAddendumRow.encounter_id)
        .subquery()
    )
    rows = session.execute(
        select(EncounterRow, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.encounter_id == EncounterRow.id)
        .where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.patient_id == patient_id)
        .order_by(EncounterRow.date_of_service, EncounterRow.id)
    ).all()
    notes = [
        EpisodeNote(
            row.id,
            row.external_id,
            row.date_of_service,
            _note_type(row.document),
            row.status,
            _therapist(row.document),
            int(addenda),
        )
        for row, addenda in rows
    ]
    return split_episodes(notes)


def pick_episode(episodes: list[Episode], evaluation: int | None, include_drafts: bool) -> Episode | None:
    """The episode ``evaluation`` (the id of the note that opens it) names, or the latest with a note to print;
    None when there is none. An id that opens no episode of the patient is refused naming ``evaluation``."""
    if evaluation is not None:
        for episode in episodes:
            if episode.first_id == evaluation:
                return episode
        raise InvalidChangeError(
            "evaluation", f"no episode of this patient begins with note {evaluation} (give its initial evaluation)"
        )
    return next((e for e in reversed(episodes) if e.printed(include_drafts)), None)
