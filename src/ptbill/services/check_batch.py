"""Use case: check a batch of notes without saving them, each as the one-note check does.

A note that does not follow the format is answered in its place with one line per field, and the others
are still checked: one bad note in 500 does not cost the caller the other 499. The batch is bounded
(``MAX_BATCH``) so one request cannot hold a worker for minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.errors import EncounterFormatError
from ptbill.rules.engine import CheckReport
from ptbill.services.access import Actor
from ptbill.services.db import Session
from ptbill.services.notes import check_document

MAX_BATCH = 500  # notes in one request: about as long to check as a page of the queue takes to build, times ten


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One note's answer, in the order the notes came: its check, or the lines naming its bad fields."""

    index: int
    report: CheckReport | None
    problems: tuple[str, ...]


def check_documents(
    session: Session, actor: Actor, documents: Sequence[Any], *, clock: Clock = SYSTEM_CLOCK
) -> list[BatchEntry]:
    """Each document checked with the caller's clinic's values (``notes.check_document``), in order."""
    if len(documents) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} notes")
    entries = []
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            entries.append(BatchEntry(index, None, ("(document): an encounter must be a JSON object",)))
            continue
        try:
            entries.append(BatchEntry(index, check_document(session, actor, document, clock=clock), ()))
        except EncounterFormatError as exc:
            entries.append(BatchEntry(index, None, tuple(exc.problems)))
    return entries
