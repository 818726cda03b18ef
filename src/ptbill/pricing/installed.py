"""Medicare fee-schedule files a clinic installs with ``ptbill reference load-pfs``, read in CMS's published layouts.

CMS publishes each year's RVU package (``RVU26A.zip``: ``PPRRVU…csv``, ``GPCI2026.csv``, ``26LOCCO.csv``)
and a quarterly ZIP-code-to-carrier-locality file (``ZIP5_<MMMYYYY>.txt``). Each installed year is written
in the shipped schedule's own format under ``<data dir>/pfs/<year>/``, so it loads like a shipped year and
replaces the shipped one for the same dates; the manifest is written last, so readers see an install whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.domain.identity_memo import BoundedMemo
from ptbill.pricing.localities import ZipLocalityTable
from ptbill.pricing.medicare_pfs import SCHEDULE_FILE, MedicareFeeSchedule, PfsYear
from ptbill.reference.ncci import open_when_changed, read_manifest, record_in_manifest, write_atomically

PFS_KIND = "medicare_pfs"
ZIP_KIND = "zip_localities"
PFS_FOLDER = "pfs"
ZIP_FILE = "zip5.txt"
COUNTIES_FILE = "localities.csv"

_CODE = re.compile(r"[0-9A-Z]{5}")
_YEAR_IN_RVU_NAME = re.compile(r"PPRRVU([0-9]{4}|[0-9]{2})(?![0-9])", re.IGNORECASE)
_YEAR_IN_TEXT = re.compile(r"(?<![0-9])(20[0-9][0-9])(?![0-9])")
# Joined header names of the PPRRVU file, squeezed (upper case, no spaces or hyphens), and our names.
_RVU_HEADERS = {
    "hcpcs": ("HCPCS",),
    "mod": ("MOD",),
    "status": ("STATUSCODE", "STATUS"),
    "work_rvu": ("WORKRVU",),
    "nf_pe_rvu": ("NONFACPERVU", "NONFACILITYPERVU", "FULLYIMPLEMENTEDNONFACILITYPERVU"),
    "nf_na_ind": ("NONFACNAINDICATOR", "NONFACILITYNAINDICATOR"),
    "fac_pe_rvu": ("FACILITYPERVU", "FULLYIMPLEMENTEDFACILITYPERVU"),
    "fac_na_ind": ("FACILITYNAINDICATOR",),
    "mp_rvu": ("MPRVU", "MALPRACTICERVU"),
    "pctc_ind": ("PCTCIND", "PCTCINDICATOR"),
    "mult_proc_ind": ("MULTPROC", "MULTPROCEDURE"),
    "conv_factor": ("CONVFACTOR", "CONVERSIONFACTOR"),
}
_OPTIONAL_RVU = frozenset({"nf_na_ind", "fac_na_ind", "pctc_ind", "conv_factor"})
_RELEASE_START = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}


@dataclass(frozen=True, slots=True)
class RvuFile:
    """The rows of one PPRRVU file as ptbill stores them, and what its name and columns say."""

    name: str
    year: int
    rows: tuple[dict[str, str], ...]
    conversion_factor: Decimal | None
    qualifying_apm: bool | None  # 2026 on: the QPP file (True) or the nonQPP file (False); None before
    release: str  # JAN, APR, JUL, OCT, or "" when the name does not say


@dataclass(frozen=True, slots=True)
class GpciFile:
    name: str
    year: int | None
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class LocalityCounties:
    """One row of CMS's LOCCO file: a locality and the counties it covers."""

    key: str
    state: str
    area: str
    counties: str


@dataclass(slots=True)
class InstallResult:
    year: int | None = None
    rvu_rows: int = 0
    localities: int = 0
    counties: int = 0
    zip_codes: int = 0
    conversion_factor: Decimal | None = None
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


# --- reading CMS's files ----------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return re.sub(r"[\s\-_.()]+", "", text.upper())


def _csv_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _header_block(rows: list[list[str]], is_data: Iterable[int], label: str, wanted: str) -> tuple[int, list[str]]:
    """Join the stacked header rows above the first data row, column by column (CMS stacks up to 5 rows).

    The block starts at the first row with at least 4 filled cells; rows above it are the file's titles.
    """
    first_data = next(iter(is_data), None)
    if first_data is None:
        raise ReferenceDataError(f"{label}: no data rows found; is this a CMS {wanted} file?")
    start = next((i for i in range(first_data) if sum(1 for c in rows[i] if c) >= 4), None)
    if start is None:
        raise ReferenceDataError(f"{label}: no header row before line {first_data + 1}; is this a CMS {wanted} file?")
    width = max(len(rows[i]) for i in range(start, first_data))
    block = rows[start:first_data]
    names = [" ".join(row[column] for row in block if column < len(row) and row[column]) for column in range(width)]
    return first_data, names


