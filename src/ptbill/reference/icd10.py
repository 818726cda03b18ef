"""ICD-10-CM code sets by date of service: is a diagnosis code billable, a non-billable header, or unknown.

Reads the index that ``ptbill.reference.icd10_build`` compiles from the CMS/CDC tabular list (public domain).
"""

from __future__ import annotations

import bisect
import functools
import gzip
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from ptbill.domain.dates import DateRange
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.domain.identity_memo import BoundedMemo

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "reference_data" / "code_sets" / "icd10cm"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1

_CODES_FILE_TITLE = "# ICD-10-CM codes without the dot, compiled by ptbill.reference.icd10_build: do not edit"
_CHANGES_FILE_TITLE = "# ICD-10-CM codes added (+) and dropped (-), compiled by ptbill.reference.icd10_build, against"
_BILLABLE = "billable"
_HEADER = "header"


class CodeStatus(StrEnum):
    BILLABLE = "billable"  # a leaf of the tabular list: may go on a claim
    HEADER = "header"  # a valid category or subcategory with children: never billable itself
    UNKNOWN = "unknown"  # not in this code set at all


def normalize_code(code: str) -> str:
    """The form the index stores: upper case, no surrounding spaces, no dot (``m54.16 `` → ``M5416``).

    Only a dot after the third character is a dot; anywhere else it stays and the code is unknown.
    """
    key = code.strip().upper()
    if len(key) > 4 and key[3] == ".":
        return key[:3] + key[4:]
    return key


_SORTED: dict[str, tuple[str, ...]] = {}


def _sorted_billable(version: CodeSetVersion) -> tuple[str, ...]:
    # Sorted once per loaded version (about 20 ms), so listing a header's children is a binary search.
    ordered = _SORTED.get(version.id)
    if ordered is None:
        ordered = _SORTED[version.id] = tuple(sorted(version.billable_codes))
    return ordered


