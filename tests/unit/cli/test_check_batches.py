"""`ptbill check` on big batches: the spec's array written as it goes, JSON Lines, --jobs, flat memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
sys.path.insert(0, str(ROOT / "bench"))
from check_throughput import synthetic_stream  # noqa: E402


def ptbill(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "check", *args], input=stdin, capture_output=True, cwd=ROOT, check=False
    )


def one_line(path: Path) -> bytes:
    return json.dumps(json.loads(path.read_bytes())).encode()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_json_on_several_files_prints_the_array_of_the_spec_byte_for_byte(jobs: str) -> None:
    singles = [json.loads(ptbill("--json", str(path)).stdout) for path in EXAMPLES]
    result = ptbill("--json", "--jobs", jobs, *map(str, EXAMPLES))
    assert result.stdout.decode() == json.dumps(singles, indent=2) + "\n"
    assert result.returncode == (1 if any(s["verdict"] == "blocked" for s in singles) else 0)


def test_json_on_several_unreadable_files_prints_an_empty_array_and_names_each() -> None:
    result = ptbill("--json", "missing-one.json", "missing-two.json")
    assert result.returncode == 2
    assert result.stdout == b"[]\n"
    assert result.stderr.decode().splitlines() == [
        "missing-one.json: cannot read the file: No such file or directory",
        "missing-two.json: cannot read the file: No such file or directory",
    ]


def test_readable_output_over_two_processes_is_the_same_as_over_one() -> None:
    files = [str(path) for path in EXAMPLES]
    assert ptbill("--jobs", "2", *files).stdout == ptbill(*files).stdout


def test_ndjson_answers_each_line_in_order_and_names_a_bad_lines_number_and_field() -> None:
    good = [one_line(path) for path in EXAMPLES[:3]]
    bad = json.loads(good[0])
    bad["date_of_service"] = "2026-13-45"
    lines = [good[0], b"", json.dumps(bad).encode(), b"{not json", good[1], good[2]]
    result = ptbill("--ndjson", "-", stdin=b"\n".join(lines) + b"\n")

    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a.get("encounter") for a in answers] == [json.loads(good[0])["id"], None, None] + [
        json.loads(g)["id"] for g in good[1:]
    ]
    assert answers[1]["line"] == 3
    assert answers[1]["source"] == "-"
    assert answers[1]["problems"] == ['date_of_service: not a date: "2026-13-45"']
    assert answers[2]["line"] == 4
    assert "not valid JSON" in answers[2]["problems"][0]
    stderr = result.stderr.decode()
    assert '-:3: date_of_service: not a date: "2026-13-45"' in stderr.splitlines()
    assert "Traceback" not in stderr
    assert result.returncode == 2


def test_ndjson_over_two_processes_keeps_the_order_of_the_lines(tmp_path: Path) -> None:
    notes = tmp_path / "notes.ndjson"
    notes.write_bytes(b"".join(document + b"\n" for document in synthetic_stream(300)))
    result = ptbill("--ndjson", "--jobs", "2", str(notes))
    assert result.returncode in (0, 1)
    assert [json.loads(line)["encounter"] for line in result.stdout.splitlines()] == [f"bench-{i}" for i in range(300)]
    assert result.stdout == ptbill("--ndjson", str(notes)).stdout


def test_ndjson_refuses_an_overlong_line_and_goes_on(tmp_path: Path) -> None:
    notes = tmp_path / "notes.ndjson"
    notes.write_bytes(b'{"id": "' + b"x" * 3_000_000 + b'"}\n' + one_line(EXAMPLES[0]) + b"\n")
    result = ptbill("--ndjson", str(notes))
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[0]["line"] == 1
    assert "longer than" in answers[0]["problems"][0]
    assert answers[1]["encounter"] == json.loads(one_line(EXAMPLES[0]))["id"]
    assert result.returncode == 2


def test_json_and_ndjson_together_are_refused() -> None:
    result = ptbill("--json", "--ndjson", "-", stdin=b"")
    assert result.returncode == 2
    assert "choose one" in result.stderr.decode()


def peak_rss_mib(command: list[str]) -> float:
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    assert child.returncode in (0, 1)
    return usage.ru_maxrss / 1024


@pytest.mark.slow
def test_ndjson_memory_stays_flat_as_the_batch_grows(tmp_path: Path) -> None:
    peaks = {}
    for count in (1_500, 6_000):
        notes = tmp_path / f"notes-{count}.ndjson"
        notes.write_bytes(b"".join(document + b"\n" for document in synthetic_stream(count)))
        peaks[count] = peak_rss_mib([sys.executable, "-m", "ptbill", "check", "--ndjson", str(notes)])
    # kept reports would add about 5 KiB each: 6,000 of them more than 20 % over the smaller run's peak
    assert peaks[6_000] <= 1.2 * peaks[1_500], peaks
