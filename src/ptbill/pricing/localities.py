"""The Medicare payment locality of a billing address: CMS's ZIP-code-to-carrier-locality file, else a state default.

Sources: CMS "Zip Code to Carrier Locality File" (ZIP5_<MMMYYYY>.txt, layout in its ZIP5lyout.txt);
state defaults derived from the CY2025 GPCI locality names and CMS 25LOCCO (shipped, see the CSV).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.pricing.medicare_pfs import DEFAULT_DIRECTORY, Locality, MedicareFeeSchedule, read_csv_table

STATE_DEFAULTS_PATH = DEFAULT_DIRECTORY / "localities" / "state_defaults.csv"

How = Literal["zip table", "state default"]

# ZIP5 record layout (ZIP5lyout.txt in CMS's zip-code-carrier-locality package), 1-based inclusive
# positions turned into Python slices. Positions 19-20, 22 and 24-75 are filler or unused here.
_STATE = slice(0, 2)
_ZIP = slice(2, 7)
_CARRIER = slice(7, 12)
_LOCALITY = slice(12, 14)
_RURAL = slice(14, 15)  # blank = urban, R = rural, B = super rural
_PLUS_FOUR = slice(20, 21)  # 1 = the ZIP is split between localities: CMS's ZIP9 file decides
_PART_B = slice(22, 23)
_YEAR_QUARTER = slice(75, 80)  # YYYYQ
_MINIMUM_LENGTH = 14  # state, ZIP, carrier and locality are all a record needs to be used


@dataclass(frozen=True, slots=True)
class LocalityChoice:
    """The locality chosen for an address, how it was chosen, and anything the reader should know."""

    key: str
    name: str
    how: How
    note: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class StateDefault:
    """The locality used for a state when its ZIP code is not looked up: statewide or "rest of state"."""

    state: str
    key: str
    name: str
    rule: str  # "only locality", "rest of state" or "named in locality"
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class ZipLocalityRecord:
    """One record of CMS's ZIP5 file."""

    state: str
    zip5: str
    carrier: str
    locality: str
    rural_indicator: str
    plus_four: bool
    part_b_indicator: str
    year_quarter: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.carrier}-{self.locality}"


class ZipLocalityTable:
    """ZIP code → carrier and locality, from CMS's ZIP5 file (or records built by the caller)."""

    def __init__(self, records: Iterable[ZipLocalityRecord], source: str) -> None:
        self.source = source
        self._by_zip: dict[str, ZipLocalityRecord] = {}
        for record in records:
            previous = self._by_zip.get(record.zip5)
            if previous is not None:
                raise ReferenceDataError(
                    f"{source}: line {record.line}: ZIP {record.zip5} already on line {previous.line}"
                )
            self._by_zip[record.zip5] = record

    @classmethod
    def load_cms_zip5(cls, path: Path) -> ZipLocalityTable:
        """Read CMS's fixed-width ZIP5 file (e.g. ZIP5_OCT2025.txt) as published, one ZIP per line."""
        return cls(_read_zip5(path), str(path))

    def lookup(self, zip5: str) -> ZipLocalityRecord | None:
        return self._by_zip.get(normalize_zip(zip5))

    def __len__(self) -> int:
        return len(self._by_zip)

    @property
    def year_quarters(self) -> frozenset[str]:
        return frozenset(r.year_quarter for r in self._by_zip.values() if r.year_quarter)


def normalize_zip(text: str) -> str:
    """The 5-digit ZIP of '60601', '60601-1234' or '606011234'."""
    digits = text.strip().replace("-", "")
    if len(digits) not in (5, 9) or not is_ascii_digits(digits):
        raise ValueError(f"{text!r} is not a ZIP code (5 digits, or ZIP+4)")
    return digits[:5]


def _read_zip5(path: Path) -> Iterator[ZipLocalityRecord]:
    try:
        # CMS files are plain ASCII; latin-1 never fails, so a stray byte shows up in a field check.
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the file ({exc.strerror})") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}: line {number}"
        if len(raw) < _MINIMUM_LENGTH:
            raise ReferenceDataError(f"{where}: {len(raw)} characters; a ZIP5 record has at least {_MINIMUM_LENGTH}")
        fields = {
            "state (1-2)": (raw[_STATE], 2, str.isalpha),
            "ZIP (3-7)": (raw[_ZIP], 5, is_ascii_digits),
            "carrier (8-12)": (raw[_CARRIER], 5, is_ascii_digits),
            "locality (13-14)": (raw[_LOCALITY], 2, is_ascii_digits),
        }
        for name, (value, width, check) in fields.items():
            if len(value) != width or not check(value):
                raise ReferenceDataError(f"{where}: field {name}: {value!r} is not valid")
        year_quarter = raw[_YEAR_QUARTER].strip()
        if year_quarter and (len(year_quarter) != 5 or not is_ascii_digits(year_quarter)):
            raise ReferenceDataError(f"{where}: field year/quarter (76-80): {year_quarter!r} is not YYYYQ")
        yield ZipLocalityRecord(
            state=raw[_STATE].upper(),
            zip5=raw[_ZIP],
            carrier=raw[_CARRIER],
            locality=raw[_LOCALITY],
            rural_indicator=raw[_RURAL].strip(),
            plus_four=raw[_PLUS_FOUR] == "1",
            part_b_indicator=raw[_PART_B].strip(),
            year_quarter=year_quarter,
            line=number,
        )


