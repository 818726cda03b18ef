"""NCCI procedure-to-procedure (PTP) edits for practitioners: which code pairs Medicare bundles on a date.

Source: CMS's quarterly Medicare NCCI practitioner PTP files (``ccipra-vNNNrN-f1`` … ``-f4``, one
tab-delimited TXT per ZIP), compiled once into a read-only sqlite3 file that opens in a millisecond.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import re
import sys
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TextIO, TypeVar, cast

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits

if TYPE_CHECKING:
    import sqlite3  # imported where a compiled table is written or opened: a check without one never needs it

PTP_FILE_NAME = "ncci_ptp.sqlite3"
MANIFEST_NAME = "manifest.json"
MANIFEST_KIND = "ncci_ptp"
BASELINE_PATH = Path(__file__).resolve().parent.parent / "reference_data/baseline/all/ncci_ptp.csv"
COMPILED_FORMAT_VERSION = 1

_FORMAT_TAG = "ptbill-ncci-ptp"
_SCHEMA = "CREATE TABLE ptp (low TEXT, high TEXT, packed INTEGER, PRIMARY KEY (low, high, packed)) WITHOUT ROWID"
_MODIFIER_INDICATORS = {"0": 0, "1": 1, "9": 9}
_CODE = re.compile(r"[0-9A-Z]{5}")
_NO_DELETION = frozenset({"*", "", "99991231"})  # CMS prints "*"; blank and 9999-12-31 are other tools' habit
_HEADER_SCAN_LIMIT = 50  # CMS's preamble is 6 lines; no header by line 50 means this is not a PTP file
# CMS names the quarter in its ZIP names ("medicare-ncci-2026q3-…", "…-2026-q3-…").
_QUARTER_IN_NAME = re.compile(r"(?<![0-9])([0-9]{4})-?q([1-4])(?![0-9])", re.IGNORECASE)
# ccipra-v322r0-f1: practitioner table, version 32.2, release 0, part 1 (ccioph: outpatient hospital).
_PTP_FILE_NAME = re.compile(r"cci(pra|oph)-v([0-9]{2})([0-9])r([0-9]+)-f([0-9]+)", re.IGNORECASE)
_CMS_PARTS = frozenset({1, 2, 3, 4})

# One edit is packed into one int, in memory and in the compiled file. A frozen dataclass per row would
# cost ~250 bytes in memory, and the full practitioner table has ~2.6 million rows (CMS's link text for
# v322r0: 675,037 + 675,235 + 674,890 + 608,227); an int costs 36. A lookup builds the PtpEdit of the
# one version it returns. From the low bits up:
_INDICATOR_BITS = {0: 0, 1: 1, 9: 2}  # 2 bits: modifier indicator
_INDICATOR_OF_BITS = (0, 1, 9)
_REVERSED_BIT = 1 << 2  # 1 bit: column 1 is the higher code of the (low, high) key
_SOURCE_SHIFT, _SOURCE_LIMIT = 3, 1 << 8  # 8 bits: index into the table's source names
_RATIONALE_SHIFT, _RATIONALE_LIMIT = 11, 1 << 12  # 12 bits: index into the table's rationale texts
_START_SHIFT = 23  # 20 bits: date ordinal of the first day in force
_END_SHIFT = 43  # 20 bits: ordinal of the first day no longer in force; 0 when never deleted
_ORDINAL_LIMIT = 1 << 20  # ordinals up to the year 2870
_ORDINAL_MASK = _ORDINAL_LIMIT - 1
_WITHOUT_SOURCE = ~((_SOURCE_LIMIT - 1) << _SOURCE_SHIFT)
_MEMO_LIMIT = 100_000  # pairs remembered by a table opened from disk before the memo starts over
_SAME_EDIT_MASK = _ORDINAL_MASK << _START_SHIFT | _REVERSED_BIT  # same column order, same start


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One CMS PTP edit: reported with ``column1`` for the same patient and day, ``column2`` is denied.

    ``modifier_indicator`` is CMS's: 0 = no modifier bypasses the edit; 1 = an NCCI-associated modifier
    (59, XE, XS, XP, XU …) may bypass it when the services were truly distinct; 9 = not applicable, the
    pair is not bundled (CMS deleted the edit, often back to its first day).

    ``effective`` ends (exclusive) on the day after CMS's "Deletion Date", because that date is the last
    day the edit is in force, not the first day it is gone: in CMS's 2026 Q3 file (ccipra-v322r0, in
    force from 2026-07-01) the edits that quarter removed carry 20260630, and the other deletion dates
    are last days of quarters (20231231, 20040331 …). Edits voided from the start carry a deletion date
    equal to their effective date and indicator 9.
    """

    column1: str
    column2: str
    effective: DateRange
    modifier_indicator: int
    rationale: str
    source: str

    @property
    def bundles(self) -> bool:
        """False for indicator 9: CMS lists the pair but does not bundle it."""
        return self.modifier_indicator != 9

    @property
    def modifier_allowed(self) -> bool:
        """True when a modifier such as 59 or XU may bypass the edit (indicator 1)."""
        return self.modifier_indicator == 1


