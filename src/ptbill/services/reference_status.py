"""Which reference tables and years are installed or shipped: what `ptbill reference status` prints and
the admin's reference-data page shows, one line per table or year."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ptbill.pricing.installed import PFS_KIND, ZIP_KIND
from ptbill.pricing.medicare_pfs import MedicareFeeSchedule
from ptbill.reference.icd10 import default_catalog as shipped_icd10
from ptbill.reference.icd10_install import installed_icd10
from ptbill.reference.ncci import read_manifest


@dataclass(frozen=True, slots=True)
class StatusLine:
    table: str  # NCCI PTP edits, Medicare PFS 2026, ICD-10-CM FY2026 ...
    text: str  # what is installed: rows, dates of service, source, when loaded
    installed: bool  # False: not installed, or only what ptbill ships


def reference_status(data_dir: Path) -> list[StatusLine]:
    """The state of ``data_dir``'s installed tables (a damaged manifest raises ReferenceDataError)."""
    manifest = read_manifest(data_dir)
    lines: list[StatusLine] = []
    for kind, title in (("ncci_ptp", "NCCI PTP edits"), ("mue_practitioner", "practitioner MUEs")):
        entry = manifest.get(kind)
        if entry is None:
            lines.append(StatusLine(title, f"not installed in {data_dir}", False))
            continue
        present = (data_dir / str(entry.get("file"))).is_file()
        rows, quarter = entry.get("rows"), entry.get("quarter") or "unknown"
        if not isinstance(rows, int):
            lines.append(StatusLine(title, "manifest entry damaged; load the table again", False))
            continue
        text = (
            f"{rows:,} rows, quarter {quarter}, from {entry.get('source')}, "
            f"loaded {entry.get('loaded_at')}{'' if present else ' (file missing: load it again)'}"
        )
        lines.append(StatusLine(title, text, present))
    return lines + _pfs_status(manifest) + _icd10_status(data_dir)


def _pfs_status(manifest: dict[str, dict[str, object]]) -> list[StatusLine]:
    lines: list[StatusLine] = []
    years = manifest.get(PFS_KIND, {}).get("years")
    installed = years if isinstance(years, dict) else {}
    for year in MedicareFeeSchedule.default().years:
        if year.name not in installed:
            text = (
                f"shipped with ptbill, dates of service {year.effective}, {len(year.rvus)} RVU rows, "
                f"{len(year.localities)} localities, conversion factor ${year.conversion_factor}"
            )
            lines.append(StatusLine(f"Medicare PFS {year.name}", text, False))
    for name, entry in sorted(installed.items()):
        if not isinstance(entry, dict):
            continue
        sources = ", ".join(str(s) for s in entry.get("source_files", []) or [])
        text = (
            f"installed, dates of service {entry.get('effective_from')} to "
            f"{entry.get('effective_to_exclusive')} (exclusive), {entry.get('rvu_rows')} RVU rows, "
            f"{entry.get('localities')} localities, conversion factor ${entry.get('conversion_factor')}, "
            f"from {sources}, loaded {entry.get('loaded_at')}"
        )
        lines.append(StatusLine(f"Medicare PFS {name}", text, True))
    zip_entry = manifest.get(ZIP_KIND)
    if zip_entry is None:
        lines.append(
            StatusLine("ZIP-to-locality table", "not installed (localities are guessed from the state)", False)
        )
    else:
        listed = zip_entry.get("year_quarters")
        quarters = ", ".join(str(q) for q in (listed if isinstance(listed, list) else [])) or "quarter not stated"
        text = (
            f"{zip_entry.get('zip_codes')} ZIP codes ({quarters}), from {zip_entry.get('source')}, "
            f"loaded {zip_entry.get('loaded_at')}"
        )
        lines.append(StatusLine("ZIP-to-locality table", text, True))
    return lines


def _icd10_status(data_dir: Path) -> list[StatusLine]:
    lines: list[StatusLine] = []
    installed = installed_icd10(data_dir)
    for kind, catalog in (("shipped with ptbill", shipped_icd10()), ("installed", installed)):
        for version in catalog.versions if catalog is not None else ():
            text = (
                f"{kind}, dates of service {version.effective}, {len(version.billable_codes):,} "
                f"billable codes, from {version.source}"
            )
            lines.append(StatusLine(version.name, text, kind == "installed"))
    return lines
