"""Medically Unlikely Edits for practitioner services: the most units of a code CMS pays per patient per day.

Source: CMS's quarterly Practitioner Services MUE table (``MCR_MUE_PractitionerServices_Eff_MM-DD-YYYY.csv``
in a ZIP), compiled once into a read-only sqlite3 file the engine opens without re-reading CMS's CSV.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.reference.ncci import (
    StoredLookup,
    open_compiled,
    open_inputs,
    open_when_changed,
    quarter_from_name,
    record_in_manifest,
    string_list,
    write_compiled,
)

MUE_FILE_NAME = "mue_practitioner.sqlite3"
MANIFEST_KIND = "mue_practitioner"

_FORMAT_TAG = "ptbill-mue-practitioner"
_SCHEMA = (
    "CREATE TABLE mue (code TEXT PRIMARY KEY, units INTEGER, indicator INTEGER, "
    "indicator_text INTEGER, rationale INTEGER, source INTEGER) WITHOUT ROWID"
)
_CODE = re.compile(r"[0-9A-Z]{5}")
# "3 Date of Service Edit: Clinical": the MAI digit, then CMS's words for it.
_INDICATOR = re.compile(r"\s*([123])(?:\s+(.*?))?\s*")
# MCR_MUE_PractitionerServices_Eff_07-01-2026.csv; older ZIPs say "…-effective-07-01-2026".
_EFFECTIVE_IN_NAME = re.compile(r"eff(?:ective)?[_-]([0-9]{2})-([0-9]{2})-([0-9]{4})", re.IGNORECASE)
_HEADER_SCAN_LIMIT = 50  # CMS's notice is one quoted CSV record of about eight lines


@dataclass(frozen=True, slots=True)
class MueValue:
    """A code's practitioner MUE: at most ``units`` per patient per date of service (or per claim line).

    ``adjudication_indicator`` (MAI) is CMS's: 1 = line edit (each claim line is checked on its own,
    so units on separate lines with modifiers may pass), 2 = date-of-service edit, policy (an absolute
    limit), 3 = date-of-service edit, clinical (may be exceeded on appeal with records).
    ``indicator_text`` is CMS's wording, e.g. "Date of Service Edit: Clinical".
    """

    code: str
    units: int
    adjudication_indicator: int
    indicator_text: str
    rationale: str
    source: str


class MueIndex(Protocol):
    """MUE values by code: a dict, or a StoredLookup reading a compiled file."""

    def get(self, code: str, /) -> MueValue | None: ...

    def items(self) -> Iterable[tuple[str, MueValue]]: ...

    def __len__(self) -> int: ...


class MueTable:
    """One quarter's practitioner MUE table, by code; ``quarter`` is the day it takes effect."""

    def __init__(
        self,
        values: MueIndex,
        *,
        quarter: date,
        source: str,
        source_files: Sequence[str] = (),
    ) -> None:
        self._values = values
        self.quarter = quarter
        self.source = source
        self.source_files = tuple(source_files)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<MueTable {len(self._values)} codes, effective {self.quarter}, {self.source}>"

    def lookup(self, code: str) -> MueValue | None:
        """The code's MUE, or None when CMS lists none (no MUE is not the same as an MUE of 0)."""
        return self._values.get(code)

    def values(self) -> Iterator[MueValue]:
        """Every value, in code order."""
        for _, value in sorted(self._values.items()):
            yield value

    # -- building -----------------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[MueValue], *, quarter: date, source: str = "rows") -> MueTable:
        """A table of the given values (tests, payer overrides); a code given twice is an error."""
        values: dict[str, MueValue] = {}
        for number, value in enumerate(rows, start=1):
            problem = _problem(value)
            if problem is None and value.code in values:
                problem = f"code {value.code} is given twice"
            if problem:
                raise ReferenceDataError(f"{source} row {number}: {problem}")
            values[value.code] = value
        return cls(values, quarter=quarter, source=source)

    @classmethod
    def load_cms_file(cls, path: str | os.PathLike[str], *, quarter: date | None = None) -> MueTable:
        """Parse CMS's practitioner MUE CSV, or the ZIP it comes in.

        The quarter is ``quarter`` if given, else the date in the file name (``_Eff_07-01-2026``), else
        the quarter in the ZIP name (``…2026-q3…``); with none of these it is an error, because the CSV
        itself carries no date. Raises ReferenceDataError naming the file and line of the first bad row.
        """
        path = Path(path)
        tables: list[tuple[str, str, dict[str, MueValue], date | None]] = []
        skipped: list[str] = []
        with contextlib.closing(open_inputs(path, (".csv",))) as inputs:
            for label, member, stream in inputs:
                with stream:
                    named = _effective_from_name(member) or _effective_from_name(path.name)
                    source = f"{member}, effective {quarter or named or 'unknown'}"
                    values = _parse_mue(stream, label, sys.intern(source))
                if values is None:
                    skipped.append(label)
                else:
                    tables.append((label, member, values, named))
        if not tables:
            raise ReferenceDataError(
                f"{', '.join(skipped) or path.name}: no CMS practitioner MUE table found (expected a CSV "
                "with CMS's notice and the header 'HCPCS/CPT Code, Practitioner Services MUE Values, "
                "MUE Adjudication Indicator, MUE Rationale')"
            )
        if len(tables) > 1:
            raise ReferenceDataError(
                f"{path.name}: holds {len(tables)} MUE tables ({', '.join(t[1] for t in tables)}); give one"
            )
        label, member, values, named = tables[0]
        effective = quarter or named
        if effective is None:
            raise ReferenceDataError(
                f"{label}: cannot tell which quarter this table is for: the file name has no "
                "'_Eff_MM-DD-YYYY' (CMS's naming); give the quarter's first day"
            )
        return cls(values, quarter=effective, source=f"{member}, effective {effective}", source_files=(member,))

    # -- the compiled form --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the compiled form atomically: a sqlite3 file, one row per code, texts in its header."""
        texts: dict[str, int] = {}
        rationales: dict[str, int] = {}
        sources: dict[str, int] = {}
        rows = [
            (
                v.code,
                v.units,
                v.adjudication_indicator,
                texts.setdefault(v.indicator_text, len(texts)),
                rationales.setdefault(v.rationale, len(rationales)),
                sources.setdefault(v.source, len(sources)),
            )
            for v in self.values()
        ]
        header = {
            "quarter": self.quarter.isoformat(),
            "source": self.source,
            "source_files": list(self.source_files),
            "rows": len(rows),
            "indicator_texts": list(texts),
            "rationales": list(rationales),
            "sources": list(sources),
        }
        write_compiled(Path(path), _FORMAT_TAG, header, _SCHEMA, "INSERT INTO mue VALUES (?, ?, ?, ?, ?, ?)", rows)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, preload: bool = False) -> MueTable:
        """Reopen a table written by :meth:`save`; a code's row is read when first looked up.

        ``preload=True`` reads every row now. Read-only, never unpickled: a damaged or foreign file
        fails to load.
        """
        path = Path(path)
        connection, meta = open_compiled(path, _FORMAT_TAG)
        try:
            texts, rationales, sources = (
                string_list(meta, key) for key in ("indicator_texts", "rationales", "sources")
            )
            rows = meta["rows"]
            if not isinstance(rows, int):
                raise ValueError("'rows' is not a count")

            def decode(code: str, found: list[tuple[Any, ...]]) -> MueValue:
                units, indicator, text, rationale, source = found[0]
                try:
                    return MueValue(code, units, indicator, texts[text], rationales[rationale], sources[source])
                except (IndexError, TypeError) as error:
                    raise ReferenceDataError(
                        f"{path}: damaged row for {code} ({error}); load the CMS file again"
                    ) from None

            stored = StoredLookup[str, MueValue](
                connection,
                size=rows,
                label=str(path),
                select_one="SELECT units, indicator, indicator_text, rationale, source FROM mue WHERE code = ?",
                select_all="SELECT * FROM mue ORDER BY code",
                key_columns=1,
                decode=decode,
            )
            values: MueIndex = stored
            if preload:
                values = dict(stored.items())
                stored.close()
                if len(values) != rows:
                    raise ValueError(f"{len(values)} codes, the header says {rows}")
            return cls(
                values,
                quarter=date.fromisoformat(str(meta["quarter"])),
                source=str(meta["source"]),
                source_files=string_list(meta, "source_files"),
            )
        except (ValueError, KeyError) as error:
            connection.close()
            raise ReferenceDataError(f"{path}: damaged compiled MUE table ({error}); load the CMS file again") from None

    def install(self, data_dir: str | os.PathLike[str], *, loaded_at: datetime | None = None) -> Path:
        """Save as ``data_dir``'s installed table and record it in the manifest; returns the file written."""
        data_dir = Path(data_dir)
        target = data_dir / MUE_FILE_NAME
        self.save(target)
        record_in_manifest(
            data_dir,
            MANIFEST_KIND,
            {
                "file": MUE_FILE_NAME,
                "source": self.source,
                "source_files": list(self.source_files),
                "rows": len(self._values),
                "quarter": self.quarter.isoformat(),
                "loaded_at": (loaded_at or SYSTEM_CLOCK.now()).isoformat(timespec="seconds"),
                "warnings": [],
            },
        )
        return target


