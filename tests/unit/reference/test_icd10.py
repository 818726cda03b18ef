"""The compiled ICD-10-CM index: real FY2026 (April 2026) codes, dates of service, and its compiler."""

from __future__ import annotations

import csv
import gzip
import json
import random
import shutil
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from ptbill.domain.dates import DateRange
from ptbill.reference import icd10_build
from ptbill.reference.icd10 import (
    DEFAULT_DIRECTORY,
    MANIFEST_NAME,
    CodeSetVersion,
    CodeStatus,
    Icd10Catalog,
    default_catalog,
)

FY2026_ID = "fy2026-april"
FY2025_ID = "fy2025-april"
SPINE_CODES_CSV = Path("/work/shared/reference/data/icd10cm_fy2026_spine_codes.csv")


@pytest.fixture(scope="module")
def fy2026() -> CodeSetVersion:
    version, exact = default_catalog().version_for(date(2026, 3, 2))
    assert exact
    return version


@pytest.fixture(scope="module")
def simple_icd() -> ModuleType:
    with warnings.catch_warnings():
        # simple-icd-10-cm 1.5.0 reads its data with importlib.resources.read_text, deprecated in 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("simple_icd_10_cm")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # facts.md §6.3: M54.5 has children M54.50/M54.51/M54.59, so it cannot be billed.
        ("M54.5", CodeStatus.HEADER),
        ("M54.50", CodeStatus.BILLABLE),
        ("M54.51", CodeStatus.BILLABLE),
        ("M54.59", CodeStatus.BILLABLE),
        ("M54.16", CodeStatus.BILLABLE),
        ("M51.16", CodeStatus.BILLABLE),
        ("M54.2", CodeStatus.BILLABLE),
        ("M50.122", CodeStatus.BILLABLE),
        ("M54.12", CodeStatus.BILLABLE),
        # M51.36/M51.37 are split by discogenic back pain and leg pain (M51.360-M51.369...).
        ("M51.36", CodeStatus.HEADER),
        ("M51.37", CodeStatus.HEADER),
        ("M51.360", CodeStatus.BILLABLE),
        ("M54", CodeStatus.HEADER),
        ("I10", CodeStatus.BILLABLE),  # a three-character category with no children is billable
        ("M5416", CodeStatus.BILLABLE),
        ("m54.16 ", CodeStatus.BILLABLE),
        ("  s83.511a\t", CodeStatus.BILLABLE),
        ("S83.511", CodeStatus.HEADER),  # needs its 7th character
        ("T07", CodeStatus.HEADER),
        ("T07.XXXA", CodeStatus.BILLABLE),  # 7th character after X placeholders
        ("S06.1X7A", CodeStatus.BILLABLE),
        ("S06.1X7D", CodeStatus.UNKNOWN),  # a death code takes only A: the XML alone would allow D
        ("QA0.0101", CodeStatus.BILLABLE),  # FY2026 category whose second character is a letter
        ("M54.5X", CodeStatus.UNKNOWN),
        ("ZZZ.99", CodeStatus.UNKNOWN),
        ("M54.52", CodeStatus.UNKNOWN),
        ("M5.416", CodeStatus.UNKNOWN),  # a dot anywhere but after the category is not a code as written
        ("M54.", CodeStatus.UNKNOWN),
        ("M50-M54", CodeStatus.UNKNOWN),  # a block of the tabular list, not a code
        ("13", CodeStatus.UNKNOWN),  # a chapter
        ("", CodeStatus.UNKNOWN),
    ],
)
def test_status_of_real_codes(fy2026: CodeSetVersion, code: str, expected: CodeStatus) -> None:
    assert fy2026.status(code) is expected


def test_descriptions_are_the_tabular_titles(fy2026: CodeSetVersion) -> None:
    description = fy2026.description("M54.16")
    assert description is not None
    assert "Radiculopathy" in description
    assert fy2026.description("m5450") == "Low back pain, unspecified"
    assert fy2026.description("S83.511A") == ("Sprain of anterior cruciate ligament of right knee, initial encounter")
    assert fy2026.description("ZZZ.99") is None