class PtpTable:
    """The practitioner PTP edits of one CMS quarter, looked up by code pair and date of service.

    Build one with :meth:`load_cms_files`, :meth:`from_rows`, :meth:`open` or :meth:`baseline`; the
    constructor takes the packed index those produce: a dict keyed by the (lower, higher) code pair,
    holding that pair's packed dated versions, or the same read lazily from a compiled file.
    """

    def __init__(
        self,
        index: PairIndex,
        *,
        rationales: Sequence[str],
        sources: Sequence[str],
        rows: int,
        quarter: date | None,
        source: str,
        source_files: Sequence[str] = (),
        warnings: Sequence[str] = (),
    ) -> None:
        self._index = index
        self._rationales = tuple(rationales)
        self._sources = tuple(sources)
        self._rows = rows
        self.quarter = quarter
        self.source = source
        self.source_files = tuple(source_files)
        self.warnings = tuple(warnings)

    def __len__(self) -> int:
        return self._rows

    def __repr__(self) -> str:
        return f"<PtpTable {self._rows} edits, {quarter_label(self.quarter)}, {self.source}>"

    def lookup(self, code_a: str, code_b: str, on: date) -> PtpEdit | None:
        """The edit between the two codes in force on ``on``, whichever is column 1; else None.

        One dict probe and a scan of that pair's few dated versions (a table opened from disk also
        runs one indexed query the first time it is asked about a pair). Codes are matched as given
        (CMS prints them upper case, five characters). If CMS lists the pair in both column orders on
        the same day, an edit that bundles wins over an indicator-9 one, then the one that started later.
        """
        key = (code_a, code_b) if code_a <= code_b else (code_b, code_a)
        found = self._index.get(key)
        if found is None:
            return None
        day = on.toordinal()
        best = 0
        for packed in (found,) if isinstance(found, int) else found:
            end = packed >> _END_SHIFT
            if (
                (packed >> _START_SHIFT) & _ORDINAL_MASK <= day
                and (end == 0 or day < end)
                and (best == 0 or _outranks(packed, best))
            ):
                best = packed
        return None if best == 0 else self._edit(key, best)

    def edits(self) -> Iterator[PtpEdit]:
        """Every edit, every dated version, in code order."""
        for key, found in sorted(self._index.items()):
            for packed in (found,) if isinstance(found, int) else sorted(found, key=_start_ordinal):
                yield self._edit(key, packed)

    # -- building -----------------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[PtpEdit], *, quarter: date | None = None, source: str = "rows") -> PtpTable:
        """A table of the given edits (tests, the shipped baseline, a payer's own pairs)."""
        builder = _Builder()
        for number, edit in enumerate(rows, start=1):
            try:
                builder.add(
                    builder.code(edit.column1, "column 1"),
                    builder.code(edit.column2, "column 2"),
                    edit.effective.start.toordinal(),
                    edit.effective.end.toordinal() if edit.effective.end else 0,
                    edit.modifier_indicator,
                    builder.rationale_index(edit.rationale),
                    builder.source_index(edit.source),
                )
            except _RowError as error:
                raise ReferenceDataError(f"{source} row {number}: {error}") from None
        return builder.table(quarter=quarter, source=source, source_files=())

    @classmethod
    def load_cms_file(cls, path: str | os.PathLike[str], *, quarter: date | None = None) -> PtpTable:
        """Parse one CMS PTP file: a TXT/CSV part or a ZIP of them. See :meth:`load_cms_files`."""
        return cls.load_cms_files([path], quarter=quarter)

    @classmethod
    def load_cms_files(cls, paths: Iterable[str | os.PathLike[str]], *, quarter: date | None = None) -> PtpTable:
        """Parse CMS practitioner PTP files: tab-delimited TXT, CSV saved from CMS's XLSX, or ZIPs of them.

        CMS ships the practitioner table in parts f1–f4, each in its own ZIP: pass them all (a missing
        part becomes a warning). The quarter is ``quarter`` if given, else read from the names
        (``…2026q3…`` or ``ccipra-v322r0``), else None. Raises ReferenceDataError naming the file and
        line of the first bad row.
        """
        files = [Path(p) for p in paths]
        builder = _Builder()
        seen: list[str] = []
        quarters: dict[date, str] = {}
        for path in files:
            with contextlib.closing(open_inputs(path, (".txt", ".csv"))) as inputs:
                for label, member, stream in inputs:
                    with stream:
                        if member in seen:
                            raise ReferenceDataError(f"{label}: {member} was given twice")
                        seen.append(member)
                        if _is_hospital_file(member):
                            raise ReferenceDataError(
                                f"{label}: this is CMS's outpatient hospital PTP table (ccioph); "
                                "ptbill checks practitioner claims, load the ccipra files"
                            )
                        named = quarter_from_name(member) or quarter_from_name(path.name)
                        source = builder.source_index(f"{member}, {quarter_label(quarter or named)}")
                        if not _parse_ptp(stream, label, source, builder):
                            builder.warnings.append(f"{label}: no 'Column 1, Column 2' header; skipped")
                            continue
                        builder.files.append(member)
                        if named is not None:
                            quarters.setdefault(named, label)
        if not builder.files:
            raise ReferenceDataError(
                f"{', '.join(p.name for p in files) or 'no files given'}: no CMS PTP file found (expected "
                "a tab-delimited TXT with CMS's notice lines and a 'Column 1, Column 2 …' header)"
            )
        if quarter is None and len(quarters) > 1:
            found = ", ".join(f"{quarter_label(q)} ({where})" for q, where in sorted(quarters.items()))
            raise ReferenceDataError(f"the files are from different quarters: {found}")
        builder.warnings.extend(_missing_parts(builder.files))
        return builder.table(
            quarter=quarter or next(iter(quarters), None),
            source=_files_label(builder.files),
            source_files=builder.files,
        )

    @classmethod
    def baseline(cls) -> PtpTable:
        """The shipped baseline: only the pairs CMS's own text confirms (see the CSV's notes)."""
        return _read_baseline(BASELINE_PATH)

    # -- the compiled form --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the compiled form atomically (a temporary file in the same folder, then a rename).

        A sqlite3 file: table ``ptp`` has one row per dated edit, (lower code, higher code, packed
        int), keyed by the pair; table ``meta`` holds the quarter, sources and rationale texts.
        """
        header = {
            "quarter": self.quarter.isoformat() if self.quarter else None,
            "source": self.source,
            "source_files": list(self.source_files),
            "warnings": list(self.warnings),
            "rows": self._rows,
            "keys": len(self._index),
            "rationales": list(self._rationales),
            "sources": list(self._sources),
        }
        rows = (
            (low, high, packed)
            for (low, high), found in sorted(self._index.items())
            for packed in ((found,) if isinstance(found, int) else found)
        )
        write_compiled(Path(path), _FORMAT_TAG, header, _SCHEMA, "INSERT INTO ptp VALUES (?, ?, ?)", rows)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, preload: bool = False) -> PtpTable:
        """Reopen a table written by :meth:`save`; rows are read when first looked up.

        Opening takes about a millisecond whatever the size; each pair's first lookup costs one
        indexed query (a few microseconds), later ones a dict probe. ``preload=True`` reads every
        row now (about a second per million) for processes that check many claims.
        The file is opened read-only and never unpickled: a damaged or foreign file fails to load.
        """
        path = Path(path)
        connection, meta = open_compiled(path, _FORMAT_TAG)
        try:
            stored = StoredLookup[tuple[str, str], int | tuple[int, ...]](
                connection,
                size=_count(meta, "keys"),
                label=str(path),
                select_one="SELECT packed FROM ptp WHERE low = ? AND high = ?",
                select_all="SELECT low, high, packed FROM ptp ORDER BY low, high",
                key_columns=2,
                decode=_decode_versions,
            )
            index: PairIndex = stored
            if preload:
                index = dict(stored.items())
                stored.close()
                if sum(1 if isinstance(v, int) else len(v) for v in index.values()) != meta["rows"]:
                    raise ValueError(f"{len(index)} pairs do not hold the {meta['rows']} rows the header says")
            quarter = meta["quarter"]
            return cls(
                index,
                rationales=string_list(meta, "rationales"),
                sources=string_list(meta, "sources"),
                rows=_count(meta, "rows"),
                quarter=date.fromisoformat(quarter) if isinstance(quarter, str) else None,
                source=str(meta["source"]),
                source_files=string_list(meta, "source_files"),
                warnings=string_list(meta, "warnings"),
            )
        except (ValueError, KeyError) as error:
            connection.close()
            raise ReferenceDataError(f"{path}: damaged compiled PTP table ({error}); load the CMS file again") from None

    def install(self, data_dir: str | os.PathLike[str], *, loaded_at: datetime | None = None) -> Path:
        """Save as ``data_dir``'s installed table and record it in the manifest; returns the file written."""
        data_dir = Path(data_dir)
        target = data_dir / PTP_FILE_NAME
        self.save(target)
        record_in_manifest(
            data_dir,
            MANIFEST_KIND,
            {
                "file": PTP_FILE_NAME,
                "source": self.source,
                "source_files": list(self.source_files),
                "rows": self._rows,
                "quarter": self.quarter.isoformat() if self.quarter else None,
                "loaded_at": (loaded_at or SYSTEM_CLOCK.now()).isoformat(timespec="seconds"),
                "warnings": list(self.warnings),
            },
        )
        return target

    def _edit(self, key: tuple[str, str], packed: int) -> PtpEdit:
        low, high = key
        column1, column2 = (high, low) if packed & _REVERSED_BIT else (low, high)
        end = packed >> _END_SHIFT
        try:
            return PtpEdit(
                column1=column1,
                column2=column2,
                effective=DateRange(
                    date.fromordinal((packed >> _START_SHIFT) & _ORDINAL_MASK),
                    date.fromordinal(end) if end else None,
                ),
                modifier_indicator=_INDICATOR_OF_BITS[packed & 3],
                rationale=self._rationales[(packed >> _RATIONALE_SHIFT) & (_RATIONALE_LIMIT - 1)],
                source=self._sources[(packed >> _SOURCE_SHIFT) & (_SOURCE_LIMIT - 1)],
            )
        except (IndexError, ValueError) as error:
            raise ReferenceDataError(
                f"damaged PTP table ({self.source}): edit {column1}/{column2} cannot be read ({error})"
            ) from None


