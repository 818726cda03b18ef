"""CARC, RARC and group code texts: the shipped list, a newer one, a plain code,description list."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.adjustment_codes import DEFAULT_PATH, AdjustmentCodes, kind_of

SHARED_CSV = (
    Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "data" / "carc_rarc_group_pt_selected.csv"
)


def test_the_shipped_list_describes_carcs_rarcs_and_groups() -> None:
    codes = AdjustmentCodes.load()
    assert codes.describe_carc("197") == "Precertification/authorization/notification/pre-treatment absent."
    assert codes.describe_carc(" 253 ") == "Sequestration - reduction in federal payment"
    assert codes.describe_rarc("N443") == "Missing/incomplete/invalid total time or begin/end time."
    assert codes.describe_rarc("ma130").startswith("Your claim contains incomplete and/or invalid information")
    assert codes.group("CO") == "Contractual Obligations"
    assert codes.group("PR") == "Patient Responsibility"
    entry = codes.get("CARC", "204")
    assert entry is not None
    assert "medicalbillingcertify.com" in entry.source
    assert "garbled" in entry.note
    assert len(codes.entries) == 84 + 1  # the extract, and M38 from the additions
    assert codes.describe_rarc("M38").startswith("Alert: The patient is liable for the charges")


def test_unknown_codes_ask_for_a_newer_list() -> None:
    codes = AdjustmentCodes.load()
    assert codes.describe_carc("999") == "unknown CARC 999 (load a newer list)"
    assert codes.describe_rarc("N9999") == "unknown RARC N9999 (load a newer list)"
    assert codes.group("ZZ") == "unknown group code ZZ (load a newer list)"
    assert codes.describe_rarc("197").startswith("unknown RARC")  # a CARC is not a RARC


@pytest.mark.skipif(not SHARED_CSV.is_file(), reason="shared reference data is not beside the checkout")
def test_the_shipped_csv_is_the_shared_rows_unchanged() -> None:
    assert DEFAULT_PATH.read_bytes() == SHARED_CSV.read_bytes()


def test_a_newer_list_with_the_same_columns_adds_and_replaces(tmp_path: Path) -> None:
    newer = tmp_path / "carc_rarc_2027.csv"
    newer.write_text(
        "type,code,description,source,note\n"
        "CARC,999,A code X12 added later.,x12.org/codes 2027-03,\n"
        "CARC,197,Precertification/authorization absent (2027 wording).,x12.org/codes 2027-03,\n",
        encoding="utf-8",
    )
    codes = AdjustmentCodes.load().updated(newer)
    assert codes.describe_carc("999") == "A code X12 added later."
    assert codes.describe_carc("197") == "Precertification/authorization absent (2027 wording)."
    assert codes.describe_rarc("N443").startswith("Missing/incomplete")  # the rest stays
    assert AdjustmentCodes.load(newer).describe_carc("45") == "unknown CARC 45 (load a newer list)"


def test_a_plain_code_description_list_guesses_each_code_s_kind(tmp_path: Path) -> None:
    plain = tmp_path / "codes.csv"
    plain.write_text(
        '4,"The procedure code is inconsistent with the modifier used."\nN443,Time missing.\nMA130,X\n', "utf-8"
    )
    codes = AdjustmentCodes.load(plain)
    assert codes.describe_carc("4").startswith("The procedure code is inconsistent")
    assert codes.describe_rarc("N443") == "Time missing."
    assert codes.describe_rarc("MA130") == "X"
    headed = tmp_path / "headed.csv"
    headed.write_text("code,description\nN700,Some remark.\n", "utf-8")
    assert AdjustmentCodes.load(headed, kind="CARC").describe_carc("N700") == "Some remark."
    assert [kind_of(c) for c in ("45", "A1", "B7", "P12", "M15", "MA01", "N443", "CO", "PR")] == [
        "CARC", "CARC", "CARC", "CARC", "RARC", "RARC", "RARC", "GROUP", "GROUP",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("type,code,description\nCARC,4,\n", "code 4 has no description"),
        ("type,code,description\nCARC,45 6,x\n", "'45 6' is not a CARC, RARC or group code"),
        ("type,code,description\nFOO,4,x\n", "type 'FOO' is not one of CARC, RARC, GROUP"),
    ],
)
def test_a_bad_list_is_refused_with_the_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=problem):
        AdjustmentCodes.load(path)


def test_a_missing_list_is_a_reference_data_error(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="cannot read the code list"):
        AdjustmentCodes.load(tmp_path / "nope.csv")
