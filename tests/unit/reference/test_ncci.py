"""NCCI PTP edits: CMS's practitioner files (TXT, CSV, ZIP), dated lookups, the compiled form, the CLI."""

from __future__ import annotations

import csv
import io
import pickle
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.reference_cmds import reference
from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.reference import ncci
from ptbill.reference.mue import MueTable
from ptbill.reference.ncci import (
    PTP_FILE_NAME,
    PtpEdit,
    PtpTable,
    installed_ptp_table,
    quarter_from_name,
    read_manifest,
)

# CMS's layout, as in ccipra-v322r0-f1.TXT: an AMA notice, a title, a header wrapped over four lines
# (all padded with tabs to seven fields), then one edit per line. CRLF line ends, Latin-1.
PREAMBLE = [
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t",
    "Column1/Column2 Edits\t\t\t\t\t\t",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]
FIRST_DATA_LINE = len(PREAMBLE) + 1

# Real PT pairs, made-up edits: these tests check the parser, not CMS's policy.
ROWS = [
    "97140\t97530\t\t20150101\t*\t1\tMutually exclusive procedures",
    "97161\t97530\t\t20200101\t20200101\t9\tMutually exclusive procedures",
    "97110\t97012\t*\t19960101\t20231231\t0\tStandards of medical/surgical practice",
    "97164\t97150\t\t20170101\t20191231\t0\tCPT Manual or CMS manual coding instruction",
    "97164\t97150\t\t20200101\t*\t1\tCPT Manual or CMS manual coding instruction",
]


def ptp_txt(rows: list[str]) -> bytes:
    return "".join(f"{line}\r\n" for line in PREAMBLE + rows).encode("latin-1")