def installed_ptp_table(data_dir: str | os.PathLike[str]) -> PtpTable | None:
    """The table ``ptbill reference load-ncci`` installed in ``data_dir``, or None when there is none.

    Reopened only when the file changes, so a long-running process may call this for every check.
    """
    return open_when_changed(Path(data_dir) / PTP_FILE_NAME, PtpTable.open)


_Table = TypeVar("_Table")
_opened: dict[Path, tuple[tuple[int, int, int], object]] = {}


def open_when_changed(path: Path, opener: Callable[[Path], _Table]) -> _Table | None:
    """The compiled table at ``path``, opened again only when the file was replaced; None when absent."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    cached = _opened.get(path)
    if cached is None or cached[0] != stamp:
        cached = _opened[path] = (stamp, opener(path))
    return cast("_Table", cached[1])


def quarter_from_name(name: str) -> date | None:
    """The first day of the quarter a CMS file name names, or None.

    Reads ``2026q3`` / ``2026-q3`` (CMS's ZIP names) and ``ccipra-v322r0`` (the PTP file names). The
    version rule (v32.2 → 1994 + 32 = 2026, quarter 2 + 1 = Q3) is our inference from CMS's link names,
    which pair v320r0, v321r0 and v322r0 with 2026 Q1, Q2 and Q3; give the quarter if CMS changes it.
    """
    match = _QUARTER_IN_NAME.search(name)
    if match:
        return date(int(match[1]), 3 * int(match[2]) - 2, 1)
    match = _PTP_FILE_NAME.search(name)
    if match and int(match[3]) <= 3:
        return date(1994 + int(match[2]), 3 * int(match[3]) + 1, 1)
    return None


def quarter_label(quarter: date | None) -> str:
    """``2026-Q3`` for a quarter's first day, the ISO date otherwise, "quarter unknown" for None."""
    if quarter is None:
        return "quarter unknown"
    if quarter.day == 1 and quarter.month in (1, 4, 7, 10):
        return f"{quarter.year}-Q{(quarter.month + 2) // 3}"
    return quarter.isoformat()


# -- files and the installed-table manifest; ptbill.reference.mue uses these too --------------------


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Have ``write`` fill a temporary file beside ``path``, then rename it over ``path``.

    Readers never see half a file, and on any failure the temporary file is removed and whatever
    was at ``path`` stays as it was.
    """
    import tempfile  # only writing a table needs it: a check never loads it

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        handle = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(handle)  # on disk before the rename makes it the installed file
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_manifest(data_dir: str | os.PathLike[str]) -> dict[str, dict[str, object]]:
    """What is installed in ``data_dir``, by kind (``ncci_ptp``, ``mue_practitioner``); {} when nothing."""
    path = Path(data_dir) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReferenceDataError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not all(isinstance(v, dict) for v in manifest.values()):
        raise ReferenceDataError(f"{path}: expected a JSON object holding one object per kind of table")
    return manifest


def record_in_manifest(data_dir: Path, kind: str, entry: dict[str, object]) -> None:
    """Replace the manifest's entry for ``kind``, keeping the others; written atomically."""
    manifest = read_manifest(data_dir)
    manifest[kind] = entry
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_atomically(data_dir / MANIFEST_NAME, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def open_inputs(path: Path, suffixes: tuple[str, ...]) -> Generator[tuple[str, str, TextIO]]:
    """Each data file of ``path`` as (label for messages, file name, text stream the caller closes).

    A ZIP yields its members ending in one of ``suffixes`` (any case); any other file is yielded as
    itself. CMS files are Latin-1 (the AMA notice's ® is byte 0xAE). Latin-1 never fails to decode, so
    a stray byte shows up as a bad code or date on a named line instead of a crash.
    """
    if not path.exists():
        raise ReferenceDataError(f"{path}: file not found")
    if path.is_dir():
        raise ReferenceDataError(f"{path}: is a folder; give the CMS ZIP or the files in it")
    if path.suffix.lower() in (".xlsx", ".xls"):
        wanted = " or ".join(suffix.lstrip(".").upper() for suffix in suffixes)
        raise ReferenceDataError(
            f"{path.name}: spreadsheets are not read; give the {wanted} file from the same CMS ZIP"
        )
    import zipfile  # only reading a CMS file needs it

    if not zipfile.is_zipfile(path):
        yield path.name, path.name, open(path, encoding="latin-1", newline="")  # noqa: SIM115 - caller closes
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ReferenceDataError(f"{path}: not a readable ZIP file ({error})") from None
    with archive:
        members = sorted(
            (
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(suffixes)
                and not info.filename.startswith("__MACOSX/")
            ),
            key=lambda info: info.filename,
        )
        if not members:
            names = [info.filename for info in archive.infolist()]
            held = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "") or "nothing"
            wanted = " or ".join(suffix.lstrip(".").upper() for suffix in suffixes)
            raise ReferenceDataError(f"{path.name}: no {wanted} file in the ZIP (it holds {held})")
        for info in members:
            name = Path(info.filename).name
            try:
                raw = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise ReferenceDataError(f"{path.name}/{name}: cannot be read from the ZIP ({error})") from None
            yield f"{path.name}/{name}", name, io.TextIOWrapper(raw, encoding="latin-1", newline="")


def write_compiled(
    path: Path, tag: str, header: Mapping[str, object], schema: str, insert: str, rows: Iterable[tuple[Any, ...]]
) -> None:
    """Write a compiled table: a sqlite3 file with ``schema``'s table, filled by ``insert`` from ``rows``,
    and a ``meta`` table holding ``tag`` (with the format version) and the JSON ``header``. Atomic.
    """

    import sqlite3

    def build(temporary: Path) -> None:
        connection = sqlite3.connect(temporary)
        try:
            # A fresh file written once then renamed: no journal and no syncing per statement needed.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
            connection.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("format", f"{tag} {COMPILED_FORMAT_VERSION}"), ("header", json.dumps(header))],
            )
            connection.execute(schema)
            connection.executemany(insert, rows)
            connection.commit()
        finally:
            connection.close()

    write_atomically(path, build)


