"""ICD-10-CM code sets a clinic installs from CMS's "code descriptions" file (``ptbill reference load-icd10``).

They live in ``<data dir>/icd10cm`` with their own manifest, and replace a shipped version covering the
same days; the catalog rereads them when the manifest changes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.icd10 import MANIFEST_NAME, Icd10Catalog
from ptbill.reference.icd10_build import fiscal_year_of_file, read_cms_code_descriptions, write_version
from ptbill.reference.ncci import open_when_changed

FOLDER = "icd10cm"


def install_code_descriptions(
    data_dir: Path, path: Path, *, fiscal_year: int | None = None, effective_from: date | None = None
) -> tuple[dict[str, object], str]:
    """Install one CMS codes or order file as the code set of its fiscal year; returns the manifest entry and layout."""
    named = fiscal_year_of_file(path.name)
    year = fiscal_year or (named[0] if named else None)
    if year is None:
        raise ReferenceDataError(f"{path.name}: the name does not say the fiscal year; give --fiscal-year")
    april = named is not None and named[1] and fiscal_year is None
    start = effective_from or (date(year, 4, 1) if april else date(year - 1, 10, 1))
    try:
        compiled, layout = read_cms_code_descriptions(path)
        entry = write_version(
            compiled,
            data_dir / FOLDER,
            version_id=f"fy{year}{'-april' if start.month == 4 else ''}-installed",
            name=f"ICD-10-CM FY{year}{' (April 1 update)' if start.month == 4 else ''}",
            effective=DateRange(start, date(year, 10, 1)),
            source=f"CMS ICD-10-CM code descriptions, {path.name} ({layout}), installed by ptbill reference load-icd10",
        )
    except (OSError, ValueError) as error:
        raise ReferenceDataError(str(error)) from None
    return entry, layout


def installed_icd10(data_dir: Path) -> Icd10Catalog | None:
    """The installed code sets, reread when their manifest changes; None when none is installed."""
    return open_when_changed(data_dir / FOLDER / MANIFEST_NAME, lambda path: Icd10Catalog.load(path.parent))
