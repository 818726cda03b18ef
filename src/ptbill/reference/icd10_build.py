"""Compiles a CMS ICD-10-CM tabular-list XML into the small index ``ptbill.reference.icd10`` loads.

By default it reads the April 1, 2026 files packaged in simple-icd-10-cm 1.5.0; run ``python -m
ptbill.reference.icd10_build --help`` to compile another CMS release (for example FY2027).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ptbill.domain.dates import DateRange
from ptbill.reference.icd10 import (
    DEFAULT_DIRECTORY,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    CodeSetVersion,
    Icd10Catalog,
    render_code_changes,
    render_code_index,
)

SIMPLE_ICD_XML = "icd10c-tabular-April-1-2026.xml"
SIMPLE_ICD_CODE_LIST = "code-list-April-2026.txt"

DEFAULT_ID = "fy2026-april"
DEFAULT_NAME = "ICD-10-CM FY2026 (April 1, 2026 update)"
DEFAULT_FROM = date(2025, 10, 1)
DEFAULT_TO = date(2026, 10, 1)
DEFAULT_SOURCE = (
    "CMS/CDC ICD-10-CM tabular list, April 1, 2026 release (public domain): "
    f"{SIMPLE_ICD_XML} and {SIMPLE_ICD_CODE_LIST} as packaged in simple-icd-10-cm 1.5.0 (MIT)"
)
DEFAULT_NOTE = (
    "This is the April 1, 2026 update of FY2026 applied to the whole fiscal year: codes added on "
    "2026-04-01 are also accepted for dates of service from 2025-10-01 to 2026-03-31."
)

_MANIFEST_ABOUT = (
    "ICD-10-CM code sets compiled by `python -m ptbill.reference.icd10_build` (see SOURCE.md). "
    "effective_to is exclusive: the first date of service the version no longer covers. "
    "A codes file lists codes without the dot: billable (leaf) codes, then header (non-leaf) codes."
)
# The second character is not always a digit: see category QA0 (genetic disorders) in this release.
_CODE_IN_XML = re.compile(r"[A-Z][0-9A-Z]{2}(?:\.[0-9A-Z]{1,4})?")
_CODE_LIKE = re.compile(r"[A-Z][0-9A-Z]{2,6}")
_VERSION_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_SEVENTH_CHARACTER_BASE_LENGTH = 6


@dataclass(frozen=True)
class CompiledCodeSet:
    """Codes without the dot; ``problems`` lists disagreements between the XML and the code list."""

    billable: frozenset[str]
    headers: frozenset[str]
    descriptions: dict[str, str]
    tabular_version: str
    problems: tuple[str, ...] = ()


@dataclass(slots=True)
class _Diag:
    inherited_seventh: dict[str, str] | None
    name: str = ""
    title: str = ""
    has_children: bool = False
    seventh: dict[str, str] | None = None
    last_seventh: str | None = None


def read_code_list(path: Path) -> frozenset[str]:
    """Codes from a list with a code near the start of each line, dot optional.

    Reads simple-icd-10-cm's ``code-list-*.txt``, CMS's ``icd10cm-codes-YYYY.txt`` and CMS's order
    file alike: a line's code is its first token that starts with a letter, which skips the order number.
    """
    codes: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        token = next((t for t in line.split() if t[0].isalpha()), None)
        if token is not None:
            codes.add(token.replace(".", "").upper())
    return frozenset(codes)


def compile_tabular(tabular_xml: Path, code_list: frozenset[str]) -> CompiledCodeSet:
    """Walk the tabular list: a ``diag`` with child ``diag``s is a header, one without is billable.

    A leaf under a ``sevenChrDef`` becomes a header whose children are the code padded with X to six
    characters plus each 7th character. The XML cannot say that some 7th characters do not apply
    (S06.1X7 takes only A), so an extended code is kept only if ``code_list`` holds it, which is
    what simple-icd-10-cm does.
    """
    reader = _TabularReader(str(tabular_xml), code_list)
    for event, element in ET.iterparse(tabular_xml, events=("start", "end")):
        if event == "start":
            reader.start(element.tag)
        else:
            reader.end(element)
    if not reader.billable:
        raise ValueError(f"{tabular_xml}: no <diag> codes found; is this an ICD-10-CM tabular XML?")
    return CompiledCodeSet(
        billable=frozenset(reader.billable),
        headers=frozenset(reader.headers),
        descriptions=reader.descriptions,
        tabular_version=reader.tabular_version,
        problems=_cross_check(reader.billable, set(reader.descriptions), code_list),
    )


class _TabularReader:
    """Streaming state for ``iterparse``: the open elements and the ``diag``s among them."""

    def __init__(self, source: str, code_list: frozenset[str]) -> None:
        self.source = source
        self.code_list = code_list
        self.billable: set[str] = set()
        self.headers: set[str] = set()
        self.descriptions: dict[str, str] = {}
        self.tabular_version = ""
        self.tags: list[str] = []
        self.diags: list[_Diag] = []

    def start(self, tag: str) -> None:
        self.tags.append(tag)
        if tag == "diag":
            parent = self.diags[-1] if self.diags else None
            inherited = None
            if parent is not None:
                parent.has_children = True
                inherited = parent.seventh if parent.seventh is not None else parent.inherited_seventh
            self.diags.append(_Diag(inherited))
        elif tag == "sevenChrDef" and self.tags[-2] == "diag" and self.diags[-1].seventh is None:
            self.diags[-1].seventh = {}

    def end(self, element: ET.Element) -> None:
        tag = element.tag
        self.tags.pop()
        parent_tag = self.tags[-1] if self.tags else ""
        if tag == "diag":
            self._close(self.diags.pop())
            element.clear()  # keeps memory flat: finished codes are dropped from the parsed tree
        elif tag == "version" and parent_tag == "ICD10CM.tabular":
            self.tabular_version = (element.text or "").strip()
        elif parent_tag == "diag" and tag == "name":
            self.diags[-1].name = (element.text or "").strip()
        elif parent_tag == "diag" and tag == "desc":
            self.diags[-1].title = _one_line(element.text)
        elif parent_tag == "sevenChrDef" and self.tags[-2] == "diag":
            self._seventh_character(self.diags[-1], element)

    @staticmethod
    def _seventh_character(diag: _Diag, element: ET.Element) -> None:
        if diag.seventh is None:
            return
        if element.tag == "extension":
            character = element.get("char", "")
            diag.seventh[character] = _one_line(element.text)
            diag.last_seventh = character
        elif element.tag == "note" and diag.last_seventh is not None and element.text:
            # A note continues the meaning of the extension before it, as simple-icd-10-cm reads it.
            diag.seventh[diag.last_seventh] += "/" + _one_line(element.text)

    def _close(self, diag: _Diag) -> None:
        if not _CODE_IN_XML.fullmatch(diag.name):
            raise ValueError(f"{self.source}: {diag.name!r} is not an ICD-10-CM code")
        code = diag.name.replace(".", "")
        extended: list[tuple[str, str]] = []
        table = diag.seventh or diag.inherited_seventh
        if not diag.has_children and table:
            base = code.ljust(_SEVENTH_CHARACTER_BASE_LENGTH, "X")
            extended = [
                (base + char, f"{diag.title}, {meaning}")
                for char, meaning in table.items()
                if base + char in self.code_list
            ]
        self._add(code, diag.title, leaf=not (diag.has_children or extended))
        for extended_code, title in extended:
            self._add(extended_code, title, leaf=True)

    def _add(self, code: str, title: str, *, leaf: bool) -> None:
        if code in self.descriptions:
            raise ValueError(f"{self.source}: code {code} appears twice")
        self.descriptions[code] = title
        (self.billable if leaf else self.headers).add(code)


def _one_line(text: str | None) -> str:
    # One H35.31 note starts with a tab; the descriptions file is tab-separated, one code a line.
    return " ".join((text or "").split())


def _cross_check(billable: set[str], known: set[str], code_list: frozenset[str]) -> tuple[str, ...]:
    problems: list[str] = []
    unlisted = sorted(billable - code_list)
    if unlisted:
        problems.append(f"{len(unlisted)} billable codes are not in the code list, e.g. {unlisted[:5]}")
    missing = sorted(c for c in code_list - known if _CODE_LIKE.fullmatch(c))
    if missing:
        problems.append(f"{len(missing)} codes in the code list are not in the XML, e.g. {missing[:5]}")
    return tuple(problems)


def write_version(
    compiled: CompiledCodeSet,
    output_dir: Path,
    *,
    version_id: str,
    name: str,
    effective: DateRange,
    source: str,
    note: str = "",
    base: CodeSetVersion | None = None,
) -> dict[str, object]:
    """Write the codes and descriptions files and add (or replace, same id) the version in the manifest.

    With ``base`` (a version of the same manifest) only the codes that differ from it are written, and
    the base's titles are shown: a year's changes are a few hundred codes, its full index about 700 kB.

    Other versions stay; one that covers any of the same days is refused, since a date of service
    must map to exactly one code set.
    """
    if not _VERSION_ID.fullmatch(version_id):
        raise ValueError(f"version id {version_id!r} must be lower-case letters, digits and dashes")
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = output_dir / MANIFEST_NAME
    others = [v for v in _read_manifest(manifest_path) if v.get("id") != version_id]
    for other in others:
        other_range = DateRange(
            date.fromisoformat(str(other.get("effective_from"))),
            date.fromisoformat(str(other["effective_to"])) if other.get("effective_to") else None,
        )
        if other_range.overlaps(effective):
            raise ValueError(
                f"{manifest_path}: version {other.get('id')!r} ({other_range}) already covers days of "
                f"{effective}; shorten its effective_to first"
            )
    codes_file = f"{version_id}-{'changes' if base else 'codes'}.txt"
    descriptions_file = None if base else f"{version_id}-descriptions.tsv.gz"
    entry: dict[str, object] = {
        "id": version_id,
        "name": name,
        "effective_from": effective.start.isoformat(),
        "effective_to": effective.end.isoformat() if effective.end else None,
        "source": source,
        "note": note or None,
        "tabular_version": compiled.tabular_version,
        "base": base.id if base else None,
        "codes_file": codes_file,
        "descriptions_file": descriptions_file,
        "billable_count": len(compiled.billable),
        "header_count": len(compiled.headers),
    }
    entry = {key: value for key, value in entry.items() if value is not None}
    if base is not None:
        codes_text = render_code_changes(base.id, compiled.billable, compiled.headers, base)
    else:
        codes_text = render_code_index(compiled.billable, compiled.headers)
    _write_atomically(output_dir / codes_file, codes_text.encode("ascii"))
    if descriptions_file is not None:
        titles = compiled.descriptions
        descriptions = "".join(f"{code}\t{titles[code]}\n" for code in sorted(titles))
        # mtime=0 keeps the gzip bytes the same on every rebuild, so unchanged data makes no diff.
        _write_atomically(output_dir / descriptions_file, gzip.compress(descriptions.encode(), 9, mtime=0))
    versions = sorted([*others, entry], key=lambda v: str(v["effective_from"]))
    manifest = {"format": MANIFEST_FORMAT, "about": _MANIFEST_ABOUT, "versions": versions}
    _write_atomically(manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return entry


def _read_manifest(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path}: not a format {MANIFEST_FORMAT} ICD-10-CM manifest; not overwriting it")
    versions = manifest.get("versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise ValueError(f'{path}: "versions" must be a list of objects')
    return versions


def _write_atomically(path: Path, data: bytes) -> None:
    # A half-written codes file would load as a damaged index; os.replace swaps the whole file at once.
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def simple_icd_data_dir() -> Path:
    """The data folder of the installed simple-icd-10-cm, found without importing it (that takes 1.6 s)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "simple-icd-10-cm is not installed: pip install simple-icd-10-cm==1.5.0, or pass --tabular-xml"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def release_files(release: str, folder: Path) -> tuple[Path, Path]:
    """The tabular XML and code list of an earlier simple-icd-10-cm release, downloaded into ``folder``.

    Earlier releases carry earlier fiscal years (1.3.0 and 1.4.0: the April 1, 2025 update of FY2025);
    pip fetches the wheel, which is a ZIP, and the two data files are read out of it.
    """
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(folder),
         f"simple-icd-10-cm=={release}"],
        check=True,
    )  # fmt: skip
    wheel = next(folder.glob("simple_icd_10_cm-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if "/data/" in m and m.endswith((".xml", ".txt"))]
        archive.extractall(folder, members)
    data = folder / "simple_icd_10_cm" / "data"
    xml = next(data.glob("*.xml"))
    code_list = next(iter(sorted(data.glob("code-list-*.txt")) or sorted(data.glob("*order*.txt"))))
    return xml, code_list


def _fiscal_year(day: date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ptbill.reference.icd10_build",
        description=(
            "Compile a CMS ICD-10-CM tabular XML into ptbill's code-set index and add it to the manifest. "
            "Without --tabular-xml, rebuilds the shipped FY2026 index from simple-icd-10-cm 1.5.0."
        ),
        epilog=(
            "FY2027 example: --tabular-xml icd10cm-tabular-2027.xml --code-list icd10cm-codes-2027.txt "
            "--id fy2027 --name 'ICD-10-CM FY2027' --effective-from 2026-10-01 --effective-to 2027-10-01 "
            "--source 'CMS ICD-10-CM FY2027 tabular list and code descriptions, downloaded <date>'"
        ),
    )
    parser.add_argument("--tabular-xml", type=Path, help="CMS tabular list XML ('Table and Index' zip)")
    parser.add_argument(
        "--code-list",
        type=Path,
        help="valid codes, one a line (CMS icd10cm-codes-YYYY.txt or the order file); needs --tabular-xml",
    )
    parser.add_argument("--id", dest="version_id", help="short id, also the file-name stem (e.g. fy2027)")
    parser.add_argument("--name", help="display name, e.g. 'ICD-10-CM FY2027'")
    parser.add_argument("--effective-from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    parser.add_argument("--effective-to", type=date.fromisoformat, metavar="YYYY-MM-DD", help="exclusive")
    parser.add_argument("--source", help="where the files came from, with the date downloaded")
    parser.add_argument("--note", help="anything a reader of the manifest should know")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument(
        "--simple-icd-release",
        metavar="VERSION",
        help="read the files of this earlier simple-icd-10-cm release (pip downloads it into a temporary folder)",
    )
    parser.add_argument("--base", help="store only the changes against this version (e.g. fy2026-april)")
    args = parser.parse_args(argv)
    if args.tabular_xml is not None or args.simple_icd_release is not None:
        missing = [
            option
            for option, value in (
                ("--code-list", args.code_list if args.tabular_xml else "from the release"),
                ("--id", args.version_id),
                ("--name", args.name),
                ("--effective-from", args.effective_from),
                ("--effective-to", args.effective_to),
                ("--source", args.source),
            )
            if value is None
        ]
        if missing:
            parser.error(f"with --tabular-xml or --simple-icd-release, also give {', '.join(missing)}")
    elif args.code_list is not None:
        parser.error("--code-list goes with --tabular-xml")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if args.simple_icd_release is not None:
            args.tabular_xml, args.code_list = release_files(args.simple_icd_release, Path(folder))
        return _build(args)


def _build(args: argparse.Namespace) -> int:
    try:
        if args.tabular_xml is None:
            data_dir = simple_icd_data_dir()
            args.tabular_xml, args.code_list = data_dir / SIMPLE_ICD_XML, data_dir / SIMPLE_ICD_CODE_LIST
            for option, default in (
                ("version_id", DEFAULT_ID),
                ("name", DEFAULT_NAME),
                ("effective_from", DEFAULT_FROM),
                ("effective_to", DEFAULT_TO),
                ("source", DEFAULT_SOURCE),
                ("note", DEFAULT_NOTE),
            ):
                if getattr(args, option) is None:
                    setattr(args, option, default)
        effective = DateRange(args.effective_from, args.effective_to)
        compiled = compile_tabular(args.tabular_xml, read_code_list(args.code_list))
        fiscal_year = str(_fiscal_year(effective.start))
        if compiled.tabular_version and compiled.tabular_version != fiscal_year:
            print(
                f"warning: the XML says <version>{compiled.tabular_version}</version> but {effective.start} "
                f"falls in FY{fiscal_year}; check the file and the dates",
                file=sys.stderr,
            )
        for problem in compiled.problems:
            print(f"warning: {problem}", file=sys.stderr)
        base = None
        if args.base is not None:
            base = next((v for v in Icd10Catalog.load(args.output_dir).versions if v.id == args.base), None)
            if base is None:
                raise ValueError(f"--base {args.base}: no such version in {args.output_dir}")
        entry = write_version(
            compiled,
            args.output_dir,
            version_id=args.version_id,
            name=args.name,
            effective=effective,
            source=args.source,
            note=args.note or "",
            base=base,
        )
    except (OSError, ValueError, ET.ParseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"{entry['name']} ({effective}): {entry['billable_count']:,} billable and "
        f"{entry['header_count']:,} header codes written to {args.output_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())


_CMS_FILE_NAME = re.compile(r"icd10cm[-_ ]?(codes|order)[-_ ]?(april[-_ ]?)?([0-9]{4})", re.IGNORECASE)
_ORDER_LINE = re.compile(r"([0-9]{5}) ([A-Z0-9]{3,7}) *([01]) (.*)")


def read_cms_code_descriptions(path: Path) -> tuple[CompiledCodeSet, str]:
    """CMS's "code descriptions in tabular order" file: the order file (headers flagged 0) or the codes file.

    The order file (``icd10cm_order_2027.txt``) is fixed-width: order number (5), code (7, no dot), a 0/1
    billable flag, then the titles; every row is a code, so headers are exact. The codes file
    (``icd10cm_codes_2027.txt``) lists only billable codes, code then title; headers are taken as the
    codes' shorter prefixes (three characters up, a placeholder X excluded), which the tabular list has.
    Returns the code set and which layout was read.
    """
    billable: set[str] = set()
    headers: set[str] = set()
    titles: dict[str, str] = {}
    lines = path.read_text(encoding="latin-1").splitlines()
    order = bool(lines) and _ORDER_LINE.match(lines[0]) is not None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if order:
            match = _ORDER_LINE.match(line)
            if match is None:
                raise ValueError(f"{path.name}: line {number}: not an order-file row (order, code, 0/1, title)")
            code, flag, rest = match[2], match[3], match[4]
            title = rest[61:].strip() if len(rest) > 61 else rest.strip()
            (billable if flag == "1" else headers).add(code)
        else:
            code, _, title = line.partition(" ")
            if not _CODE_LIKE.fullmatch(code):
                raise ValueError(f"{path.name}: line {number}: {code!r} is not an ICD-10-CM code")
            billable.add(code)
        titles[code] = " ".join(title.split())
    if not billable:
        raise ValueError(f"{path.name}: no codes")
    if not order:
        headers = {code[:length] for code in billable for length in range(3, len(code))} - billable
        headers = {code for code in headers if not code.endswith("X")}
    kind = "order file" if order else "codes file"
    return CompiledCodeSet(frozenset(billable), frozenset(headers), titles, ""), kind


def fiscal_year_of_file(name: str) -> tuple[int, bool] | None:
    """(fiscal year, April update) from a CMS file name such as icd10cm_codes_2027.txt; None if it does not say."""
    match = _CMS_FILE_NAME.search(name)
    return (int(match[3]), bool(match[2])) if match else None