def open_compiled(path: Path, tag: str) -> tuple[sqlite3.Connection, dict[str, object]]:
    """Open a compiled table read-only and return the connection and its JSON header.

    Raises ReferenceDataError when the file is missing, not sqlite3, truncated, of another kind
    (``tag``) or of another format version.
    """
    import sqlite3

    if not path.is_file():
        raise ReferenceDataError(f"{path}: not found")
    # immutable=1: installs replace the file by rename and never change it in place, so sqlite can
    # skip locking; an open table keeps reading the file it opened.
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        (page_count,) = connection.execute("PRAGMA page_count").fetchone()
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        if page_count * page_size != path.stat().st_size:
            raise ValueError(f"{path.stat().st_size} bytes where sqlite expects {page_count * page_size}")
        if meta.get("format") != f"{tag} {COMPILED_FORMAT_VERSION}":
            raise ValueError(f"it is {meta.get('format')!r}, not {tag} format {COMPILED_FORMAT_VERSION}")
        header = json.loads(meta["header"])
        if not isinstance(header, dict):
            raise ValueError("its header is not a JSON object")
    except (sqlite3.Error, ValueError, KeyError, TypeError) as error:
        connection.close()
        raise ReferenceDataError(f"{path}: not a usable compiled table ({error}); load the CMS file again") from None
    except BaseException:
        connection.close()
        raise
    return connection, header


