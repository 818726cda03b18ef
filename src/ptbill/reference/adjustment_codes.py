"""What the 835's codes say: claim adjustment reason codes (CARC), remark codes (RARC) and group codes.

The shipped list (``code_sets/carc_rarc.csv``) is a PT-relevant selection of the X12 lists, each row
with its source; X12 publishes the full lists (x12.org/codes), so a clinic can load a newer CSV.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ptbill.domain.errors import ReferenceDataError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "reference_data" / "code_sets" / "carc_rarc.csv"
# Codes the extract above lacks and ptbill's own answers use (M38 with a GA line's PR-50), same columns, each
# with its source: laid over the extract whenever the shipped list is read.
ADDITIONS_PATH = DEFAULT_PATH.with_name("carc_rarc_additions.csv")

Kind = Literal["CARC", "RARC", "GROUP"]
KINDS: tuple[Kind, ...] = ("CARC", "RARC", "GROUP")
_KIND_NAMES: dict[str, Kind] = {k: k for k in KINDS}
_GROUPS = frozenset({"CO", "CR", "OA", "PI", "PR"})
# Remark codes are M…, MA… or N… plus digits; reason codes are digits or another letter plus digits.
_RARC = re.compile(r"(?:M|MA|N)[0-9]+")
_CODE = re.compile(r"[A-Z0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class CodeEntry:
    kind: Kind
    code: str
    description: str
    source: str = ""
    note: str = ""


def kind_of(code: str) -> Kind:
    """Guess a bare code's list from its shape, for lists that are only ``code,description``."""
    if code in _GROUPS:
        return "GROUP"
    return "RARC" if _RARC.fullmatch(code) else "CARC"


class AdjustmentCodes:
    """Descriptions of CARCs, RARCs and group codes; an unknown code says so and how to fix it."""

    def __init__(self, entries: Iterable[CodeEntry], origin: str = "") -> None:
        table: dict[tuple[Kind, str], CodeEntry] = {}
        for entry in entries:
            table[(entry.kind, entry.code)] = entry
        self._entries = MappingProxyType(table)
        self.origin = origin

    @classmethod
    def load(cls, path: Path | None = None, kind: Kind | None = None) -> AdjustmentCodes:
        """Read a list: ptbill's columns (``type,code,description,source,note``) or just ``code,description``.

        In a plain list, ``kind`` says which list it is; without it each code's kind is guessed from
        its shape (M/MA/N + digits = RARC, CO/CR/OA/PI/PR = group, else CARC).
        """
        if path is None:
            return cls(_read(DEFAULT_PATH, kind), str(DEFAULT_PATH)).updated(ADDITIONS_PATH)
        return cls(_read(path, kind), str(path))

    def updated(self, path: Path, kind: Kind | None = None) -> AdjustmentCodes:
        """These codes with a newer list's entries laid over them (new codes added, changed texts replaced)."""
        newer = _read(path, kind)
        return AdjustmentCodes([*self._entries.values(), *newer], f"{self.origin} + {path}")

    @property
    def entries(self) -> Mapping[tuple[Kind, str], CodeEntry]:
        return self._entries

    def get(self, kind: Kind, code: str) -> CodeEntry | None:
        return self._entries.get((kind, code.strip().upper()))

    def describe_carc(self, code: str) -> str:
        return self._describe("CARC", code)

    def describe_rarc(self, code: str) -> str:
        return self._describe("RARC", code)

    def group(self, code: str) -> str:
        """The name of a claim adjustment group code, e.g. CO → Contractual Obligations."""
        return self._describe("GROUP", code)

    def _describe(self, kind: Kind, code: str) -> str:
        entry = self.get(kind, code)
        if entry is None:
            label = "group code" if kind == "GROUP" else kind
            return f"unknown {label} {code.strip()} (load a newer list)"
        return entry.description


def _read(path: Path, kind: Kind | None) -> list[CodeEntry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the code list ({exc.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ReferenceDataError(f"{path}: the code list is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    if "code" in header and "description" in header:
        columns = {name: header.index(name) for name in header}
        body, first_line = rows[1:], 2
    else:
        columns = {"code": 0, "description": 1}  # a plain list with no header row
        body, first_line = rows, 1
    entries: list[CodeEntry] = []
    for line_number, row in enumerate(body, start=first_line):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        code = cell("code").upper()
        description = cell("description")
        where = f"{path} line {line_number}"
        if not _CODE.fullmatch(code):
            raise ReferenceDataError(f"{where}: {code!r} is not a CARC, RARC or group code")
        if not description:
            raise ReferenceDataError(f"{where}: code {code} has no description")
        named = cell("type").upper()
        row_kind = _KIND_NAMES.get(named) if named else kind or kind_of(code)
        if row_kind is None:
            raise ReferenceDataError(f"{where}: type {named!r} is not one of {', '.join(KINDS)}")
        entries.append(CodeEntry(row_kind, code, description, cell("source"), cell("note")))
    return entries