def test_version_metadata_matches_manifest(fy2026: CodeSetVersion) -> None:
    manifest = json.loads((DEFAULT_DIRECTORY / MANIFEST_NAME).read_text(encoding="utf-8"))
    (entry,) = (v for v in manifest["versions"] if v["id"] == FY2026_ID)
    assert fy2026.name == "ICD-10-CM FY2026 (April 1, 2026 update)"
    assert fy2026.effective == DateRange(date(2025, 10, 1), date(2026, 10, 1))
    assert "April 1, 2026" in fy2026.note
    assert "simple-icd-10-cm 1.5.0" in fy2026.source
    assert len(fy2026.billable_codes) == entry["billable_count"]
    assert len(fy2026.header_codes) == entry["header_count"]
    assert len(fy2026) == entry["billable_count"] + entry["header_count"]
    assert not fy2026.billable_codes & fy2026.header_codes


@pytest.mark.parametrize(
    ("day", "exact"),
    [
        (date(2026, 3, 2), True),
        (date(2025, 10, 1), True),
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),  # FY2027 starts; it is not loaded
        (date(2026, 11, 26), False),
    ],
)
def test_version_for_date_of_service(day: date, exact: bool) -> None:
    version, is_exact = default_catalog().version_for(day)
    assert version.id == FY2026_ID
    assert is_exact is exact


@pytest.mark.parametrize(
    ("day", "version_id", "exact"),
    [
        (date(2025, 9, 30), FY2025_ID, True),
        (date(2024, 10, 1), FY2025_ID, True),
        (date(2024, 9, 30), FY2025_ID, False),  # FY2024 is not shipped: the earliest loaded answers
        (date(2020, 1, 1), FY2025_ID, False),
    ],
)
def test_fy2025_is_shipped_as_changes_against_fy2026(day: date, version_id: str, exact: bool) -> None:
    version, is_exact = default_catalog().version_for(day)
    assert (version.id, is_exact) == (version_id, exact)
    assert version.status("G35") is CodeStatus.BILLABLE  # split into G35.A ... on 2025-10-01
    assert version.status("G35A") is CodeStatus.UNKNOWN
    assert version.status("M51.36") is CodeStatus.HEADER  # split on 2024-10-01, the first day of FY2025
    fy2026 = default_catalog().version_for(date(2025, 10, 1))[0]
    assert fy2026.status("G35") is CodeStatus.HEADER
    assert len(version.billable_codes) == 74260


def test_default_catalog_is_loaded_once() -> None:
    assert default_catalog() is default_catalog()