_Key = TypeVar("_Key", str, tuple[str, str])
_Value = TypeVar("_Value")
_Result = TypeVar("_Result")
_UNSEEN: Any = object()


class StoredLookup(Generic[_Key, _Value]):
    """Rows of a compiled table fetched by key on first use and remembered (up to _MEMO_LIMIT keys).

    Safe to share between threads. The connection closes when the lookup is closed or collected.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        size: int,
        label: str,
        select_one: str,
        select_all: str,
        key_columns: int,
        decode: Callable[[_Key, list[tuple[Any, ...]]], _Value],
    ) -> None:
        self._connection = connection
        self._size = size
        self._label = label
        self._select_one = select_one
        self._select_all = select_all
        self._key_columns = key_columns
        self._decode: Callable[[_Key, list[tuple[Any, ...]]], _Value] = decode
        self._memo: dict[_Key, _Value | None] = {}
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[[], Any] = weakref.finalize(self, connection.close)

    def __len__(self) -> int:
        return self._size

    def get(self, key: _Key, /) -> _Value | None:
        found = self._memo.get(key, _UNSEEN)
        if found is not _UNSEEN:
            return found
        with self._lock:
            rows = self._query(self._select_one, key if isinstance(key, tuple) else (key,))
        value = self._decode(key, rows) if rows else None
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()  # simpler than an LRU, and a clinic's claims reuse a few hundred codes
        self._memo[key] = value
        return value

    def items(self) -> Iterator[tuple[_Key, _Value]]:
        """Every key and value, in key order, read in batches (the lock is held per batch only)."""
        width = self._key_columns
        with self._lock:
            cursor = self._run(lambda: self._connection.execute(self._select_all))

        def batches() -> Iterator[tuple[Any, ...]]:
            while True:
                with self._lock:
                    batch = self._run(lambda: cursor.fetchmany(10_000))
                if not batch:
                    return
                yield from batch

        intern = sys.intern  # sqlite returns a new string per row; codes repeat thousands of times

        def key_of(row: tuple[Any, ...]) -> _Key:
            return cast(_Key, tuple(map(intern, row[:width])) if width > 1 else intern(row[0]))

        for key, group in itertools.groupby(batches(), key=key_of):
            yield key, self._decode(key, [row[width:] for row in group])

    def close(self) -> None:
        self._finalizer()

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        return self._run(lambda: self._connection.execute(sql, parameters).fetchall())

    def _run(self, work: Callable[[], _Result]) -> _Result:
        import sqlite3  # loaded already: the connection was opened by open_compiled

        try:
            return work()
        except sqlite3.DatabaseError as error:
            raise ReferenceDataError(
                f"{self._label}: damaged compiled table ({error}); load the CMS file again"
            ) from None


class PairIndex(Protocol):
    """The packed PTP versions by (lower code, higher code): a dict, or a StoredLookup."""

    def get(self, key: tuple[str, str], /) -> int | tuple[int, ...] | None: ...

    def items(self) -> Iterable[tuple[tuple[str, str], int | tuple[int, ...]]]: ...

    def __len__(self) -> int: ...


# -- parsing -----------------------------------------------------------------------------------------


class _RowError(Exception):
    """A problem with one row; the loop that knows the file and line turns it into a ReferenceDataError."""


class _Builder:
    """Collects packed edits, interned codes and the small tables of rationale texts and sources."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], int | tuple[int, ...]] = {}
        self.rows = 0
        self.void_rows = 0
        self.rationales: list[str] = []
        self.sources: list[str] = []
        self.files: list[str] = []
        self.warnings: list[str] = []
        # Caches: a CMS file repeats a few thousand codes and dates and about ten rationales.
        self._rationale_ids: dict[str, int] = {}
        self._codes: dict[str, str] = {}
        self._ordinals: dict[str, int] = {}

    def rationale_index(self, text: str) -> int:
        found = self._rationale_ids.get(text)
        if found is None:
            if len(self.rationales) >= _RATIONALE_LIMIT:
                raise _RowError(f"more than {_RATIONALE_LIMIT} different PTP edit rationales")
            found = self._rationale_ids[text] = len(self.rationales)
            self.rationales.append(text)
        return found

    def source_index(self, source: str) -> int:
        if source not in self.sources:
            if len(self.sources) >= _SOURCE_LIMIT:
                raise ReferenceDataError(f"more than {_SOURCE_LIMIT} source files for one PTP table")
            self.sources.append(source)
        return self.sources.index(source)

    def code(self, text: str, column: str) -> str:
        found = self._codes.get(text)
        if found is None:
            clean = text.strip()
            if not _CODE.fullmatch(clean):
                raise _RowError(f"{column} code {text!r} is not a 5-character HCPCS/CPT code")
            found = self._codes[text] = sys.intern(clean)
        return found

    def ordinal(self, text: str, field: str) -> int:
        found = self._ordinals.get(text)
        if found is None:
            digits = text.strip()
            try:
                if len(digits) != 8 or not is_ascii_digits(digits):
                    raise ValueError(digits)
                found = date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).toordinal()
            except ValueError:
                raise _RowError(f"{field} {text!r} is not a YYYYMMDD date") from None
            self._ordinals[text] = found
        return found

    def add(
        self, column1: str, column2: str, start: int, end: int, indicator: int, rationale: int, source: int
    ) -> None:
        if end and end <= start:
            self.void_rows += 1  # deleted before it began: never in force, nothing to check
            return
        if indicator not in _INDICATOR_BITS:
            raise _RowError(f"modifier indicator {indicator!r} is not 0, 1 or 9")
        if max(start, end) >= _ORDINAL_LIMIT:
            raise _RowError(f"date {date.fromordinal(max(start, end))} is too far in the future")
        if column1 <= column2:
            key, reversed_bit = (column1, column2), 0
        else:
            key, reversed_bit = (column2, column1), _REVERSED_BIT
        packed = (
            _INDICATOR_BITS[indicator]
            | reversed_bit
            | source << _SOURCE_SHIFT
            | rationale << _RATIONALE_SHIFT
            | start << _START_SHIFT
            | end << _END_SHIFT
        )
        found = self.index.get(key)
        if found is None:
            self.index[key] = packed
            self.rows += 1
            return
        versions = (found,) if isinstance(found, int) else found
        for other in versions:
            if (other ^ packed) & _SAME_EDIT_MASK == 0:
                if (other ^ packed) & _WITHOUT_SOURCE == 0:
                    return  # the same row again (overlapping exports): nothing new
                raise _RowError(
                    f"edit {column1}/{column2} effective {date.fromordinal(start)} "
                    "is listed twice with different values"
                )
        self.index[key] = (*versions, packed)
        self.rows += 1

    def table(self, *, quarter: date | None, source: str, source_files: Sequence[str]) -> PtpTable:
        warnings = list(self.warnings)
        if self.void_rows:
            warnings.append(
                f"{self.void_rows} row(s) have a deletion date before their effective date "
                "(never in force) and were left out"
            )
        return PtpTable(
            self.index,
            rationales=self.rationales,
            sources=self.sources,
            rows=self.rows,
            quarter=quarter,
            source=source,
            source_files=source_files,
            warnings=warnings,
        )


