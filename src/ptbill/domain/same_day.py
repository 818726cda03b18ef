"""What a patient had on the same day in the clinic's other notes: what duplicate and per-day unit
checks need to look beyond the note being checked. The app fills it; a single file has none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SameDayService:
    """One planned claim line of another note of the same patient and date of service."""

    note_id: str  # the other note's id (its claim's patient control number)
    code: str
    units: int
    provider_npi: str  # the rendering provider its claim names (the supervising PT for a PTA's visit)
    modifiers: tuple[str, ...] = ()
