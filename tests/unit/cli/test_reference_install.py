"""`ptbill reference load-pfs`, `load-icd10` and `status` on files built in CMS's published layouts: the RVU
package (PPRRVU with stacked header rows, GPCI with titles and footnotes, LOCCO), the ZIP5 locality file,
and the ICD-10-CM code descriptions (codes file and order file)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from ptbill.cli.reference_cmds import reference
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import ReferenceCatalog
from ptbill.reference.icd10 import default_catalog as shipped_icd10
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_PFS = ROOT / "src/ptbill/reference_data/baseline/medicare/pfs/2025"
# The CMS PPRRVU layout: titles, then the column names stacked over five rows (joined per column).
STACKED = [
    ["HCPCS", "MOD", "DESCRIPTION", "STATUS", "NOT USED", "WORK", "NON-FAC", "NON-FAC", "FACILITY", "FACILITY", "MP",
     "NON-FACILITY", "FACILITY", "PCTC", "GLOB", "MULT", "CONV"],
    ["", "", "", "CODE", "FOR MEDICARE", "RVU", "PE RVU", "NA", "PE RVU", "NA", "RVU", "TOTAL", "TOTAL", "IND", "DAYS",
     "PROC", "FACTOR"],
    ["", "", "", "", "PAYMENT", "", "", "INDICATOR", "", "INDICATOR", "", "", "", "", "", "", ""],
    [""] * 17,
    [""] * 17,
]  # fmt: skip


def pprrvu(factor: str, work_97110: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["2026 National Physician Fee Schedule Relative Value File January Release"])
    writer.writerow(["CPT codes and descriptions only are copyright 2025 American Medical Association."])
    writer.writerows(STACKED)
    with (SHIPPED_PFS / "rvu.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            work = work_97110 if row["hcpcs"] == "97110" else row["work_rvu"]
            total = Decimal(work) + Decimal(row["nf_pe_rvu"]) + Decimal(row["mp_rvu"])
            writer.writerow(
                [row["hcpcs"], row["mod"], "", row["status"], "", work, row["nf_pe_rvu"], row["nf_na_ind"],
                 row["fac_pe_rvu"], row["fac_na_ind"], row["mp_rvu"], total, total, row["pctc_ind"], "XXX",
                 row["mult_proc_ind"], factor]
            )  # fmt: skip
    return out.getvalue()


def gpci() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ADDENDUM E. FINAL CY 2026 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND LOCALITY"])
    writer.writerow([])
    writer.writerow(["Medicare Administrative Contractor (MAC)", "State", "Locality Number", "Locality Name",
                     "2026 PW GPCI (with 1.0 Floor)", "2026 PE GPCI", "2026 MP GPCI"])  # fmt: skip
    with (SHIPPED_PFS / "gpci.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            # Spreadsheet copies of CMS's file drop leading zeros (2102 for 02102); the reader re-pads them.
            name = row["locality_name"] + ("*" if row["state"] == "AK" else "")
            writer.writerow([int(row["mac"]), row["state"], int(row["locality"]), name, row["work_gpci_with_floor"],
                             row["pe_gpci"], row["mp_gpci"]])  # fmt: skip
    writer.writerow(["* Work GPCI reflects a 1.5 floor in Alaska."])
    return out.getvalue()


LOCCO = (
    "COUNTIES INCLUDED IN 2026 LOCALITIES.,,,,\n,,,,\n"
    "Medicare Adminstrative Contractor,Locality Number,State ,Fee Schedule Area ,Counties\n,,,,\n"
    "1182,18,CALIFORNIA,LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES CNTY),LOS ANGELES\n"
    "1112,75,,REST OF STATE,ALL OTHER COUNTIES\n"
)
# ZIP5 layout: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14, ... year/quarter 76-80.
ZIP5 = "CA93109011821" + "8" + " " * 61 + "20261\n"


def rvu_package(tmp_path: Path) -> Path:
    package = tmp_path / "RVU26A.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("PPRRVU2026_Jan_nonQPP.csv", pprrvu("33.4009", "0.44"))
        archive.writestr("PPRRVU2026_Jan_QPP.csv", pprrvu("33.5675", "0.44"))
        archive.writestr("GPCI2026.csv", gpci())
        archive.writestr("26LOCCO.csv", LOCCO)
        archive.writestr("RVU26A.pdf.txt", "documentation")
    return package


def visit_2026() -> dict[str, object]:
    document: dict[str, object] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
    return document


def test_load_pfs_installs_a_years_package_and_the_zip_file_and_pricing_uses_them(tmp_path: Path) -> None:
    zip5 = tmp_path / "ZIP5_JAN2026.txt"
    zip5.write_text(ZIP5)
    data = tmp_path / "reference"
    result = CliRunner().invoke(reference, ["load-pfs", str(rvu_package(tmp_path)), str(zip5), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "Installed the Medicare PFS 2026: 71 RVU rows, 109 localities, 2 county rows" in result.output
    assert "conversion factor $33.4009" in result.output
    assert "qualifying APM participants' conversion factor $33.5675" in result.output
    assert "Installed the ZIP-to-locality table: 1 ZIP codes" in result.output

    status = CliRunner().invoke(reference, ["status", "--data-dir", str(data)])
    assert "Medicare PFS 2026: installed, dates of service 2026-01-01 to 2027-01-01 (exclusive)" in status.output
    assert "PPRRVU2026_Jan_nonQPP.csv" in status.output
    assert "Medicare PFS 2025: shipped with ptbill" in status.output
    assert "ZIP-to-locality table: 1 ZIP codes (20261)" in status.output

    report = check_encounter(encounter_from_dict(visit_2026()), ReferenceCatalog(installed_dir=data))
    line = next(line for line in report.claim_lines if line.code == "97110")
    assert line.payment_method == "2026 RVUs"
    assert not line.payment_is_estimate
    assert line.payment_basis is not None
    assert "work 0.44" in line.payment_basis  # the installed 2026 value, not 2025's 0.45
    assert "LOS ANGELES" in line.payment_basis  # the ZIP table's locality, not the state default
    assert "zip table" in line.payment_basis


def test_a_file_that_breaks_leaves_the_installed_data_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "reference"
    broken = tmp_path / "PPRRVU2026_Jan_nonQPP.csv"
    broken.write_text(pprrvu("33.4009", "0.44").replace("MULT", "MULTI"))
    good_gpci = tmp_path / "GPCI2026.csv"
    good_gpci.write_text(gpci())
    result = CliRunner().invoke(reference, ["load-pfs", str(broken), str(good_gpci), "--data-dir", str(data)])
    assert result.exit_code == 2
    assert "PPRRVU2026_Jan_nonQPP.csv" in result.output
    assert "mult_proc_ind" in result.output
    assert not (data / "pfs" / "2026").exists()
    alone = CliRunner().invoke(reference, ["load-pfs", str(good_gpci), "--data-dir", str(data)])
    assert alone.exit_code == 2
    assert "give the PPRRVU file of the same year" in alone.output


def fy2027_codes_file(tmp_path: Path) -> Path:
    """CMS's codes-file layout: the code (no dot) padded to 8 characters, then its title."""
    fy2026 = next(v for v in shipped_icd10().versions if v.id == "fy2026-april")
    codes = (set(fy2026.billable_codes) - {"M5416"}) | {"M5452"}
    path = tmp_path / "icd10cm_codes_2027.txt"
    path.write_text("".join(f"{code:<8}Title of {code}\n" for code in sorted(codes)))
    return path