def _parse_ptp(stream: TextIO, label: str, source: int, builder: _Builder) -> bool:
    """Add every edit of one CMS PTP file to ``builder``; False when the file has no PTP header.

    CMS's TXT: an AMA notice line, a title line ("Column1/Column2 Edits"), a header wrapped over four
    lines whose first reads ``Column 1, Column 2, *=in existence, Effective, Deletion, Modifier, PTP Edit
    Rationale``, then one edit per line: two codes, ``*`` or blank, YYYYMMDD, YYYYMMDD or ``*``, 0/1/9,
    rationale. All tab-separated. CMS's XLSX holds the same rows; saved as CSV it reads the same way.
    """
    first = stream.readline()
    lines = itertools.chain((first,), stream)
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE) if "\t" in first else csv.reader(lines)
    for fields in reader:
        if len(fields) >= 2 and fields[0].strip().lower() == "column 1" and fields[1].strip().lower() == "column 2":
            break
        if reader.line_num >= _HEADER_SCAN_LIMIT:
            return False
    else:
        return False
    in_header = True  # the header's wrapped lines follow it, their code columns blank
    code, ordinal, rationale_index, add = builder.code, builder.ordinal, builder.rationale_index, builder.add
    indicators = _MODIFIER_INDICATORS
    try:
        for fields in reader:
            if (not fields or not fields[0].strip()) and (in_header or not any(f.strip() for f in fields)):
                continue  # one of the header's wrapped lines, or a blank line
            in_header = False
            if len(fields) < 6:
                raise _RowError(
                    f"expected 7 fields (two codes, 1996 flag, effective date, deletion date, "
                    f"modifier indicator, rationale), found {len(fields)}"
                )
            column1 = code(fields[0], "column 1")
            column2 = code(fields[1], "column 2")
            if fields[2] and fields[2].strip() not in ("", "*"):
                raise _RowError(f"'in existence prior to 1996' is {fields[2]!r}, expected '*' or blank")
            start = ordinal(fields[3], "effective date")
            deletion = fields[4]
            # CMS's deletion date is the last day in force (see PtpEdit); our ranges end the day after.
            end = 0 if deletion.strip() in _NO_DELETION else ordinal(deletion, "deletion date") + 1
            indicator = indicators.get(fields[5].strip())
            if indicator is None:
                raise _RowError(f"modifier indicator {fields[5]!r} is not 0, 1 or 9")
            rationale = rationale_index(fields[6].strip() if len(fields) > 6 else "")
            add(column1, column2, start, end, indicator, rationale, source)
    except _RowError as error:
        raise ReferenceDataError(f"{label} line {reader.line_num}: {error}") from None
    return True


