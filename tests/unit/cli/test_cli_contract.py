"""The `ptbill check` and `ptbill units` contract of spec/cli.md, run as a real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"


def ptbill(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptbill", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_units_json_prints_exactly_the_documented_line() -> None:
    result = ptbill("units", "--json", "97110=33", "97140=7", "97012=15")
    assert result.returncode == 0
    assert (
        result.stdout == '{"method": "cms", "total_timed_minutes": 40, "units": {"97110": 2, "97140": 1, "97012": 1}}\n'
    )


def test_units_per_code_method() -> None:
    result = ptbill("units", "--method", "per_code", "--json", "97110=10", "97112=10")
    assert json.loads(result.stdout)["units"] == {"97110": 1, "97112": 1}


def test_units_readable_output_says_when_the_choice_was_a_tie() -> None:
    result = ptbill("units", "97112=20", "97110=20")
    assert result.returncode == 0
    assert "tie" in result.stdout


def test_units_rejects_an_unknown_code_without_a_traceback() -> None:
    result = ptbill("units", "99999=10")
    assert result.returncode == 2
    assert "99999" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_json_for_one_file_is_an_object() -> None:
    result = ptbill("check", "--json", str(SHARED_EXAMPLES / "medicare-lumbar-traction-clean.json"))
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["encounter"] == "enc-1001"
    assert report["verdict"] == "ready"
    lines = {line["code"]: line for line in report["claim_lines"]}
    assert lines["97012"]["units"] == 1
    assert lines["97012"]["modifiers"] == ["GP"]
    assert lines["97012"]["diagnosis_pointers"] == [1, 2]
    # No 2026 RVUs ship: the 2025 RVUs at the 2026 conversion factor, rest of California, 50 % PE (MPPR).
    assert lines["97012"]["expected_payment"] == 11.94
    assert lines["97012"]["payment_is_estimate"] is True


def test_check_json_for_several_files_is_an_array_and_blocked_exits_1() -> None:
    files = sorted(str(p) for p in SHARED_EXAMPLES.glob("*.json"))
    result = ptbill("check", "--json", *files)
    reports = json.loads(result.stdout)
    assert isinstance(reports, list)
    assert len(reports) == len(files)
    assert result.returncode == 1  # the manual-traction example is blocked


def test_check_reads_standard_input() -> None:
    document = (SHARED_EXAMPLES / "medicare-lumbar-traction-clean.json").read_bytes()
    result = ptbill("check", "--json", "-", stdin=document)
    assert json.loads(result.stdout)["encounter"] == "enc-1001"


def test_check_malformed_file_exits_2_with_file_and_field(tmp_path: Path) -> None:
    document = json.loads((SHARED_EXAMPLES / "medicare-lumbar-traction-clean.json").read_text())
    document["date_of_service"] = "2026-13-45"
    bad = tmp_path / "enc.json"
    bad.write_text(json.dumps(document))
    result = ptbill("check", str(bad))
    assert result.returncode == 2
    assert f'{bad}: date_of_service: not a date: "2026-13-45"' in result.stderr
    assert "Traceback" not in result.stderr


def test_check_missing_file_exits_2(tmp_path: Path) -> None:
    result = ptbill("check", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert "nope.json: cannot read the file" in result.stderr


def test_readable_report_shows_each_finding_with_fix_and_source() -> None:
    result = ptbill("check", str(SHARED_EXAMPLES / "commercial-manual-traction-mistakes.json"))
    assert result.returncode == 1
    assert "enc-1002  BLOCKED" in result.stdout
    assert "TRACTION_NOT_MECHANICAL" in result.stdout
    assert "fix: Bill hands-on (manual) traction" in result.stdout
    assert "source:" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes when piped
