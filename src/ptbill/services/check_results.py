"""The stored check results of notes: what the engine found when a note was saved, read back instead of
checking the note again.

A note's result is the last ``encounter_checks`` row for its current version under this rule set. A note
without one (saved before the rule set changed, or older data) is checked once, here, and the result is
stored like a save's, so the next reader finds it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.reference.fingerprint import fingerprint
from ptbill.rules.engine import RULESET_VERSION
from ptbill.services.notes import check_for_clinic
from ptbill.storage.tables import EncounterCheckRow, EncounterRow

CHUNK = 500  # ids per IN (...) query, well under every database's limit on bound parameters


def stored_rules_fired(session: Session, clinic_id: int, notes: Sequence[EncounterRow]) -> dict[int, frozenset[str]]:
    """The rule ids each note's stored check found, by note id; a note without a stored result is checked once."""
    by_id = {note.id: note for note in notes if note.clinic_id == clinic_id}
    fired: dict[int, frozenset[str]] = {}
    ids = sorted(by_id)
    for start in range(0, len(ids), CHUNK):
        query = (
            select(EncounterCheckRow.encounter_id, EncounterCheckRow.encounter_version, EncounterCheckRow.findings)
            .where(
                EncounterCheckRow.encounter_id.in_(ids[start : start + CHUNK]),
                EncounterCheckRow.ruleset_version == RULESET_VERSION,
            )
            .order_by(EncounterCheckRow.id)
        )
        for encounter_id, version, findings in session.execute(query):
            if version == by_id[encounter_id].version:  # the last one of the current version wins
                fired[encounter_id] = frozenset(str(f.get("rule")) for f in findings)
    for note_id in ids:
        if note_id not in fired:
            fired[note_id] = _check_and_store(session, by_id[note_id])
    return fired


def _check_and_store(session: Session, note: EncounterRow) -> frozenset[str]:
    report = check_for_clinic(session, note.clinic_id, encounter_from_dict(note.document, f"encounter {note.id}"))
    session.add(
        EncounterCheckRow(
            encounter_id=note.id,
            encounter_version=note.version,
            ruleset_version=report.ruleset_version,
            verdict=report.verdict.value,
            findings=[f.to_json() for f in report.findings],
            claim_lines=[line.to_json() for line in report.claim_lines],
            fingerprint=fingerprint(RULESET_VERSION, default_catalog()),
        )
    )
    session.flush()
    return frozenset(f.rule for f in report.findings)