def _decode_versions(key: tuple[str, str], rows: list[tuple[Any, ...]]) -> int | tuple[int, ...]:
    """One pair's rows (packed ints) as the index holds them: the int alone, or a tuple of versions."""
    if len(rows) == 1:
        return int(rows[0][0])
    return tuple(int(row[0]) for row in rows)


def _count(meta: dict[str, object], key: str) -> int:
    value = meta[key]
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{key!r} is not a count")
    return value


def string_list(meta: dict[str, object], key: str) -> list[str]:
    """A compiled table's header entry that must be a list of strings (shared with the MUE table)."""
    value = meta[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} is not a list of strings")
    return value


def _start_ordinal(packed: int) -> int:
    return (packed >> _START_SHIFT) & _ORDINAL_MASK


def _outranks(packed: int, other: int) -> bool:
    """An edit that bundles beats an indicator-9 one; then the later start wins."""
    packed_bundles, other_bundles = (packed & 3) != _INDICATOR_BITS[9], (other & 3) != _INDICATOR_BITS[9]
    if packed_bundles != other_bundles:
        return packed_bundles
    return (packed >> _START_SHIFT) & _ORDINAL_MASK > (other >> _START_SHIFT) & _ORDINAL_MASK


def _is_hospital_file(name: str) -> bool:
    match = _PTP_FILE_NAME.search(name)
    return match is not None and match[1].lower() == "oph"