def read_pprrvu(name: str, text: str) -> RvuFile:
    """A PPRRVU file (CSV, as CMS ships it: title lines, stacked header rows, one row per HCPCS and modifier)."""
    rows = _csv_rows(text)
    data_rows = (i for i, row in enumerate(rows) if _is_rvu_row(row))
    first_data, names = _header_block(rows, data_rows, name, "PPRRVU (relative value)")
    squeezed = [_squeeze(n) for n in names]
    columns: dict[str, int] = {}
    for ours, accepted in _RVU_HEADERS.items():
        found = next((index for index, header in enumerate(squeezed) if header in accepted), None)
        if found is not None:
            columns[ours] = found
    missing = [ours for ours in _RVU_HEADERS if ours not in columns and ours not in _OPTIONAL_RVU]
    if missing:
        header = ", ".join(n for n in names if n)
        raise ReferenceDataError(f"{name}: line {first_data}: no column for {', '.join(missing)} (header: {header})")
    kept: list[dict[str, str]] = []
    factors: Counter[str] = Counter()
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows[first_data:], start=first_data + 1):
        if not row or not row[0]:
            continue
        code = row[0].upper()
        if not _CODE.fullmatch(code):
            continue  # CMS's trailing notes
        cells = {ours: (row[index] if index < len(row) else "") for ours, index in columns.items()}
        for money in ("work_rvu", "nf_pe_rvu", "fac_pe_rvu", "mp_rvu"):
            cells[money] = _number(cells[money] or "0", f"{name}: line {number}: column {names[columns[money]]!r}")
        key = (code, cells["mod"].upper())
        if key in seen:
            raise ReferenceDataError(f"{name}: line {number}: {code} {key[1]} already on line {seen[key]}")
        seen[key] = number
        if cells.get("conv_factor"):
            factors[cells["conv_factor"]] += 1
        kept.append(
            {
                "hcpcs": code,
                "mod": key[1],
                "status": cells["status"].upper(),
                "work_rvu": cells["work_rvu"],
                "nf_pe_rvu": cells["nf_pe_rvu"],
                "nf_na_ind": cells.get("nf_na_ind", ""),
                "fac_pe_rvu": cells["fac_pe_rvu"],
                "fac_na_ind": cells.get("fac_na_ind", ""),
                "mp_rvu": cells["mp_rvu"],
                "pctc_ind": cells.get("pctc_ind", ""),
                "mult_proc_ind": cells["mult_proc_ind"],
            }
        )
    if not kept:
        raise ReferenceDataError(f"{name}: no HCPCS rows")
    factor = None
    if factors:
        text_factor = factors.most_common(1)[0][0]
        factor = _number(text_factor, f"{name}: CONV FACTOR")
    year = _rvu_year(name, rows[:first_data])
    upper = name.upper()
    qualifying = None if "QPP" not in upper else "NONQPP" not in upper.replace("-", "").replace("_", "")
    release = next((r for r in _RELEASE_START if r in upper), "")
    return RvuFile(name, year, tuple(kept), Decimal(factor) if factor else None, qualifying, release)


def _is_rvu_row(row: list[str]) -> bool:
    """A code in the first cell (not the HCPCS column title) and numbers further on."""
    if len(row) <= 8 or not _CODE.fullmatch(row[0].upper()) or row[0].upper() == "HCPCS":
        return False
    return any(re.fullmatch(r"[0-9]+(\.[0-9]+)?", cell) for cell in row[3:])


def _rvu_year(name: str, titles: list[list[str]]) -> int:
    match = _YEAR_IN_RVU_NAME.search(Path(name).name)
    if match:
        digits = match[1]
        return int(digits) if len(digits) == 4 else 2000 + int(digits)
    for row in titles:
        for cell in row:
            found = _YEAR_IN_TEXT.search(cell)
            if found:
                return int(found[1])
    raise ReferenceDataError(f"{name}: the file name and titles do not say which year it is; give --year")