def load_state_defaults(path: Path = STATE_DEFAULTS_PATH) -> dict[str, StateDefault]:
    """State (USPS code) → default locality, from the shipped CSV or one in the same layout."""
    defaults: dict[str, StateDefault] = {}
    for line, raw in read_csv_table(path, ("state", "locality_key", "locality_name", "rule", "note", "source")):
        state = raw["state"].upper()
        if len(state) != 2 or not state.isalpha():
            raise ReferenceDataError(f"{path}: line {line}: field 'state': {raw['state']!r} is not a state code")
        if state in defaults:
            raise ReferenceDataError(f"{path}: line {line}: state {state} appears twice")
        defaults[state] = StateDefault(
            state, raw["locality_key"], raw["locality_name"], raw["rule"], raw["note"], f"{path.name} line {line}"
        )
    return defaults


@functools.cache
def _shipped_state_defaults() -> dict[str, StateDefault]:
    return load_state_defaults()


def locality_for(
    state: str,
    zip5: str,
    table: ZipLocalityTable | None = None,
    *,
    localities: Mapping[str, Locality] | None = None,
    defaults: Mapping[str, StateDefault] | None = None,
) -> LocalityChoice | None:
    """The locality of a billing provider's address: the ZIP table's when it knows the ZIP, else the state's.

    ``localities`` (default: the newest shipped PFS year's) names the locality and resolves a carrier
    that serves a locality it is not listed with in the GPCI file. None when the state has no default
    and the ZIP is not in the table.
    """
    state = state.strip().upper()
    zip_code = normalize_zip(zip5)
    fallback_note = ""
    if table is not None:
        known = localities if localities is not None else MedicareFeeSchedule.default().latest.localities
        record = table.lookup(zip_code)
        if record is None:
            fallback_note = f"ZIP {zip_code} is not in the ZIP table ({table.source})."
        else:
            chosen = _from_record(record, state, known, table.source)
            if chosen is not None:
                return chosen
            fallback_note = (
                f"The ZIP table gives carrier {record.carrier} locality {record.locality} for ZIP {zip_code}, "
                "which is not in the locality list."
            )
    default = (defaults if defaults is not None else _shipped_state_defaults()).get(state)
    if default is None:
        return None
    notes = [n for n in (fallback_note, _rule_text(default), default.note) if n]
    return LocalityChoice(default.key, default.name, "state default", " ".join(notes), default.source)


def _rule_text(default: StateDefault) -> str:
    if default.rule == "rest of state":
        return (
            f"{default.state} has several localities; without the ZIP table the 'rest of state' locality is "
            "used, which is wrong for an address in one of the named county localities."
        )
    return ""


def _from_record(
    record: ZipLocalityRecord, state: str, known: Mapping[str, Locality], source: str
) -> LocalityChoice | None:
    notes: list[str] = []
    locality = known.get(record.key)
    if locality is None:
        # A locality "serviced by two carriers" (25LOCCO) is listed once in the GPCI file, under one
        # MAC: the same state and locality number identify it.
        same = [loc for loc in known.values() if loc.state == record.state and loc.number == record.locality]
        if len(same) != 1:
            return None
        locality = same[0]
        notes.append(
            f"Carrier {record.carrier} serves locality {record.locality}; the GPCI file lists it as {locality.key}."
        )
    if record.plus_four:
        notes.append(
            f"ZIP {record.zip5} is split between localities (plus-four flag): CMS's ZIP9 file decides by "
            "ZIP+4; this is the ZIP5 record's locality."
        )
    if state and record.state != state:
        notes.append(f"The ZIP table places ZIP {record.zip5} in {record.state}, the address says {state}.")
    quarter = f", {record.year_quarter}" if record.year_quarter else ""
    return LocalityChoice(
        locality.key, locality.name, "zip table", " ".join(notes), f"{source} line {record.line}{quarter}"
    )