def _missing_parts(files: Sequence[str]) -> list[str]:
    """CMS splits the practitioner table into parts f1–f4; warn when some were not given."""
    parts: dict[str, set[int]] = {}
    for name in files:
        match = _PTP_FILE_NAME.search(name)
        if match:
            parts.setdefault(f"ccipra-v{match[2]}{match[3]}r{match[4]}", set()).add(int(match[5]))
    if len(parts) > 1:
        raise ReferenceDataError(f"the files are from different PTP versions: {', '.join(sorted(parts))}")
    return [
        f"only part(s) {', '.join(f'f{p}' for p in sorted(found))} of {version} were given; CMS publishes "
        "the practitioner table as f1–f4, so edits in the missing parts will not be checked"
        for version, found in parts.items()
        if _CMS_PARTS - found
    ]


def _files_label(files: Sequence[str]) -> str:
    return ", ".join(files) if len(files) <= 2 else f"{files[0]} … {files[-1]} ({len(files)} files)"


def _read_baseline(path: Path) -> PtpTable:
    """Read the shipped baseline CSV (columns: see the file); ISO dates, deletion_date exclusive."""
    required = ["column1", "column2", "effective_date", "deletion_date", "modifier_indicator"]
    required += ["rationale", "source"]
    edits: list[PtpEdit] = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in required if column not in (reader.fieldnames or ())]
            if missing:
                raise ReferenceDataError(f"{path}: missing column(s) {', '.join(missing)}")
            for row in reader:
                try:
                    # Unlike CMS's files, deletion_date here follows DateRange: the first day not in force.
                    end = row["deletion_date"].strip()
                    edits.append(
                        PtpEdit(
                            column1=row["column1"].strip(),
                            column2=row["column2"].strip(),
                            effective=DateRange(
                                date.fromisoformat(row["effective_date"].strip()),
                                date.fromisoformat(end) if end else None,
                            ),
                            modifier_indicator=int(row["modifier_indicator"]),
                            rationale=row["rationale"].strip(),
                            source=row["source"].strip(),
                        )
                    )
                except (ValueError, AttributeError) as error:
                    raise ReferenceDataError(f"{path.name} line {reader.line_num}: {error}") from None
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: baseline PTP file not found") from None
    return PtpTable.from_rows(edits, source=f"ptbill baseline {path.name}")