@dataclass(frozen=True)
class CodeSetVersion:
    """One compiled ICD-10-CM release and the dates of service it applies to."""

    id: str
    name: str
    effective: DateRange
    source: str
    # The billable and header codes; called once, on first use (a version stored as changes against another
    # builds its sets then, so loading the catalog costs only the versions a date of service needs).
    codes: Callable[[], tuple[frozenset[str], frozenset[str]]] = field(repr=False, compare=False)
    note: str = ""
    descriptions_path: Path | None = field(default=None, repr=False, compare=False)
    # Descriptions take longer to read than the codes (about 80 ms) and most runs never show one.
    _descriptions: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _descriptions_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _sets: list[tuple[frozenset[str], frozenset[str]]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _sets_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    # A version read from a well-formed codes file answers its first few ``status`` questions by searching the
    # file's text (about 0.2 ms each) instead of building its sets (about 20 ms): a note has a handful of codes.
    blocks: tuple[str, str] | None = field(default=None, repr=False, compare=False)
    _searches: list[int] = field(default_factory=lambda: [_SEARCHES], init=False, repr=False, compare=False)
    # Each code's status as the note spells it: a note's few codes are asked about by several checks, and the same
    # codes come back note after note. Emptied when it reaches _STATUS_MEMO entries.
    _statuses: BoundedMemo[str, CodeStatus] = field(
        default_factory=lambda: BoundedMemo(_STATUS_MEMO), init=False, repr=False, compare=False
    )

    def _code_sets(self) -> tuple[frozenset[str], frozenset[str]]:
        if not self._sets:
            with self._sets_lock:
                if not self._sets:
                    self._sets.append(self.codes())
        return self._sets[0]

    @property
    def billable_codes(self) -> frozenset[str]:
        return self._code_sets()[0]

    @property
    def header_codes(self) -> frozenset[str]:
        return self._code_sets()[1]

    def billable_under(self, header: str) -> list[str]:
        """The billable codes below a header (``M54.5`` → M5450, M5451, M5459), in code order."""
        prefix = normalize_code(header)
        ordered = _sorted_billable(self)
        # The codes below the header sort together: from the first at or after the prefix up to the first after
        # every code that starts with it (the prefix followed by the highest character).
        start = bisect.bisect_left(ordered, prefix)
        end = bisect.bisect_left(ordered, prefix + "\U0010ffff", start)
        return list(ordered[start:end])

    def status(self, code: str) -> CodeStatus:
        """``code`` may have the dot or not, any case, and spaces around it."""
        found = self._statuses.get(code)
        if found is None:
            found = self._statuses.keep(code, self._status(code))
        return found

    def _status(self, code: str) -> CodeStatus:
        key = normalize_code(code)
        if self.blocks is not None and not self._sets and self._searches[0] > 0:
            self._searches[0] -= 1
            # Each block is its codes, one a line, between newlines, and holds only 0-9 and A-Z (_code_blocks).
            if not key or not _CODE_CHARACTERS.fullmatch(key):
                return CodeStatus.UNKNOWN
            billable, headers = self.blocks
            if f"\n{key}\n" in billable:
                return CodeStatus.BILLABLE
            return CodeStatus.HEADER if f"\n{key}\n" in headers else CodeStatus.UNKNOWN
        if key in self.billable_codes:
            return CodeStatus.BILLABLE
        if key in self.header_codes:
            return CodeStatus.HEADER
        return CodeStatus.UNKNOWN

    def description(self, code: str) -> str | None:
        """The tabular-list title of ``code``, or None when the code is unknown or no descriptions shipped."""
        if self.descriptions_path is None:
            return None
        with self._descriptions_lock:
            if not self._descriptions:
                self._descriptions.update(_read_descriptions(self.descriptions_path))
        return self._descriptions.get(normalize_code(code))

    def __len__(self) -> int:
        return len(self.billable_codes) + len(self.header_codes)


@dataclass(frozen=True)
class Icd10Catalog:
    """Every loaded ICD-10-CM version, ordered by date, with no two covering the same day."""

    versions: tuple[CodeSetVersion, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("an ICD-10-CM catalog needs at least one code-set version")
        for earlier, later in zip(self.versions, self.versions[1:], strict=False):
            if later.effective.start < earlier.effective.start or earlier.effective.overlaps(later.effective):
                raise ValueError(
                    f"ICD-10-CM versions {earlier.id} ({earlier.effective}) and {later.id} "
                    f"({later.effective}) are out of order or cover the same days"
                )

    @classmethod
    def load(cls, directory: Path | None = None) -> Icd10Catalog:
        """Read ``manifest.json`` and every code file it lists; descriptions wait until asked for."""
        directory = DEFAULT_DIRECTORY if directory is None else directory
        manifest_path = directory / MANIFEST_NAME
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{manifest_path}: ICD-10-CM manifest not found") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{manifest_path}: not valid JSON ({error})") from None
        entries = _entries(manifest, manifest_path)
        # A version stored as changes against another (``base``) is read after the versions it builds on.
        loaded: dict[str, CodeSetVersion] = {}
        for entry in sorted(entries, key=lambda e: "base" in e):
            version = _load_version(directory, entry, manifest_path, loaded)
            loaded[version.id] = version
        return cls(tuple(sorted(loaded.values(), key=lambda version: version.effective.start)))

    def with_versions(self, others: Icd10Catalog) -> Icd10Catalog:
        """These versions plus ``others`` (installed ones); an installed version replaces any it overlaps."""
        kept = [v for v in self.versions if not any(v.effective.overlaps(o.effective) for o in others.versions)]
        return Icd10Catalog(tuple(sorted([*kept, *others.versions], key=lambda version: version.effective.start)))

    def version_for(self, day: date) -> tuple[CodeSetVersion, bool]:
        """The version in force on ``day`` and True; else the nearest loaded one and False.

        "Nearest" is the latest version that ended before ``day``, or the earliest version when
        ``day`` precedes them all, so a caller can say which code set it checked against instead.
        """
        for version in self.versions:
            if version.effective.contains(day):
                return version, True
        ended = [v for v in self.versions if v.effective.end is not None and v.effective.end <= day]
        return (ended[-1] if ended else self.versions[0]), False


@functools.cache
def default_catalog() -> Icd10Catalog:
    """The catalog shipped in the package, loaded once per process."""
    return Icd10Catalog.load()


def render_code_index(billable: frozenset[str], headers: frozenset[str]) -> str:
    """The codes file: a title line, then each section's sorted codes under ``[name count]``."""
    parts = [_CODES_FILE_TITLE]
    for section, codes in ((_BILLABLE, billable), (_HEADER, headers)):
        parts.append(f"[{section} {len(codes)}]")
        parts.extend(sorted(codes))
    return "\n".join(parts) + "\n"


_SEARCHES = 64  # status questions a version answers from its text before it builds its sets
_STATUS_MEMO = 4096  # codes (as spelled) whose status a version keeps
_CODE_CHARACTERS = re.compile(r"[0-9A-Z]+")
_CODE_BYTES = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _not_codes(block: str) -> bool:
    """Anything in ``block`` but codes of 0-9 and A-Z and the newlines between them (ASCII, as the file is read)."""
    return bool(block.encode("ascii", "replace").translate(None, _CODE_BYTES).strip(b"\n"))


def _code_blocks(text: str, counts: Mapping[str, object]) -> tuple[str, str] | None:
    """The billable and header blocks of a ``render_code_index`` text, each its codes between newlines, when
    the text is plainly well formed: each line one code of 0-9 and A-Z, as many as its section's count and the
    manifest's say (so a truncated file is refused as before). None otherwise: the sets are built and checked."""
    _, found, rest = ("\n" + text).partition(f"\n[{_BILLABLE} ")
    billable_count, _, rest = rest.partition("]")
    billable, found_header, rest = rest.partition(f"\n[{_HEADER} ")
    header_count, _, headers = rest.partition("]")
    if not (found and found_header and is_ascii_digits(billable_count) and is_ascii_digits(header_count)):
        return None
    billable += "\n"
    for block, count, key in ((billable, billable_count, "billable_count"), (headers, header_count, "header_count")):
        lines = block.count("\n") - 1
        if not block.startswith("\n") or "\n\n" in block or _not_codes(block):
            return None
        if lines != int(count) or counts.get(key, lines) != lines:
            return None
    return billable, headers


def parse_code_index(text: str, source: str = "codes file") -> tuple[frozenset[str], frozenset[str]]:
    """Billable and header codes from ``render_code_index`` output; counts are checked to catch truncation."""
    # str.partition and str.split run in C: this is most of why loading takes milliseconds.
    _, found, rest = ("\n" + text).partition(f"\n[{_BILLABLE} ")
    billable_count, _, rest = rest.partition("]")
    billable_block, found_header, rest = rest.partition(f"\n[{_HEADER} ")
    header_count, _, header_block = rest.partition("]")
    if not (found and found_header and is_ascii_digits(billable_count) and is_ascii_digits(header_count)):
        raise ValueError(f"{source}: not an ICD-10-CM codes file (missing [billable N] or [header N] line)")
    billable, headers = frozenset(billable_block.split()), frozenset(header_block.split())
    if len(billable) != int(billable_count) or len(headers) != int(header_count):
        raise ValueError(
            f"{source}: expected {billable_count} billable and {header_count} header codes, "
            f"found {len(billable)} and {len(headers)}; the file is damaged, rebuild it"
        )
    return billable, headers


def _read_descriptions(path: Path) -> dict[str, str]:
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: ICD-10-CM descriptions file not found") from None
    descriptions: dict[str, str] = {}
    for line in text.split("\n"):  # not splitlines(): it would also break titles at \x0c or \u2028
        code, _, title = line.partition("\t")
        if code:
            descriptions[code] = title
    return descriptions


def _entries(manifest: object, where: Path) -> list[dict[str, object]]:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f'{where}: expected a JSON object with "format": {MANIFEST_FORMAT}')
    entries = manifest.get("versions")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f'{where}: "versions" must be a non-empty list of objects')
    return entries