def installed_mue_table(data_dir: str | os.PathLike[str]) -> MueTable | None:
    """The table ``ptbill reference load-mue`` installed in ``data_dir``, or None when there is none.

    Reopened only when the file changes, so a long-running process may call this for every check.
    """
    return open_when_changed(Path(data_dir) / MUE_FILE_NAME, MueTable.open)


def parse_adjudication_indicator(text: str) -> tuple[int, str]:
    """Split an MAI cell: ``"3 Date of Service Edit: Clinical"`` → ``(3, "Date of Service Edit: Clinical")``.

    A bare digit gives an empty text.
    """
    match = _INDICATOR.fullmatch(text)
    if match is None:
        raise ValueError(f"MUE adjudication indicator {text!r} does not start with 1, 2 or 3")
    return int(match[1]), match[2] or ""


def _effective_from_name(name: str) -> date | None:
    match = _EFFECTIVE_IN_NAME.search(name)
    if match:
        try:
            return date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return quarter_from_name(name)


def _parse_mue(stream: TextIO, label: str, source: str) -> dict[str, MueValue] | None:
    """The values of one CMS MUE CSV, or None when it has no MUE header.

    CMS's CSV: one quoted record holding the AMA notice (several lines, then ``,,,``), then the header
    ``"HCPCS/<newline>CPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale``,
    then one code per line. Columns are found by their header text, so their order does not matter.
    """
    reader = csv.reader(stream)
    columns: dict[str, int] = {}
    for record in reader:
        names = [" ".join(cell.split()).lower() for cell in record]
        if names and names[0].replace(" ", "") == "hcpcs/cptcode":
            columns = _columns(names, label, reader.line_num)
            break
        if reader.line_num >= _HEADER_SCAN_LIMIT:
            return None
    else:
        return None
    code_at, units_at, indicator_at, rationale_at = (
        columns["code"],
        columns["units"],
        columns["indicator"],
        columns["rationale"],
    )
    needed = max(code_at, units_at, indicator_at) + 1
    values: dict[str, MueValue] = {}
    lines: dict[str, int] = {}
    indicators: dict[str, tuple[int, str]] = {}
    texts: dict[str, str] = {}
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        where = f"{label} line {reader.line_num}"
        if len(record) < needed:
            raise ReferenceDataError(f"{where}: expected at least {needed} comma-separated fields, found {len(record)}")
        code = record[code_at].strip()
        if not _CODE.fullmatch(code):
            raise ReferenceDataError(f"{where}: code {record[code_at]!r} is not a 5-character HCPCS/CPT code")
        if code in values:
            raise ReferenceDataError(f"{where}: code {code} is listed again (first on line {lines[code]})")
        units_text = record[units_at].strip()
        if not is_ascii_digits(units_text):
            raise ReferenceDataError(f"{where}: MUE value {record[units_at]!r} is not a whole number")
        indicator_cell = record[indicator_at]
        parsed = indicators.get(indicator_cell)
        if parsed is None:
            try:
                number, text = parse_adjudication_indicator(indicator_cell)
            except ValueError as error:
                raise ReferenceDataError(f"{where}: {error}") from None
            parsed = indicators[indicator_cell] = (number, sys.intern(text))
        rationale = record[rationale_at].strip() if rationale_at < len(record) else ""
        values[code] = MueValue(
            code=code,
            units=int(units_text),
            adjudication_indicator=parsed[0],
            indicator_text=parsed[1],
            rationale=texts.setdefault(rationale, rationale),
            source=source,
        )
        lines[code] = reader.line_num
    if not values:
        raise ReferenceDataError(f"{label}: the MUE table has a header but no rows")
    return values


