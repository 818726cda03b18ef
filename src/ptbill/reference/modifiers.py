"""The procedure-code modifiers a therapy claim may carry, each with the dates it is valid and its source.

Read from ``code_sets/modifiers.csv``: the CPT and HCPCS Level II modifiers outpatient therapy uses.
A modifier outside the list, or used before it existed (XU before 2015), would be rejected by the
payer's front end; a payer that asks for another one adds it with ``modifiers.also_accepted``.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError

MODIFIERS_FILE = Path(__file__).resolve().parent.parent / "reference_data" / "code_sets" / "modifiers.csv"
_EARLIEST = date(2000, 1, 1)  # before the first date ptbill checks: "valid as long as ptbill looks back"
_MODIFIER = re.compile(r"[A-Z0-9]{2}")


@dataclass(frozen=True, slots=True)
class Modifier:
    code: str
    label: str  # our own words
    valid: DateRange
    source: str


class ModifierCodeSet:
    """The modifiers by code, with their dates."""

    def __init__(self, modifiers: dict[str, Modifier], source: str) -> None:
        self.modifiers = modifiers
        self.source = source

    @classmethod
    def from_csv(cls, path: Path) -> ModifierCodeSet:
        found: dict[str, Modifier] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                where = f"{path.name} line {line}"
                try:
                    code = row["modifier"].strip().upper()
                    start = date.fromisoformat(row["valid_from"]) if row["valid_from"].strip() else _EARLIEST
                    end = date.fromisoformat(row["valid_to"]) if row["valid_to"].strip() else None
                    modifier = Modifier(code, row["label"].strip(), DateRange(start, end), row["source"].strip())
                except (KeyError, ValueError, AttributeError) as exc:
                    raise ReferenceDataError(f"{where}: {exc}") from None
                if not _MODIFIER.fullmatch(code):
                    raise ReferenceDataError(f"{where}: {code!r} is not a modifier (2 letters or digits)")
                if code in found:
                    raise ReferenceDataError(f"{where}: {code} is listed twice")
                if not modifier.source:
                    raise ReferenceDataError(f"{where}: {code} has no source")
                found[code] = modifier
        return cls(found, path.name)

    @staticmethod
    @functools.cache
    def default() -> ModifierCodeSet:
        return ModifierCodeSet.from_csv(MODIFIERS_FILE)

    def get(self, code: str) -> Modifier | None:
        return self.modifiers.get(code)

    def valid_on(self, code: str, day: date) -> bool:
        modifier = self.modifiers.get(code)
        return modifier is not None and modifier.valid.contains(day)