def _text(entry: dict[str, object], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f'{where}: "{key}" must be a non-empty string')
    return value


def _optional_text(entry: dict[str, object], key: str, where: str) -> str | None:
    return None if entry.get(key) is None else _text(entry, key, where)


def _day(entry: dict[str, object], key: str, where: str) -> date:
    text = _text(entry, key, where)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f'{where}: "{key}" must be a YYYY-MM-DD date, not {text!r}') from None


def render_code_changes(base: str, billable: frozenset[str], headers: frozenset[str], of: CodeSetVersion) -> str:
    """A changes file: the codes this version adds to and drops from ``of``, billable then header codes."""
    parts = [f"{_CHANGES_FILE_TITLE} {base}"]
    for section, mine, theirs in ((_BILLABLE, billable, of.billable_codes), (_HEADER, headers, of.header_codes)):
        for sign, codes in (("+", mine - theirs), ("-", theirs - mine)):
            parts.append(f"[{section}{sign} {len(codes)}]")
            parts.extend(sorted(codes))
    return "\n".join(parts) + "\n"


def apply_code_changes(text: str, base: CodeSetVersion, source: str) -> tuple[frozenset[str], frozenset[str]]:
    """The billable and header codes of a version stored as ``render_code_changes`` output over ``base``."""
    sections: dict[str, frozenset[str]] = {}
    for block in text.split("\n[")[1:]:
        head, _, body = block.partition("]")
        name, _, count = head.partition(" ")
        codes = frozenset(body.split())
        if not is_ascii_digits(count) or len(codes) != int(count):
            raise ValueError(f"{source}: section [{head}] holds {len(codes)} codes; the file is damaged, rebuild it")
        sections[name] = codes
    expected = {f"{s}{sign}" for s in (_BILLABLE, _HEADER) for sign in "+-"}
    if set(sections) != expected:
        raise ValueError(f"{source}: not an ICD-10-CM changes file (needs {', '.join(sorted(expected))})")
    billable = (base.billable_codes - sections[f"{_BILLABLE}-"]) | sections[f"{_BILLABLE}+"]
    headers = (base.header_codes - sections[f"{_HEADER}-"]) | sections[f"{_HEADER}+"]
    return frozenset(billable), frozenset(headers)


