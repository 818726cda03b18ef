"""Locality from a billing address: the CMS ZIP5 file layout (records built here) and the shipped state defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.pricing import MedicareFeeSchedule, ZipLocalityTable, load_state_defaults, locality_for


def zip5_record(
    state: str, zip5: str, carrier: str, locality: str, *, plus_four: str = "0", year_quarter: str = "20254"
) -> str:
    """An 80-character record laid out as in CMS's ZIP5lyout.txt (built for the test, not CMS data)."""
    chars = [" "] * 80
    for start, value in ((0, state), (2, zip5), (7, carrier), (12, locality), (15, "Z9"), (20, plus_four)):
        chars[start : start + len(value)] = value
    chars[75:80] = year_quarter
    return "".join(chars)


@pytest.fixture
def table(tmp_path: Path) -> ZipLocalityTable:
    path = tmp_path / "ZIP5_OCT2025.txt"
    path.write_text(
        "\n".join(
            [
                zip5_record("CA", "94110", "01112", "05"),
                zip5_record("CA", "93101", "01182", "75"),  # a two-carrier locality: 01182 serving 75
                zip5_record("MD", "20814", "12202", "01"),  # Bethesda: DC + MD/VA suburbs
                zip5_record("TX", "77001", "04412", "18", plus_four="1"),
            ]
        )
        + "\n"
    )
    return ZipLocalityTable.load_cms_zip5(path)


def test_the_zip_table_gives_the_locality(table: ZipLocalityTable) -> None:
    choice = locality_for("CA", "94110-2301", table)
    assert choice is not None
    assert (choice.key, choice.how) == ("01112-05", "zip table")
    assert choice.name.startswith("SAN FRANCISCO-OAKLAND-BERKELEY")
    assert choice.source.endswith("ZIP5_OCT2025.txt line 1, 20254")


def test_a_zip_in_another_states_locality_follows_the_table(table: ZipLocalityTable) -> None:
    choice = locality_for("MD", "20814", table)
    assert choice is not None
    assert (choice.key, choice.name) == ("12202-01", "DC + MD/VA SUBURBS")


def test_a_second_carrier_is_resolved_by_state_and_locality_number(table: ZipLocalityTable) -> None:
    choice = locality_for("CA", "93101", table)
    assert choice is not None
    assert (choice.key, choice.name, choice.how) == ("01112-75", "REST OF CALIFORNIA", "zip table")
    assert "Carrier 01182 serves locality 75" in choice.note


def test_a_split_zip_is_flagged(table: ZipLocalityTable) -> None:
    choice = locality_for("TX", "77001", table)
    assert choice is not None
    assert choice.key == "04412-18"
    assert "ZIP9" in choice.note


def test_a_zip_missing_from_the_table_falls_back_to_the_state_default(table: ZipLocalityTable) -> None:
    choice = locality_for("IL", "62701", table)
    assert choice is not None
    assert (choice.key, choice.name, choice.how) == ("06102-99", "REST OF ILLINOIS", "state default")
    assert "ZIP 62701 is not in the ZIP table" in choice.note
    assert "CHICAGO (Cook)" in choice.note


def test_state_defaults_without_a_table() -> None:
    alabama = locality_for("al", "35004")
    assert alabama is not None
    assert (alabama.key, alabama.name, alabama.how) == ("10112-00", "ALABAMA", "state default")
    california = locality_for("CA", "93001")
    assert california is not None
    assert (california.key, california.name) == ("01112-75", "REST OF CALIFORNIA")
    assert locality_for("ZZ", "00000") is None


def test_every_shipped_default_is_a_2025_locality_and_every_state_has_one() -> None:
    localities = MedicareFeeSchedule.default().latest.localities
    defaults = load_state_defaults()
    for state, default in defaults.items():
        assert localities[default.key].name == default.name, state
    assert {loc.state for loc in localities.values()} <= set(defaults)
    for state in {loc.state for loc in localities.values()}:
        in_state = [loc for loc in localities.values() if loc.state == state]
        if len(in_state) > 1:
            assert defaults[state].name.startswith("REST OF "), state
            assert defaults[state].rule == "rest of state"


def test_a_malformed_zip5_record_names_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ZIP5.txt"
    path.write_text(zip5_record("CA", "94110", "01112", "05") + "\n" + zip5_record("CA", "9411X", "01112", "05") + "\n")
    with pytest.raises(ReferenceDataError, match=r"ZIP5\.txt: line 2: field ZIP \(3-7\): '9411X'"):
        ZipLocalityTable.load_cms_zip5(path)


def test_a_duplicate_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ZIP5.txt"
    path.write_text(zip5_record("CA", "94110", "01112", "05") + "\n" + zip5_record("CA", "94110", "01112", "05") + "\n")
    with pytest.raises(ReferenceDataError, match="line 2: ZIP 94110 already on line 1"):
        ZipLocalityTable.load_cms_zip5(path)


def test_a_bad_zip_argument_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a ZIP code"):
        locality_for("CA", "941")