def test_fast_path_never_imports_simple_icd_10_cm() -> None:
    script = (
        "import sys; from ptbill.reference.icd10 import default_catalog; "
        "v, _ = default_catalog().version_for(__import__('datetime').date(2026, 3, 2)); "
        "assert v.status('M54.16') == 'billable'; v.description('M54.16'); "
        "assert 'simple_icd_10_cm' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


# --- the compiler, on a small tabular list written for these tests ---------------------------------

TINY_TABULAR = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2027</version>
  <introduction><introSection type="title"><title>ICD-10-CM TABULAR LIST</title></introSection></introduction>
  <chapter>
    <name>13</name>
    <desc>Diseases of the musculoskeletal system and connective tissue (M00-M99)</desc>
    <sectionIndex><sectionRef first="M50" last="M54" id="M50-M54">Dorsopathies</sectionRef></sectionIndex>
    <section id="M50-M54">
      <desc>Other dorsopathies (M50-M54)</desc>
      <diag>
        <name>M54</name>
        <desc>Dorsalgia</desc>
        <diag><name>M54.2</name><desc>Cervicalgia</desc></diag>
        <diag>
          <name>M54.5</name>
          <desc>Low back pain</desc>
          <diag><name>M54.50</name><desc>Low back pain, unspecified</desc></diag>
          <diag><name>M54.52</name><desc>Low back pain, a code made up for this test</desc></diag>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>19</name>
    <desc>Injury, poisoning and certain other consequences of external causes (S00-T88)</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S06</name>
        <desc>Intracranial injury</desc>
        <sevenChrNote><note>The appropriate 7th character is to be added to each code</note></sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
          <note>\tlate effect</note>
        </sevenChrDef>
        <diag>
          <name>S06.0</name>
          <desc>Concussion</desc>
          <diag><name>S06.0X0</name><desc>Concussion without loss of consciousness</desc></diag>
          <diag><name>S06.0X7</name><desc>Concussion with death</desc></diag>
        </diag>
      </diag>
    </section>
    <section id="T07">
      <desc>Injuries involving multiple body regions (T07)</desc>
      <diag>
        <name>T07</name>
        <desc>Unspecified multiple injuries</desc>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""
# Header lines in the list do no harm; S06.0X7 takes only A, as in the real code set.
TINY_CODE_LIST = "M54\nM542\nM5450\nM5452\nS060X0A\nS060X0D\nS060X0S\nS060X7A\nT07XXXA\nT07XXXS\n"


@pytest.fixture
def tiny_files(tmp_path: Path) -> tuple[Path, Path]:
    xml, code_list = tmp_path / "tabular-2027.xml", tmp_path / "codes-2027.txt"
    xml.write_text(TINY_TABULAR, encoding="utf-8")
    code_list.write_text(TINY_CODE_LIST, encoding="utf-8")
    return xml, code_list


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "icd10cm"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    return directory


def _fy2027_args(xml: Path, code_list: Path, output_dir: Path, **overrides: str) -> list[str]:
    options = {
        "--tabular-xml": str(xml),
        "--code-list": str(code_list),
        "--id": "fy2027",
        "--name": "ICD-10-CM FY2027",
        "--effective-from": "2026-10-01",
        "--effective-to": "2027-10-01",
        "--source": "a tabular list written for this test",
        "--output-dir": str(output_dir),
    }
    options.update(overrides)
    return [part for pair in options.items() for part in pair]


def test_compile_leaves_headers_and_seventh_characters(tiny_files: tuple[Path, Path]) -> None:
    xml, code_list = tiny_files
    compiled = icd10_build.compile_tabular(xml, icd10_build.read_code_list(code_list))
    assert compiled.tabular_version == "2027"
    assert compiled.headers == {"M54", "M545", "S06", "S060", "S060X0", "S060X7", "T07"}
    assert compiled.billable == {
        "M542", "M5450", "M5452", "S060X0A", "S060X0D", "S060X0S", "S060X7A", "T07XXXA", "T07XXXS",
    }  # fmt: skip
    assert compiled.descriptions["S060X0S"] == "Concussion without loss of consciousness, sequela/late effect"
    assert compiled.descriptions["T07XXXA"] == "Unspecified multiple injuries, initial encounter"
    assert compiled.problems == ()


def test_compile_reports_a_code_list_that_disagrees(tmp_path: Path, tiny_files: tuple[Path, Path]) -> None:
    xml, _ = tiny_files
    code_list = tmp_path / "short-list.txt"
    code_list.write_text("M5450\nM5452\nS060X0A\nS060X7A\nT07XXXA\nZ9999\n", encoding="utf-8")
    compiled = icd10_build.compile_tabular(xml, icd10_build.read_code_list(code_list))
    assert "M542" in compiled.problems[0]  # billable in the XML, absent from the list
    assert "Z9999" in compiled.problems[1]  # in the list, absent from the XML


def test_code_list_formats(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    # simple-icd-10-cm's list (chapters, blocks), CMS's codes file, CMS's order file, CRLF endings.
    path.write_text(
        "13\r\nM50-M54\r\nM54.2\r\nM5450   Low back pain, unspecified\r\n"
        "12345 M5451   1 Vertebrogenic low back pain   Vertebrogenic low back pain\r\n",
        encoding="utf-8",
    )
    assert icd10_build.read_code_list(path) == {"M50-M54", "M542", "M5450", "M5451"}


def test_adding_a_version_keeps_the_others(
    tiny_files: tuple[Path, Path], shipped_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml, code_list = tiny_files
    assert icd10_build.main(_fy2027_args(xml, code_list, shipped_copy)) == 0
    assert capsys.readouterr().err == ""
    manifest = json.loads((shipped_copy / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert [v["id"] for v in manifest["versions"]] == [FY2025_ID, FY2026_ID, "fy2027"]

    catalog = Icd10Catalog.load(shipped_copy)
    fy2027, exact = catalog.version_for(date(2026, 11, 26))
    assert (fy2027.id, exact) == ("fy2027", True)
    assert fy2027.status("M54.52") is CodeStatus.BILLABLE
    assert fy2027.status("S06.0X7D") is CodeStatus.UNKNOWN
    assert fy2027.description("M54.5") == "Low back pain"
    fy2026, exact = catalog.version_for(date(2026, 9, 30))
    assert (fy2026.id, exact) == (FY2026_ID, True)
    assert fy2026.status("M54.52") is CodeStatus.UNKNOWN
    assert catalog.version_for(date(2028, 1, 1)) == (fy2027, False)

    # Rebuilding the same id replaces it.
    assert icd10_build.main(_fy2027_args(xml, code_list, shipped_copy, **{"--name": "FY2027 again"})) == 0
    assert [v.name for v in Icd10Catalog.load(shipped_copy).versions][-1] == "FY2027 again"


def test_overlapping_version_is_refused(
    tiny_files: tuple[Path, Path], shipped_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml, code_list = tiny_files
    before = (shipped_copy / MANIFEST_NAME).read_bytes()
    args = _fy2027_args(xml, code_list, shipped_copy, **{"--effective-from": "2026-09-01"})
    assert icd10_build.main(args) == 1
    assert "already covers" in capsys.readouterr().err
    assert (shipped_copy / MANIFEST_NAME).read_bytes() == before


def test_tabular_xml_needs_the_other_options(tiny_files: tuple[Path, Path]) -> None:
    xml, _ = tiny_files
    with pytest.raises(SystemExit) as exit_info:
        icd10_build.main(["--tabular-xml", str(xml)])
    assert exit_info.value.code == 2


def test_gap_between_versions_uses_the_one_before(tiny_files: tuple[Path, Path], tmp_path: Path) -> None:
    xml, code_list = tiny_files
    directory = tmp_path / "gap"
    for version_id, start, end in (
        ("fy2026", "2025-10-01", "2026-10-01"),
        ("fy2028", "2027-10-01", "2028-10-01"),
    ):
        args = {"--id": version_id, "--effective-from": start, "--effective-to": end}
        assert icd10_build.main(_fy2027_args(xml, code_list, directory, **args)) == 0
    catalog = Icd10Catalog.load(directory)
    assert [v.id for v, _ in map(catalog.version_for, (date(2027, 5, 1), date(2025, 1, 1)))] == [
        "fy2026",
        "fy2026",
    ]
    assert catalog.version_for(date(2030, 1, 1))[0].id == "fy2028"


def test_descriptions_are_read_only_when_asked(shipped_copy: Path) -> None:
    (shipped_copy / f"{FY2026_ID}-descriptions.tsv.gz").unlink()
    version = Icd10Catalog.load(shipped_copy).versions[0]
    assert version.status("M54.16") is CodeStatus.BILLABLE
    with pytest.raises(ValueError, match="descriptions file not found"):
        version.description("M54.16")


def test_damaged_codes_file_is_refused(shipped_copy: Path) -> None:
    codes = shipped_copy / f"{FY2026_ID}-codes.txt"
    codes.write_text(codes.read_text(encoding="ascii")[:-50_000], encoding="ascii")
    with pytest.raises(ValueError, match="damaged"):
        Icd10Catalog.load(shipped_copy)


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="manifest not found"):
        Icd10Catalog.load(tmp_path)


# --- agreement with simple-icd-10-cm and with the shared reference data --------------------------


def test_rebuild_gives_the_shipped_files(simple_icd: ModuleType, tmp_path: Path) -> None:
    assert icd10_build.main(["--output-dir", str(tmp_path)]) == 0
    codes = f"{FY2026_ID}-codes.txt"
    assert (tmp_path / codes).read_bytes() == (DEFAULT_DIRECTORY / codes).read_bytes()
    descriptions = f"{FY2026_ID}-descriptions.tsv.gz"
    rebuilt = gzip.decompress((tmp_path / descriptions).read_bytes())
    assert rebuilt == gzip.decompress((DEFAULT_DIRECTORY / descriptions).read_bytes())
    (rebuilt_entry,) = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))["versions"]
    shipped = json.loads((DEFAULT_DIRECTORY / MANIFEST_NAME).read_text(encoding="utf-8"))["versions"]
    assert rebuilt_entry in shipped


def test_status_agrees_with_simple_icd_10_cm(simple_icd: ModuleType, fy2026: CodeSetVersion) -> None:
    # Chapters ("13") and blocks ("M50-M54") are valid items there but not codes; leave them out.
    codes = [c for c in simple_icd.get_all_codes(with_dots=True) if c[:1].isalpha() and "-" not in c]
    # Every code rather than a sample: it takes a fraction of a second.
    for code in codes:
        expected = CodeStatus.BILLABLE if simple_icd.is_leaf(code) else CodeStatus.HEADER
        assert fy2026.status(code) is expected, code
    assert len(set(codes)) == len(fy2026)  # and the index holds nothing else

    # Near misses: one character changed, added or dropped.
    rng = random.Random(27)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for _ in range(4000):
        bare = rng.choice(codes).replace(".", "")
        at = rng.randrange(len(bare) + 1)
        near = rng.choice(
            [
                bare[:at] + rng.choice(alphabet) + bare[at + 1 :],
                bare[:at] + rng.choice(alphabet) + bare[at:],
                bare[:-1],
            ]
        )
        valid = len(near) >= 3 and simple_icd.is_valid_item(near)
        assert (fy2026.status(near) is not CodeStatus.UNKNOWN) == valid, near
        if valid:
            assert (fy2026.status(near) is CodeStatus.BILLABLE) == simple_icd.is_leaf(near), near


def test_spine_codes_from_shared_reference(fy2026: CodeSetVersion) -> None:
    if not SPINE_CODES_CSV.exists():
        pytest.skip(f"{SPINE_CODES_CSV} is not present")
    with SPINE_CODES_CSV.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 214
    for row in rows:
        expected = CodeStatus.BILLABLE if row["billable_leaf"] == "Y" else CodeStatus.HEADER
        assert fy2026.status(row["code"]) is expected, row["code"]
        assert fy2026.status(row["code_dotted"]) is expected, row["code_dotted"]


def test_status_from_the_text_agrees_with_the_sets() -> None:
    # A freshly loaded version answers its first questions from the codes file's text, without its sets.
    text_version = next(v for v in Icd10Catalog.load().versions if v.id == FY2026_ID)
    set_version = next(v for v in Icd10Catalog.load().versions if v.id == FY2026_ID)
    assert text_version.blocks is not None
    assert text_version.status("M54.16") is CodeStatus.BILLABLE
    assert not text_version._sets  # no set built for that answer
    text_version._searches[0] = 10**9  # every question below from the text
    rng = random.Random(19)
    codes = sorted(set_version.billable_codes | set_version.header_codes)
    asked = [*rng.sample(codes, 3000), "", " ", "M54\n", "M5416\nM5417", "m54.16", " M54.16 ", "M54.1é", "M5"]
    for code in rng.sample(codes, 3000):
        at = rng.randrange(len(code))
        asked += [code[:at], code[at:], code + "0", code[:at] + "Z" + code[at + 1 :], code.lower(), f"{code}\n"]
    for code in asked:
        assert text_version.status(code) is set_version.status(code), repr(code)
    assert not text_version._sets


def test_a_codes_file_not_plainly_well_formed_builds_its_sets_at_load(shipped_copy: Path) -> None:
    codes = shipped_copy / f"{FY2026_ID}-codes.txt"
    codes.write_text(codes.read_text(encoding="ascii").replace("\nM5416\n", "\nM5416 \n"), encoding="ascii")
    version = next(v for v in Icd10Catalog.load(shipped_copy).versions if v.id == FY2026_ID)
    assert version.blocks is None
    assert version.status("M54.16") is CodeStatus.BILLABLE