def _load_version(
    directory: Path, entry: dict[str, object], manifest_path: Path, loaded: dict[str, CodeSetVersion]
) -> CodeSetVersion:
    where = f"{manifest_path} version {entry.get('id')!r}"
    codes_path = directory / _text(entry, "codes_file", where)
    base_id = _optional_text(entry, "base", where)
    try:
        text = codes_path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ValueError(f"{where}: codes file {codes_path} not found") from None
    counts: dict[str, object] = {key: entry[key] for key in ("billable_count", "header_count") if key in entry}

    def checked(billable: frozenset[str], headers: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
        for key, found in (("billable_count", billable), ("header_count", headers)):
            if key in counts and counts[key] != len(found):
                raise ValueError(f"{where}: {key} is {counts[key]} but {codes_path} holds {len(found)}")
        return billable, headers

    blocks = None
    if base_id is None:
        blocks = _code_blocks(text, counts)
        # A well-formed file's sets wait for the first question its text does not answer; duplicate lines (which
        # only a hand edit makes) are then refused there, a file that is not well formed here at once.
        sets = [] if blocks is not None else [checked(*parse_code_index(text, str(codes_path)))]

        def codes() -> tuple[frozenset[str], frozenset[str]]:
            if not sets:
                sets.append(checked(*parse_code_index(text, str(codes_path))))
            return sets[0]
    elif base_id in loaded:
        base = loaded[base_id]

        def codes() -> tuple[frozenset[str], frozenset[str]]:
            return checked(*apply_code_changes(text, base, str(codes_path)))
    else:
        raise ValueError(f"{where}: its base version {base_id!r} is not in the manifest")
    start = _day(entry, "effective_from", where)
    end = None if entry.get("effective_to") is None else _day(entry, "effective_to", where)
    descriptions_file = _optional_text(entry, "descriptions_file", where)
    try:
        effective = DateRange(start, end)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return CodeSetVersion(
        id=_text(entry, "id", where),
        name=_text(entry, "name", where),
        effective=effective,
        source=_text(entry, "source", where),
        codes=codes,
        blocks=blocks,
        note=_optional_text(entry, "note", where) or "",
        # A version stored as changes shows its base's titles (the codes it adds have none).
        descriptions_path=directory / descriptions_file
        if descriptions_file
        else (loaded[base_id].descriptions_path if base_id else None),
    )