def ptp_csv(rows: list[str]) -> bytes:
    """The same table as CMS's XLSX saved as CSV by a spreadsheet program."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in PREAMBLE + rows:
        writer.writerow(line.split("\t"))
    return out.getvalue().encode("latin-1")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def table(tmp_path: Path) -> PtpTable:
    return PtpTable.load_cms_file(write(tmp_path / "ccipra-v322r0-f1.TXT", ptp_txt(ROWS)))


def test_lookup_finds_the_edit_whichever_code_is_given_first(table: PtpTable) -> None:
    day = date(2026, 8, 3)
    forward, backward = table.lookup("97140", "97530", day), table.lookup("97530", "97140", day)
    assert forward is not None
    assert forward == backward
    assert (forward.column1, forward.column2) == ("97140", "97530")
    assert forward.rationale == "Mutually exclusive procedures"
    assert forward.source == "ccipra-v322r0-f1.TXT, 2026-Q3"
    assert table.lookup("97140", "97110", day) is None


def test_a_deleted_edit_applies_through_its_deletion_date_and_not_after(table: PtpTable) -> None:
    # 97110/97012: effective 1996-01-01, CMS deletion date 2023-12-31 = the last day in force.
    assert table.lookup("97012", "97110", date(1995, 12, 31)) is None
    assert table.lookup("97012", "97110", date(1996, 1, 1)) is not None
    last_day = table.lookup("97012", "97110", date(2023, 12, 31))
    assert last_day is not None
    assert last_day.effective == DateRange(date(1996, 1, 1), date(2024, 1, 1))
    assert table.lookup("97012", "97110", date(2024, 1, 1)) is None


def test_modifier_indicators(table: PtpTable) -> None:
    allowed = table.lookup("97140", "97530", date(2026, 1, 2))
    never = table.lookup("97110", "97012", date(2020, 1, 2))
    voided = table.lookup("97530", "97161", date(2020, 1, 1))
    assert allowed is not None
    assert never is not None
    assert voided is not None
    assert (allowed.modifier_indicator, allowed.modifier_allowed, allowed.bundles) == (1, True, True)
    assert (never.modifier_indicator, never.modifier_allowed, never.bundles) == (0, False, True)
    # Added and deleted on the same day with indicator 9: listed, never bundled.
    assert (voided.modifier_indicator, voided.bundles) == (9, False)
    assert table.lookup("97530", "97161", date(2020, 1, 2)) is None


def test_each_date_gets_the_version_of_the_pair_in_force(table: PtpTable) -> None:
    old = table.lookup("97150", "97164", date(2019, 12, 31))
    new = table.lookup("97150", "97164", date(2020, 1, 1))
    assert old is not None
    assert new is not None
    assert (old.modifier_indicator, new.modifier_indicator) == (0, 1)
    assert table.lookup("97150", "97164", date(2016, 12, 31)) is None
    assert len(table) == len(ROWS)


def test_a_csv_saved_from_cms_xlsx_reads_like_the_txt(tmp_path: Path, table: PtpTable) -> None:
    from_csv = PtpTable.load_cms_file(write(tmp_path / "ccipra-v322r0-f1.csv", ptp_csv(ROWS)))
    assert [(e.column1, e.column2, e.effective, e.modifier_indicator) for e in from_csv.edits()] == [
        (e.column1, e.column2, e.effective, e.modifier_indicator) for e in table.edits()
    ]


def test_the_four_cms_zips_load_together_and_name_the_quarter(tmp_path: Path) -> None:
    parts = [
        zip_of(
            tmp_path / f"medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f{n}.zip",
            {f"ccipra-v322r0-f{n}.TXT": ptp_txt([row])},
        )
        for n, row in enumerate(ROWS[:4], start=1)
    ]
    loaded = PtpTable.load_cms_files(parts)
    assert len(loaded) == 4
    assert loaded.quarter == date(2026, 7, 1)
    assert loaded.warnings == ()
    assert loaded.source_files == tuple(f"ccipra-v322r0-f{n}.TXT" for n in range(1, 5))
    edit = loaded.lookup("97012", "97110", date(2020, 1, 1))
    assert edit is not None
    assert edit.source == "ccipra-v322r0-f3.TXT, 2026-Q3"


def test_one_zip_holding_several_parts_and_a_readme(tmp_path: Path) -> None:
    archive = zip_of(
        tmp_path / "ptp-2026q4.zip",
        {
            "ccipra-v323r0-f1.TXT": ptp_txt(ROWS[:2]),
            "ccipra-v323r0-f2.TXT": ptp_txt(ROWS[2:]),
            "ccipra-v323r0-f1.xlsx": b"PK not read",
            "README.txt": b"Practitioner PTP edits, read me first\r\n",
        },
    )
    loaded = PtpTable.load_cms_file(archive)
    assert len(loaded) == len(ROWS)
    assert loaded.quarter == date(2026, 10, 1)
    assert any("README.txt" in warning for warning in loaded.warnings)
    assert any("only part(s) f1, f2 of ccipra-v323r0" in warning for warning in loaded.warnings)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip", date(2026, 7, 1)),
        ("ccipra-v320r0-f4.TXT", date(2026, 1, 1)),
        ("ccipra-v313r0-f1.TXT", date(2025, 10, 1)),
        ("medicare-ncci-2026-q3-practitioner-services-mue-table.zip", date(2026, 7, 1)),
        ("ptp.txt", None),
    ],
)
def test_quarter_from_name(name: str, expected: date | None) -> None:
    assert quarter_from_name(name) == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "97140\t97530\t\t20150101\t*\tx\tMutually exclusive procedures",
            "modifier indicator 'x' is not 0, 1 or 9",
        ),
        ("97140\t97530\t\t2015-01-01\t*\t1\tMutually exclusive procedures", "effective date '2015-01-01'"),
        ("97140\t97530\t\t20150101\t20151332\t1\tMutually exclusive procedures", "deletion date '20151332'"),
        ("9714\t97530\t\t20150101\t*\t1\tMutually exclusive procedures", "column 1 code '9714'"),
        ("97140\t97530\t\t20150101\t*", "expected 7 fields"),
        ("97140\t97530\tY\t20150101\t*\t1\tMutually exclusive procedures", "in existence prior to 1996"),
        ("\t97530\t\t20150101\t*\t1\tMutually exclusive procedures", "column 1 code ''"),
    ],
)
def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path / "ptp.txt", ptp_txt([ROWS[0], row]))
    with pytest.raises(ReferenceDataError) as raised:
        PtpTable.load_cms_file(path)
    assert str(raised.value).startswith(f"ptp.txt line {FIRST_DATA_LINE + 1}: ")
    assert message in str(raised.value)


def test_the_exact_message_for_a_bad_modifier_indicator(tmp_path: Path) -> None:
    rows = [ROWS[0], "97140\t97110\t\t20150101\t*\tx\tMutually exclusive procedures"]
    with pytest.raises(ReferenceDataError, match=r"^ptp\.txt line 8: modifier indicator 'x' is not 0, 1 or 9$"):
        PtpTable.load_cms_file(write(tmp_path / "ptp.txt", ptp_txt(rows)))


def test_a_bad_line_inside_a_zip_names_the_zip_and_the_member(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "f1.zip", {"ccipra-v322r0-f1.TXT": ptp_txt(["97140\t97530\t\t2015\t*\t1\tx"])})
    with pytest.raises(ReferenceDataError, match=r"^f1\.zip/ccipra-v322r0-f1\.TXT line 7: effective date"):
        PtpTable.load_cms_file(archive)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("ptp.txt", b"Column1/Column2 Edits\r\n97140\t97530\r\n", "no CMS PTP file found"),
        ("empty.txt", b"", "no CMS PTP file found"),
        ("ccioph-v322r0-f1.TXT", ptp_txt(ROWS), "outpatient hospital PTP table"),
        ("f1.zip", b"PK\x03\x04 not really a zip", "file found"),
    ],
)
def test_files_that_are_not_cms_practitioner_ptp_files(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(ReferenceDataError, match=message):
        PtpTable.load_cms_file(write(tmp_path / name, data))


def test_missing_files_and_mixed_quarters_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"nope\.zip: file not found"):
        PtpTable.load_cms_file(tmp_path / "nope.zip")
    q2 = write(tmp_path / "ccipra-v321r0-f1.TXT", ptp_txt(ROWS[:1]))
    q3 = write(tmp_path / "ccipra-v322r0-f2.TXT", ptp_txt(ROWS[1:2]))
    with pytest.raises(ReferenceDataError, match="different quarters: 2026-Q2"):
        PtpTable.load_cms_files([q2, q3])


def test_the_same_edit_twice_is_kept_once_but_a_conflicting_copy_is_an_error(tmp_path: Path) -> None:
    assert len(PtpTable.load_cms_file(write(tmp_path / "a.txt", ptp_txt([ROWS[0], ROWS[0]])))) == 1
    conflicting = ROWS[0].replace("\t1\t", "\t0\t")
    expected = r"a\.txt line 8: edit 97140/97530 effective 2015-01-01 is listed twice"
    with pytest.raises(ReferenceDataError, match=expected):
        PtpTable.load_cms_file(write(tmp_path / "a.txt", ptp_txt([ROWS[0], conflicting])))


def test_the_quarter_given_by_the_caller_wins(tmp_path: Path) -> None:
    path = write(tmp_path / "ptp.txt", ptp_txt(ROWS))
    assert PtpTable.load_cms_file(path).quarter is None
    assert PtpTable.load_cms_file(path, quarter=date(2026, 10, 1)).quarter == date(2026, 10, 1)


def test_save_and_open_give_back_the_same_table(tmp_path: Path, table: PtpTable) -> None:
    table.save(tmp_path / "t.sqlite3")
    reopened = PtpTable.open(tmp_path / "t.sqlite3")
    assert list(reopened.edits()) == list(table.edits())
    assert (len(reopened), reopened.quarter, reopened.source) == (len(table), table.quarter, table.source)
    assert reopened.warnings == table.warnings


def test_from_rows_builds_the_same_lookups() -> None:
    edit = PtpEdit("97140", "97530", DateRange(date(2015, 1, 1)), 1, "", "test")
    built = PtpTable.from_rows([edit], quarter=date(2026, 7, 1))
    assert built.lookup("97530", "97140", date(2026, 1, 1)) == edit
    with pytest.raises(ReferenceDataError, match="rows row 1: modifier indicator 2"):
        PtpTable.from_rows([PtpEdit("97140", "97530", DateRange(date(2015, 1, 1)), 2, "", "test")])


def test_open_refuses_damaged_and_foreign_files(tmp_path: Path, table: PtpTable) -> None:
    good = tmp_path / "good.sqlite3"
    table.save(good)
    data = good.read_bytes()
    other_kind = tmp_path / "mue.sqlite3"
    MueTable.from_rows([], quarter=date(2026, 7, 1)).save(other_kind)
    cases = {
        "truncated.sqlite3": data[: len(data) // 2],
        "pickle.sqlite3": pickle.dumps({"not": "ours"}),
        "text.sqlite3": b"97140\t97530\t1\n",
        "empty.sqlite3": b"",
        "mue.sqlite3": other_kind.read_bytes(),
    }
    for name, content in cases.items():
        with pytest.raises(ReferenceDataError, match="load the CMS file again"):
            PtpTable.open(write(tmp_path / name, content))
    with pytest.raises(ReferenceDataError, match="not found"):
        PtpTable.open(tmp_path / "missing.sqlite3")


def test_a_table_opened_from_disk_reads_rows_on_demand_or_preloaded(tmp_path: Path, table: PtpTable) -> None:
    table.save(tmp_path / "t.sqlite3")
    lazy, preloaded = PtpTable.open(tmp_path / "t.sqlite3"), PtpTable.open(tmp_path / "t.sqlite3", preload=True)
    for subject in (lazy, preloaded):
        assert len(subject) == len(table)
        for day in (date(2019, 12, 31), date(2020, 1, 1), date(2026, 8, 3)):
            for a, b in (("97150", "97164"), ("97530", "97140"), ("97012", "97110"), ("97140", "97110")):
                assert subject.lookup(a, b, day) == table.lookup(a, b, day)
        assert list(subject.edits()) == list(table.edits())


def test_installed_table_and_manifest(tmp_path: Path, table: PtpTable) -> None:
    assert installed_ptp_table(tmp_path) is None
    table.install(tmp_path)
    installed = installed_ptp_table(tmp_path)
    assert installed is not None
    assert list(installed.edits()) == list(table.edits())
    assert installed_ptp_table(tmp_path) is installed  # reopened only when the file changes
    entry = read_manifest(tmp_path)["ncci_ptp"]
    assert (entry["rows"], entry["quarter"], entry["source_files"]) == (
        5,
        "2026-07-01",
        ["ccipra-v322r0-f1.TXT"],
    )


def test_a_failed_write_leaves_the_installed_table_and_no_temporary_file(
    tmp_path: Path, table: PtpTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    table.install(data_dir)
    before = (data_dir / PTP_FILE_NAME).read_bytes()
    installed = installed_ptp_table(data_dir)

    smaller = PtpTable.from_rows([next(table.edits())])
    with monkeypatch.context() as patch:
        patch.setattr(ncci, "_SCHEMA", "CREATE TABLE broken (")  # sqlite fails halfway through the write
        with pytest.raises(sqlite3.OperationalError):
            smaller.install(data_dir)

    def write_fails_midway(temporary: Path) -> None:
        temporary.write_bytes(b"half a table")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        ncci.write_atomically(data_dir / PTP_FILE_NAME, write_fails_midway)
    assert (data_dir / PTP_FILE_NAME).read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["manifest.json", PTP_FILE_NAME]
    assert read_manifest(data_dir)["ncci_ptp"]["rows"] == len(ROWS)
    assert installed_ptp_table(data_dir) is installed


def test_the_shipped_baseline_has_exactly_the_confirmed_pair() -> None:
    baseline = PtpTable.baseline()
    assert len(baseline) == 1
    (edit,) = baseline.edits()
    assert (edit.column1, edit.column2, edit.modifier_indicator) == ("97140", "97530", 1)
    assert edit.effective == DateRange(date(2015, 1, 1), None)
    assert "Example 9" in edit.source
    assert "webpt.com" in edit.source
    with ncci.BASELINE_PATH.open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["confidence"] == "cms-quoted"
    assert "CMS quarterly PTP file was not available" in row["note"]
    assert baseline.lookup("97530", "97140", date(2026, 11, 26)) == edit
    assert baseline.lookup("97012", "97140", date(2026, 11, 26)) is None


def test_cli_load_ncci_installs_the_table_and_status_reports_it(tmp_path: Path) -> None:
    parts = [
        zip_of(tmp_path / f"ccipra-v322r0-f{n}.zip", {f"ccipra-v322r0-f{n}.TXT": ptp_txt([ROWS[n - 1]])})
        for n in range(1, 5)
    ]
    data_dir = tmp_path / "data"
    runner = CliRunner()
    result = runner.invoke(reference, ["load-ncci", *map(str, parts), "--data-dir", str(data_dir / "reference")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Installed 4 NCCI PTP edits, 2026-Q3, from ccipra-v322r0-f1.TXT")
    assert result.stdout.count("\n") == 1
    status = runner.invoke(reference, ["status"], env={"PTBILL_DATA_DIR": str(data_dir)})
    assert status.exit_code == 0
    assert "NCCI PTP edits: 4 rows, quarter 2026-07-01" in status.stdout
    assert "practitioner MUEs: not installed" in status.stdout


def test_cli_bad_file_exits_2_with_one_line_and_keeps_the_installed_table(tmp_path: Path) -> None:
    good = write(tmp_path / "ccipra-v322r0-f1.TXT", ptp_txt(ROWS))
    bad = write(tmp_path / "ptp.txt", ptp_txt([ROWS[0], "97140\t97110\t\t20150101\t*\tx\tMutually exclusive"]))
    data_dir = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(reference, ["load-ncci", str(good), "--data-dir", str(data_dir)]).exit_code == 0
    before = (data_dir / PTP_FILE_NAME).read_bytes()
    result = runner.invoke(reference, ["load-ncci", str(bad), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: ptp.txt line 8: modifier indicator 'x' is not 0, 1 or 9\n"
    assert (data_dir / PTP_FILE_NAME).read_bytes() == before
    assert read_manifest(data_dir)["ncci_ptp"]["rows"] == len(ROWS)
    result = runner.invoke(reference, ["load-ncci", str(good), "--effective", "2026-13-01"])
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: Invalid value for '--effective': '2026-13-01' is not a date on the calendar (YYYY-MM-DD)\n",
    )