def _columns(names: list[str], label: str, line: int) -> dict[str, int]:
    """Where each column is, by CMS's header text; only the practitioner table is accepted."""
    found: dict[str, int] = {"code": 0}
    for at, name in enumerate(names):
        if name.endswith("mue values"):
            if not name.startswith("practitioner"):
                raise ReferenceDataError(
                    f"{label} line {line}: this is the {name[: -len(' mue values')] or 'unnamed'} MUE table; "
                    "ptbill checks practitioner claims, load MCR_MUE_PractitionerServices"
                )
            found["units"] = at
        elif name == "mue adjudication indicator":
            found["indicator"] = at
        elif name == "mue rationale":
            found["rationale"] = at
    missing = [
        title
        for key, title in (
            ("units", "Practitioner Services MUE Values"),
            ("indicator", "MUE Adjudication Indicator"),
            ("rationale", "MUE Rationale"),
        )
        if key not in found
    ]
    if missing:
        raise ReferenceDataError(f"{label} line {line}: the header lacks {', '.join(missing)}")
    return found


def _problem(value: MueValue) -> str | None:
    if not _CODE.fullmatch(value.code):
        return f"code {value.code!r} is not a 5-character HCPCS/CPT code"
    if value.units < 0:
        return f"MUE value {value.units} is negative"
    if value.adjudication_indicator not in (1, 2, 3):
        return f"MUE adjudication indicator {value.adjudication_indicator} is not 1, 2 or 3"
    return None