def test_load_icd10_installs_the_fiscal_year_the_file_names(tmp_path: Path) -> None:
    data = tmp_path / "reference"
    document = visit_2026()
    document.update(date_of_service="2026-11-20", diagnoses=["M51.16", "M54.16", "M54.52"])
    before = check_encounter(encounter_from_dict(document), ReferenceCatalog(installed_dir=data))
    assert {(f.rule, f.severity.value) for f in before.findings if f.field and f.field.startswith("diagnoses")} >= {
        ("DIAGNOSIS_INVALID", "warning"),
        ("ICD10_CODE_SET_NOT_LOADED", "info"),
    }
    result = CliRunner().invoke(reference, ["load-icd10", str(fy2027_codes_file(tmp_path)), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "Installed ICD-10-CM FY2027 from icd10cm_codes_2027.txt (codes file)" in result.output
    assert "for dates of service 2026-10-01 to 2027-10-01" in result.output

    after = check_encounter(encounter_from_dict(document), ReferenceCatalog(installed_dir=data))
    invalid = [f for f in after.findings if f.rule == "DIAGNOSIS_INVALID"]
    assert [(f.field, f.severity.value) for f in invalid] == [("diagnoses[1]", "error")]  # M54.16 gone in FY2027
    assert "ICD10_CODE_SET_NOT_LOADED" not in {f.rule for f in after.findings}
    status = CliRunner().invoke(reference, ["status", "--data-dir", str(data)])
    assert "ICD-10-CM FY2027: installed, dates of service 2026-10-01 to 2027-09-30" in status.output


def test_load_icd10_reads_the_order_file_with_its_header_flags(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm_order_2027.txt"
    rows = [("M54", "0"), ("M541", "0"), ("M5416", "1"), ("M545", "0"), ("M5450", "1"), ("M5452", "1")]
    path.write_text(
        "".join(f"{n:05d} {code:<7} {flag} {'Short ' + code:<60} Long {code}\n" for n, (code, flag) in enumerate(rows))
    )
    data = tmp_path / "reference"
    result = CliRunner().invoke(reference, ["load-icd10", str(path), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "(order file): 3 billable and 3 header codes" in result.output
    version, exact = ReferenceCatalog(installed_dir=data).icd10_for(date(2027, 1, 4))
    assert exact
    assert version.status("M54.5").value == "header"
    assert version.description("M54.52") == "Long M5452"


def test_load_icd10_refuses_a_file_that_is_not_code_descriptions(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm_codes_2027.txt"
    path.write_text("this is not a code list\n")
    result = CliRunner().invoke(reference, ["load-icd10", str(path), "--data-dir", str(tmp_path / "reference")])
    assert result.exit_code == 2
    assert "icd10cm_codes_2027.txt: line 1" in result.output