def read_gpci(name: str, text: str) -> GpciFile:
    """CMS's GPCI file (Addendum E): title lines, a header row, one row per locality, footnotes."""
    rows = _csv_rows(text)
    data_rows = (
        i for i, row in enumerate(rows) if len(row) >= 7 and is_ascii_digits(row[0]) and is_ascii_digits(row[2])
    )
    first_data, names = _header_block(rows, data_rows, name, "GPCI")
    squeezed = [_squeeze(n) for n in names]

    def column(*needles: str) -> int:
        for index, header in enumerate(squeezed):
            if all(needle in header for needle in needles):
                return index
        raise ReferenceDataError(f"{name}: line {first_data}: no column with {' '.join(needles)} in its header")

    mac = column("MAC") if any("MAC" in header for header in squeezed) else column("CONTRACTOR")
    state, number, locality_name = column("STATE"), column("LOCALITYNUMBER"), column("LOCALITYNAME")
    work, pe, mp = column("PW", "GPCI"), column("PE", "GPCI"), column("MP", "GPCI")
    year_match = _YEAR_IN_TEXT.search(names[work]) or _YEAR_IN_TEXT.search(name)
    kept: list[dict[str, str]] = []
    for number_in_file, row in enumerate(rows[first_data:], start=first_data + 1):
        if len(row) < 7 or not is_ascii_digits(row[mac]):
            continue  # blank lines and footnotes
        where = f"{name}: line {number_in_file}"
        carrier, locality = row[mac].zfill(5), row[number].zfill(2)  # spreadsheet copies drop leading zeros
        if len(carrier) != 5 or len(locality) != 2 or not is_ascii_digits(locality):
            raise ReferenceDataError(f"{where}: MAC {row[mac]!r} and locality {row[number]!r} are not 5 and 2 digits")
        title = row[locality_name]
        note = "footnoted in the CMS file (floor or special rule)" if title.endswith("*") else ""
        kept.append(
            {
                "mac": carrier,
                "state": row[state].upper(),
                "locality": locality,
                "locality_name": title.rstrip("*").strip(),
                "work_gpci_with_floor": _number(row[work], f"{where}: PW GPCI"),
                "pe_gpci": _number(row[pe], f"{where}: PE GPCI"),
                "mp_gpci": _number(row[mp], f"{where}: MP GPCI"),
                "note": note,
            }
        )
    if not kept:
        raise ReferenceDataError(f"{name}: no locality rows")
    return GpciFile(name, int(year_match[1]) if year_match else None, tuple(kept))


def read_locco(name: str, text: str) -> list[LocalityCounties]:
    """CMS's counties-in-localities file (25LOCCO): a row per locality; a blank state repeats the one above."""
    found: list[LocalityCounties] = []
    state = ""
    for row in _csv_rows(text):
        if len(row) < 5 or not is_ascii_digits(row[0]) or not is_ascii_digits(row[1]):
            continue
        state = row[2].strip() or state
        key = f"{row[0].zfill(5)}-{row[1].zfill(2)}"
        found.append(LocalityCounties(key, state, " ".join(row[3].split()), " ".join(row[4].split())))
    if not found:
        raise ReferenceDataError(f"{name}: no locality rows (MAC, locality number, state, area, counties)")
    return found


def _number(text: str, where: str) -> str:
    try:
        value = Decimal(text.replace("$", "").strip())
    except InvalidOperation:
        raise ReferenceDataError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ReferenceDataError(f"{where}: {text!r} is not a non-negative number")
    return format(value, "f")


