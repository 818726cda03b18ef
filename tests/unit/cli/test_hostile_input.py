"""Other scripts, other-script digits and huge numbers on the command line: a claim or a line naming the
field, exit 0, 1 or 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
CLEAN: dict[str, Any] = json.loads((ROOT / "examples" / "medicare-lumbar-traction-clean.json").read_text())


def ptbill(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PTBILL_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", *args], capture_output=True, cwd=ROOT, env=environment, check=False
    )


def note(tmp_path: Path, text: str | None = None, **patient: str) -> str:
    document = json.loads(json.dumps(CLEAN))
    document["patient"].update(patient)
    path = tmp_path / "note.json"
    path.write_text(text if text is not None else json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_vietnamese_name_is_claimed_transliterated(tmp_path: Path) -> None:
    result = ptbill(tmp_path, "claim", note(tmp_path, last_name="Nguyễn", first_name="Thị"))
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode("ascii")
    assert "NM1*IL*1*NGUYEN*THI****MI*" in text
    assert pyx12_errors(text) == []


def test_a_name_in_chinese_characters_is_refused_by_the_check_before_any_claim(tmp_path: Path) -> None:
    path = note(tmp_path, last_name="王", first_name="芳")
    result = ptbill(tmp_path, "claim", path)
    assert result.returncode == 1
    assert b"CLAIM_TEXT_NOT_TRANSLITERABLE" in result.stderr
    assert b"Traceback" not in result.stderr
    assert result.stdout == b""
    forced = ptbill(tmp_path, "claim", "--allow-blocked", path)  # the writer refuses it too
    assert forced.returncode == 2
    assert b"the patient's last name has characters with no X12 form" in forced.stderr
    assert b"Traceback" not in forced.stderr


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if part.isascii() and part.isdigit() else node[part]
    node[last] = value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("billing_provider.tax_id", "95451234{}"),
        ("billing_provider.address.zip", "9310{}"),
        ("place_of_service", "1{}"),
        ("date_of_service", "2026-03-0{}"),
        ("services.0.start_time", "09:0{}"),
        ("coverage.therapy_charges_ytd", "185{}.00"),
    ],
)
def test_arabic_indic_digits_are_refused_naming_the_field(tmp_path: Path, field: str, value: str) -> None:
    document = json.loads(json.dumps(CLEAN))
    set_path(document, field, value.format("٣"))
    result = ptbill(tmp_path, "check", note(tmp_path, json.dumps(document, ensure_ascii=False)))
    assert result.returncode == 2, result.stderr.decode()
    assert f"note.json: {field.replace('.0.', '[0].')}: ".encode() in result.stderr
    assert b"Traceback" not in result.stderr


def test_a_tax_id_in_arabic_indic_digits_never_reaches_the_837p(tmp_path: Path) -> None:
    document = json.loads(json.dumps(CLEAN))
    document["billing_provider"]["tax_id"] = "٩٥٤٥١٢٣٤٥"
    result = ptbill(tmp_path, "claim", note(tmp_path, json.dumps(document, ensure_ascii=False)))
    assert result.returncode == 2
    assert b"note.json: billing_provider.tax_id: not in the expected form" in result.stderr
    assert result.stdout == b""


def test_a_5000_digit_integer_is_a_bad_field_not_a_traceback(tmp_path: Path) -> None:
    text = json.dumps(CLEAN).replace('"total_treatment_minutes": 51', '"total_treatment_minutes": ' + "9" * 5000)
    path = note(tmp_path, text)
    for command in ("check", "claim"):
        result = ptbill(tmp_path, command, path)
        assert result.returncode == 2
        assert b"total_treatment_minutes: not a whole number: a number of 5000 digits" in result.stderr
        assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("minutes", ["²3", "٢٣", "２３", "9" * 5000, "100000"])
def test_units_accepts_ascii_minutes_only(tmp_path: Path, minutes: str) -> None:
    result = ptbill(tmp_path, "units", f"97110={minutes}")
    assert result.returncode == 2
    assert b"expected CODE=MINUTES with minutes 0 to 1440 in digits 0-9" in result.stderr
    assert b"Traceback" not in result.stderr
