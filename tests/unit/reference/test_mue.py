"""Practitioner MUEs: CMS's CSV and ZIP, the quarter from the file name, the compiled form, the CLI."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.reference_cmds import reference
from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.mue import (
    MUE_FILE_NAME,
    MueTable,
    MueValue,
    installed_mue_table,
    parse_adjudication_indicator,
)
from ptbill.reference.ncci import PtpTable, read_manifest

CSV_NAME = "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
ZIP_NAME = "medicare-ncci-2026-q3-practitioner-services-mue-table.zip"

# CMS's layout, as in MCR_MUE_PractitionerServices_Eff_07-01-2026.csv: the AMA notice is one quoted
# record over seven lines (padded with ",,,"), the header's first cell holds a line break, then one
# code per line. Latin-1 (the ® is byte 0xAE).
NOTICE = (
    '"Current Procedural Terminology (CPT) codes, descriptions and other data only are copyright 2025 '
    "American Medical Association. All rights reserved. \n\nCPT® is a registered trademark of the American "
    "Medical Association.\n\nApplicable FARS/DFARS Restrictions Apply to Government Use. \n\nFee schedules, "
    "relative value units, conversion factors and/or related components are not assigned by the AMA, are "
    "not part of CPT, and the AMA is not recommending their use.  The AMA does not directly or indirectly "
    "practice medicine or dispense medical services.  The AMA assumes no liability for the data contained "
    'or not contained herein.",,,'
)
HEADER = '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale'
FIRST_DATA_LINE = 10  # notice: lines 1-7, header: lines 8-9

# Made-up values for real codes: these tests check the parser, not CMS's numbers.
ROWS = [
    "97012,1,3 Date of Service Edit: Clinical,Nature of Service/Procedure",
    "97110,6,3 Date of Service Edit: Clinical,Clinical: Data",
    "97161,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
    "G0283,1,1 Line Edit,Nature of Service/Procedure",
    "0001U,0,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
]


def mue_csv(rows: list[str], header: str = HEADER) -> bytes:
    return "".join(f"{record}\r\n" for record in [NOTICE, header, *rows]).encode("latin-1")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def table(tmp_path: Path) -> MueTable:
    return MueTable.load_cms_file(write(tmp_path / CSV_NAME, mue_csv(ROWS)))


def test_mue_lookup_and_indicators(table: MueTable) -> None:
    traction = table.lookup("97012")
    assert traction == MueValue(
        code="97012",
        units=1,
        adjudication_indicator=3,
        indicator_text="Date of Service Edit: Clinical",
        rationale="Nature of Service/Procedure",
        source=f"{CSV_NAME}, effective 2026-07-01",
    )
    line_edit = table.lookup("G0283")
    assert line_edit is not None
    assert (line_edit.adjudication_indicator, line_edit.indicator_text) == (1, "Line Edit")
    zero = table.lookup("0001U")
    assert zero is not None
    assert zero.units == 0  # an MUE of 0 is a value, not a missing one
    assert table.lookup("97140") is None
    assert (len(table), table.quarter) == (5, date(2026, 7, 1))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1 Line Edit", (1, "Line Edit")),
        ("2 Date of Service Edit: Policy", (2, "Date of Service Edit: Policy")),
        (" 3 Date of Service Edit: Clinical ", (3, "Date of Service Edit: Clinical")),
        ("3", (3, "")),
    ],
)
def test_parse_adjudication_indicator(cell: str, expected: tuple[int, str]) -> None:
    assert parse_adjudication_indicator(cell) == expected


def test_the_cms_zip_loads_and_its_name_gives_the_quarter(tmp_path: Path) -> None:
    archive = zip_of(
        tmp_path / ZIP_NAME,
        {CSV_NAME: mue_csv(ROWS), CSV_NAME.replace(".csv", ".xlsx"): b"PK not read"},
    )
    loaded = MueTable.load_cms_file(archive)
    assert (len(loaded), loaded.quarter, loaded.source_files) == (5, date(2026, 7, 1), (CSV_NAME,))
    unnamed = zip_of(tmp_path / ZIP_NAME, {"mue.csv": mue_csv(ROWS)})
    assert MueTable.load_cms_file(unnamed).quarter == date(2026, 7, 1)


def test_the_quarter_comes_from_the_caller_or_it_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "mue.csv", mue_csv(ROWS))
    with pytest.raises(ReferenceDataError, match=r"^mue\.csv: cannot tell which quarter"):
        MueTable.load_cms_file(path)
    assert MueTable.load_cms_file(path, quarter=date(2026, 10, 1)).quarter == date(2026, 10, 1)
    named = write(tmp_path / CSV_NAME, mue_csv(ROWS))
    assert MueTable.load_cms_file(named, quarter=date(2026, 10, 1)).quarter == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("97140,1,4 Date of Service Edit: Other,Nature of Service", "MUE adjudication indicator '4 Date"),
        (
            "97140,one,3 Date of Service Edit: Clinical,Nature of Service",
            "MUE value 'one' is not a whole number",
        ),
        ("97140,-1,3 Date of Service Edit: Clinical,Nature of Service", "MUE value '-1'"),
        ("9701,1,3 Date of Service Edit: Clinical,Nature of Service", "code '9701' is not a 5-character"),
        ("97012,1", "expected at least 3 comma-separated fields, found 2"),
        (
            "97110,2,3 Date of Service Edit: Clinical,Nature of Service",
            "code 97110 is listed again (first on line 11)",
        ),
    ],
)
def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path / CSV_NAME, mue_csv([ROWS[0], ROWS[1], row]))
    with pytest.raises(ReferenceDataError) as raised:
        MueTable.load_cms_file(path)
    assert str(raised.value).startswith(f"{CSV_NAME} line {FIRST_DATA_LINE + 2}: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            mue_csv(ROWS, header=HEADER.replace("Practitioner", "Outpatient Hospital")),
            "outpatient hospital services MUE table",
        ),
        (mue_csv(ROWS, header=HEADER.replace(",MUE Rationale", ",Notes")), "the header lacks MUE Rationale"),
        (mue_csv([]), "has a header but no rows"),
        (b"code,units\r\n97012,1\r\n", "no CMS practitioner MUE table found"),
    ],
)
def test_files_that_are_not_the_practitioner_mue_table(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(ReferenceDataError, match=message):
        MueTable.load_cms_file(write(tmp_path / CSV_NAME, data))


def test_from_rows_checks_values() -> None:
    value = MueValue("97012", 1, 3, "Date of Service Edit: Clinical", "Nature of Service/Procedure", "test")
    assert MueTable.from_rows([value], quarter=date(2026, 7, 1)).lookup("97012") == value
    with pytest.raises(ReferenceDataError, match="rows row 2: code 97012 is given twice"):
        MueTable.from_rows([value, value], quarter=date(2026, 7, 1))
    with pytest.raises(ReferenceDataError, match="indicator 4 is not 1, 2 or 3"):
        MueTable.from_rows([MueValue("97012", 1, 4, "", "", "test")], quarter=date(2026, 7, 1))


def test_save_and_open_give_back_the_same_table(tmp_path: Path, table: MueTable) -> None:
    table.save(tmp_path / "m.sqlite3")
    reopened = MueTable.open(tmp_path / "m.sqlite3")
    assert list(reopened.values()) == list(table.values())
    assert (reopened.quarter, reopened.source, reopened.source_files) == (
        table.quarter,
        table.source,
        table.source_files,
    )


def test_open_refuses_damaged_and_foreign_files(tmp_path: Path, table: MueTable) -> None:
    good = tmp_path / "good.sqlite3"
    table.save(good)
    other_kind = tmp_path / "ptp.sqlite3"
    PtpTable.from_rows([]).save(other_kind)
    damaged_row = tmp_path / "damaged_row.sqlite3"
    shutil.copy(good, damaged_row)
    with contextlib.closing(sqlite3.connect(damaged_row)) as connection, connection:
        connection.execute("UPDATE mue SET rationale = 99 WHERE code = '97012'")
    cases = {
        "truncated.sqlite3": good.read_bytes()[:-20],
        "text.sqlite3": b"97012,1,3\n",
        "ptp.sqlite3": other_kind.read_bytes(),
    }
    for name, content in cases.items():
        with pytest.raises(ReferenceDataError, match="load the CMS file again"):
            MueTable.open(write(tmp_path / name, content))
    opened = MueTable.open(damaged_row)
    assert opened.lookup("97110") == table.lookup("97110")
    with pytest.raises(ReferenceDataError, match="damaged row for 97012"):
        opened.lookup("97012")


def test_lazy_and_preloaded_tables_agree(tmp_path: Path, table: MueTable) -> None:
    table.save(tmp_path / "m.sqlite3")
    for subject in (MueTable.open(tmp_path / "m.sqlite3"), MueTable.open(tmp_path / "m.sqlite3", preload=True)):
        assert [subject.lookup(code) for code in ("97012", "G0283", "97140")] == [
            table.lookup(code) for code in ("97012", "G0283", "97140")
        ]
        assert list(subject.values()) == list(table.values())


def test_installed_table_and_manifest(tmp_path: Path, table: MueTable) -> None:
    assert installed_mue_table(tmp_path) is None
    table.install(tmp_path)
    installed = installed_mue_table(tmp_path)
    assert installed is not None
    assert installed.lookup("97110") == table.lookup("97110")
    entry = read_manifest(tmp_path)["mue_practitioner"]
    assert (entry["rows"], entry["quarter"], entry["source_files"]) == (5, "2026-07-01", [CSV_NAME])


def test_cli_load_mue_then_a_bad_file_keeps_the_installed_table(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    runner = CliRunner()
    good = zip_of(tmp_path / ZIP_NAME, {CSV_NAME: mue_csv(ROWS)})
    result = runner.invoke(reference, ["load-mue", str(good), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Installed 5 practitioner MUE values, 2026-Q3 (effective 2026-07-01), from {CSV_NAME}"
    )
    before = (data_dir / MUE_FILE_NAME).read_bytes()

    bad = write(tmp_path / CSV_NAME, mue_csv([ROWS[0], "97110,6,9 Unknown,Clinical: Data"]))
    result = runner.invoke(reference, ["load-mue", str(bad), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {CSV_NAME} line 11: MUE adjudication indicator '9 Unknown' does not start with 1, 2 or 3\n"
    )
    assert (data_dir / MUE_FILE_NAME).read_bytes() == before
    status = runner.invoke(reference, ["status", "--data-dir", str(data_dir)])
    assert "practitioner MUEs: 5 rows, quarter 2026-07-01" in status.stdout
    assert "NCCI PTP edits: not installed" in status.stdout