def _inputs(paths: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(name, text) of every file given, and of the members of every ZIP given. CMS files are Latin-1."""
    for path in paths:
        if not path.is_file():
            raise ReferenceDataError(f"{path}: file not found")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.lower().endswith((".csv", ".txt")):
                        yield f"{path.name}:{member}", archive.read(member).decode("latin-1")
        else:
            yield path.name, path.read_text(encoding="latin-1")


def _kind(name: str) -> str | None:
    base = Path(name.rsplit(":", 1)[-1]).name.upper()
    for marker, kind in (("PPRRVU", "rvu"), ("GPCI", "gpci"), ("LOCCO", "counties"), ("ZIP5", "zip")):
        if marker in base:
            return kind
    return None


# --- installing -------------------------------------------------------------------------------------


def install_pfs(
    data_dir: Path,
    paths: Sequence[Path],
    *,
    loaded_at: datetime,
    year: int | None = None,
    conversion_factor: Decimal | None = None,
    conversion_factor_reference: str | None = None,
) -> InstallResult:
    """Install the RVU, GPCI and locality files of one year, and/or a ZIP-to-locality file, from ``paths``.

    Files are recognised by CMS's names (PPRRVU…, GPCI…, …LOCCO…, ZIP5…), loose or inside CMS's ZIPs.
    Every file is read and checked before anything is written; a bad one leaves the installed data as it was.
    """
    rvus: list[RvuFile] = []
    gpcis: list[GpciFile] = []
    counties: list[LocalityCounties] = []
    zip_files: list[tuple[str, str]] = []
    result = InstallResult()
    for name, text in _inputs(paths):
        kind = _kind(name)
        if kind == "rvu":
            rvus.append(read_pprrvu(name, text))
        elif kind == "gpci":
            gpcis.append(read_gpci(name, text))
        elif kind == "counties":
            counties.extend(read_locco(name, text))
        elif kind == "zip":
            zip_files.append((name, text))
        elif ":" not in name:
            raise ReferenceDataError(
                f"{name}: not a CMS fee-schedule file ptbill reads (PPRRVU…csv, GPCI….csv, …LOCCO….csv, ZIP5….txt)"
            )
        else:
            continue  # other members of CMS's ZIP (ANES, OPPSCAP, the PDF)
        result.sources.append(name)
    if not rvus and not gpcis and not zip_files:
        raise ReferenceDataError("no PPRRVU, GPCI or ZIP5 file among the files given")
    if bool(rvus) != bool(gpcis):
        missing = "GPCI (Addendum E) file" if rvus else "PPRRVU file"
        raise ReferenceDataError(f"a year needs both its RVUs and its GPCIs: give the {missing} of the same year")
    pfs_root = data_dir / PFS_FOLDER
    zip_entry = None
    if zip_files:
        name, text = zip_files[0]
        table = _zip_table_from_text(name, text)
        result.zip_codes = len(table)
        zip_entry = {
            "file": f"{PFS_FOLDER}/{ZIP_FILE}",
            "source": name,
            "zip_codes": len(table),
            "year_quarters": sorted(table.year_quarters),
            "loaded_at": loaded_at.isoformat(timespec="seconds"),
        }
    year_entry = None
    if rvus:
        chosen = _choose_rvu(rvus, result)
        the_year = year or chosen.year
        gpci = gpcis[0]
        if gpci.year is not None and gpci.year != the_year:
            result.warnings.append(f"{gpci.name} is for {gpci.year}, the RVU file for {the_year}")
        factor = conversion_factor or chosen.conversion_factor
        if factor is None:
            raise ReferenceDataError(f"{chosen.name} has no CONV FACTOR column: give --conversion-factor")
        reference = conversion_factor_reference or f"CONV FACTOR column of CMS {chosen.name}"
        start_month = _RELEASE_START.get(chosen.release, 1)
        year_entry = _write_year(
            pfs_root,
            the_year,
            chosen,
            gpci,
            counties,
            factor,
            reference,
            date(the_year, start_month, 1),
        )
        result.year, result.rvu_rows, result.localities = the_year, len(chosen.rows), len(gpci.rows)
        result.counties, result.conversion_factor = len(counties), factor
        year_entry["loaded_at"] = loaded_at.isoformat(timespec="seconds")
    if zip_entry is not None:
        name, text = zip_files[0]
        write_atomically(pfs_root / ZIP_FILE, lambda temporary: temporary.write_text(text, encoding="latin-1"))
        record_in_manifest(data_dir, ZIP_KIND, zip_entry)
    if year_entry is not None:
        years = _installed_years(read_manifest(data_dir))
        years[str(result.year)] = year_entry
        record_in_manifest(data_dir, PFS_KIND, {"years": years})
    return result


def _choose_rvu(rvus: list[RvuFile], result: InstallResult) -> RvuFile:
    """From 2026 CMS ships a nonQPP and a QPP file with the same RVUs and two conversion factors."""
    general = [r for r in rvus if r.qualifying_apm is not True] or rvus
    if len({r.year for r in rvus}) > 1:
        names = ", ".join(r.name for r in rvus)
        raise ReferenceDataError(f"RVU files of several years given ({names}): install one year at a time")
    for other in rvus:
        if other.qualifying_apm and other.conversion_factor:
            result.warnings.append(
                f"{other.name}: qualifying APM participants' conversion factor ${other.conversion_factor} "
                "(set pfs.qualifying_apm_participant for the clinic to use it)"
            )
    return general[0]


def _write_year(
    root: Path,
    year: int,
    rvu: RvuFile,
    gpci: GpciFile,
    counties: list[LocalityCounties],
    factor: Decimal,
    reference: str,
    start: date,
) -> dict[str, object]:
    shipped = MedicareFeeSchedule.default().latest
    rvu_id, gpci_id = Path(rvu.name.rsplit(":", 1)[-1]).stem, Path(gpci.name.rsplit(":", 1)[-1]).stem
    schedule = {
        "description": f"Medicare Physician Fee Schedule {year}, installed by ptbill reference load-pfs",
        "effective_from": start.isoformat(),
        "effective_to_exclusive": date(year + 1, 1, 1).isoformat(),
        "conversion_factor": {"value": str(factor), "reference": reference, "confidence": "cms"},
        # Policy shares, not in CMS's files: carried from the shipped schedule with their citations.
        "therapy_mppr_pe_share": {"value": str(shipped.mppr_pe_share), "reference": shipped.mppr_reference},
        "assistant_rate": {"value": str(shipped.assistant_rate), "reference": shipped.assistant_reference},
        "rvu_file": "rvu.csv",
        "gpci_file": "gpci.csv",
        "sources": {rvu_id: f"CMS {rvu.name}", gpci_id: f"CMS {gpci.name}"},
    }
    with tempfile.TemporaryDirectory(dir=_ensure(root)) as staging_name:
        staging = Path(staging_name) / str(year)
        staging.mkdir()
        (staging / SCHEDULE_FILE).write_text(json.dumps(schedule, indent=2) + "\n", encoding="utf-8")
        _write_csv(staging / "rvu.csv", [{**row, "source": rvu_id} for row in rvu.rows])
        _write_csv(staging / "gpci.csv", [{**row, "source": gpci_id} for row in gpci.rows])
        if counties:
            _write_csv(staging / COUNTIES_FILE, [vars_of(c) for c in counties])
        PfsYear.load(staging)  # what readers will load must load: refuse it now, not at the next check
        target = root / str(year)
        retired = root / f".{year}.old"
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    return {
        "folder": f"{PFS_FOLDER}/{year}",
        "effective_from": start.isoformat(),
        "effective_to_exclusive": date(year + 1, 1, 1).isoformat(),
        "rvu_rows": len(rvu.rows),
        "localities": len(gpci.rows),
        "counties": len(counties),
        "conversion_factor": str(factor),
        "source_files": [rvu.name, gpci.name],
    }


def vars_of(counties: LocalityCounties) -> dict[str, str]:
    return {"key": counties.key, "state": counties.state, "area": counties.area, "counties": counties.counties}


def _ensure(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _zip_table_from_text(name: str, text: str) -> ZipLocalityTable:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zip5.txt"
        path.write_text(text, encoding="latin-1")
        table = ZipLocalityTable.load_cms_zip5(path)
    table.source = name
    return table


# --- reading what is installed ------------------------------------------------------------------------


_MANIFESTS: BoundedMemo[Path, Path] = BoundedMemo(64)  # per installed data directory, its manifest's path


@dataclass(frozen=True)
class InstalledPfs:
    """The shipped schedule with the installed years in place of the shipped ones, and the ZIP table if any."""

    schedule: MedicareFeeSchedule
    zip_table: ZipLocalityTable | None
    counties: tuple[LocalityCounties, ...] = ()

    @classmethod
    def at(cls, data_dir: Path) -> InstalledPfs | None:
        """What ``data_dir`` holds; reread only when the manifest changes; None when nothing is installed there."""
        manifest = _MANIFESTS.get(data_dir)
        if manifest is None:  # asked on every check of a note: the path is joined once per directory
            manifest = _MANIFESTS.keep(data_dir, data_dir / "manifest.json")
        return open_when_changed(manifest, lambda _path: cls._read(data_dir))

    @classmethod
    def _read(cls, data_dir: Path) -> InstalledPfs:
        manifest = read_manifest(data_dir)
        years = []
        counties: list[LocalityCounties] = []
        for entry in _installed_years(manifest).values():
            folder = data_dir / str(entry.get("folder"))
            years.append(PfsYear.load(folder))
            counties.extend(_read_counties(folder / COUNTIES_FILE))
        schedule = MedicareFeeSchedule.default().with_years(years) if years else MedicareFeeSchedule.default()
        zip_entry = manifest.get(ZIP_KIND)
        table = None
        if zip_entry is not None:
            table = ZipLocalityTable.load_cms_zip5(data_dir / str(zip_entry.get("file")))
            table.source = f"CMS {zip_entry.get('source')}"
        return cls(schedule, table, tuple(counties))


def _installed_years(manifest: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    """The manifest's installed PFS years by year, each with its folder, dates, counts and sources."""
    years = manifest.get(PFS_KIND, {}).get("years")
    if not isinstance(years, dict):
        return {}
    return {str(year): entry for year, entry in years.items() if isinstance(entry, dict)}


def _read_counties(path: Path) -> list[LocalityCounties]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [LocalityCounties(r["key"], r["state"], r["area"], r["counties"]) for r in csv.DictReader(handle)]
