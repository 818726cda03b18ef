"""`ptbill claim`: refuses blocked notes with their errors, writes 837P / CMS-1500 / FHIR, exit codes 0, 1, 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
CLEAN = ROOT / "examples" / "medicare-lumbar-traction-clean.json"
BLOCKED = ROOT / "examples" / "medicare-traction-without-force.json"


def ptbill(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PTBILL_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "claim", *args], capture_output=True, cwd=ROOT, env=environment, check=False
    )


def test_a_clean_note_becomes_an_837p_on_stdout_that_pyx12_accepts(tmp_path: Path) -> None:
    result = ptbill(tmp_path, str(CLEAN))
    assert result.returncode == 0
    text = result.stdout.decode("ascii")
    assert text.startswith("ISA*00*")
    assert "*T*:~" in text  # no trading settings given: a test interchange, and stderr says so
    assert b"TEST interchange" in result.stderr
    assert pyx12_errors(text) == []


def test_a_blocked_note_is_refused_with_its_errors_and_exit_1(tmp_path: Path) -> None:
    result = ptbill(tmp_path, str(CLEAN), str(BLOCKED))
    assert result.returncode == 1
    assert b"medicare-traction-without-force.json: refused" in result.stderr
    assert b"TRACTION_FORCE_MISSING" in result.stderr
    assert result.stdout.decode().count("CLM*") == 1  # the clean one is still written


def test_allow_blocked_builds_it_anyway(tmp_path: Path) -> None:
    result = ptbill(tmp_path, "--allow-blocked", str(BLOCKED))
    assert result.returncode == 0
    assert result.stdout.decode().count("CLM*") == 1


def test_unreadable_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    document = json.loads(CLEAN.read_text())
    document["services"][0]["start_time"] = "25:00"
    bad.write_text(json.dumps(document))
    result = ptbill(tmp_path, str(bad))
    assert result.returncode == 2
    assert b"bad.json: services[0].start_time: not a clock time" in result.stderr
    assert b"Traceback" not in result.stderr


def test_control_numbers_advance_between_runs(tmp_path: Path) -> None:
    first = ptbill(tmp_path, str(CLEAN)).stdout.decode()
    second = ptbill(tmp_path, str(CLEAN)).stdout.decode()
    assert "*000000001*0*T*" in first
    assert "*000000002*0*T*" in second


def test_cms1500_and_fhir_outputs(tmp_path: Path) -> None:
    pdf = tmp_path / "claims.pdf"
    assert ptbill(tmp_path, "--format", "cms1500", "-o", str(pdf), str(CLEAN)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    fhir = json.loads(ptbill(tmp_path, "--format", "fhir", str(CLEAN)).stdout)
    assert fhir["resourceType"] == "Claim"
    assert [item["productOrService"]["coding"][0]["code"] for item in fhir["item"]] == ["97012", "97110", "97140"]


def test_a_void_needs_the_original_claim_number(tmp_path: Path) -> None:
    assert ptbill(tmp_path, "--frequency", "void", str(CLEAN)).returncode == 2
    result = ptbill(tmp_path, "--frequency", "void", "--original-claim", "2026061500123", str(CLEAN))
    assert "*11:B:8*" in result.stdout.decode()
    assert "REF*F8*2026061500123~" in result.stdout.decode()
