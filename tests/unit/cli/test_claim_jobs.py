"""`ptbill claim --jobs N`: the same claims in the same order from several processes, written atomically.

The workers write each claim's 837P text and the parent only numbers and joins it; the golden file
`golden/claim_batch.837` is the batch the code before that change (commit eb52109) wrote for `_mixed_batch`'s
notes, so the text must not have moved by a byte. Regenerate it only after an intended change to the output:

    .venv/bin/python -m tests.unit.cli.test_claim_jobs
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = [str(p) for p in sorted((ROOT / "examples").glob("*.json"))]
GOLDEN = Path(__file__).resolve().parent / "golden" / "claim_batch.837"
# Aetna's claims go to a receiver of their own, with other delimiters and a line break after each segment.
TRADING = """default:
  submitter_id: SUBMIT01
  receiver_id: RECEIVE01
payers:
  aetna:
    receiver_id: AETNA01
    receiver_name: AETNA CLAIMS
    delimiters: {element: "|", component: ">", repetition: "!", segment: "~", newline_after_segment: true}
"""


def ptbill(data: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PTBILL_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "claim", *args], capture_output=True, cwd=ROOT, env=environment, check=False
    )


def timeless(text: str) -> str:
    """The batch without its creation time (ISA09/10, GS04/05, BHT04/05), which two runs cannot share."""
    return "~".join(s for s in text.split("~") if not re.match(r"\s*(ISA|GS|BHT)[*|]", s))


def _mixed_batch(folder: Path) -> list[str]:
    """The examples, then copies where a child is the patient (loop 2000C) or another billing provider bills
    (a second loop 2000A), interleaved, so that HL numbers, groups and receivers all vary."""
    folder.mkdir()
    files = []
    for number, example in enumerate(EXAMPLES * 3):
        note = json.loads(Path(example).read_text(encoding="utf-8"))
        if number % 3 == 1:
            note["coverage"]["relationship"] = "child"
            note["coverage"]["subscriber"] = {
                "first_name": "Morgan",
                "last_name": "Parent",
                "birth_date": "1970-01-15",
                "sex": "M",
                "address": {"line1": "4 Elm St", "city": "Goleta", "state": "CA", "zip": "93117"},
            }
        if number % 4 == 2:
            note["billing_provider"]["npi"] = "1528060639"
            note["billing_provider"]["tax_id"] = "954500001"
            note["billing_provider"]["name"] = "Mesa Rehab"
        path = folder / f"{number:02d}.json"
        path.write_text(json.dumps(note), encoding="utf-8")
        files.append(str(path))
    return files


def _claim_mixed(tmp_path: Path, *jobs: str) -> subprocess.CompletedProcess[bytes]:
    tmp_path.mkdir(exist_ok=True)
    trading = tmp_path / "trading.yaml"
    trading.write_text(TRADING, encoding="utf-8")
    files = _mixed_batch(tmp_path / "notes")
    return ptbill(tmp_path / "data", "--allow-blocked", "--trading", str(trading), *jobs, *files)


def test_the_837p_is_the_one_written_before_the_workers_wrote_the_claims(tmp_path: Path) -> None:
    golden = GOLDEN.read_text(encoding="ascii")
    for jobs in ("1", "3"):
        result = _claim_mixed(tmp_path / jobs, "--jobs", jobs)
        assert result.returncode == 0, result.stderr
        text = result.stdout.decode("ascii")
        assert timeless(text) == golden
        assert text.count("ISA") == 2  # one interchange per receiver
    # What the batch covers: a dependent's loop 2000C, a second billing provider, the second receiver's delimiters.
    assert "HL*4*3*23*0~" in golden
    assert "NM1*85*2*MESA REHAB*" in golden
    assert "HL|4|3|23|0~\n" in golden


def test_two_processes_build_the_same_837p_as_one_with_the_same_refusals(tmp_path: Path) -> None:
    files = EXAMPLES * 4  # 60 files: two chunks of claim_cmd.CHUNK, joined in order
    one = ptbill(tmp_path / "one", "--jobs", "1", *files)
    two = ptbill(tmp_path / "two", "--jobs", "2", *files)
    assert one.returncode == two.returncode == 1  # some examples are blocked
    assert timeless(two.stdout.decode("ascii")) == timeless(one.stdout.decode("ascii"))
    assert two.stderr == one.stderr
    assert pyx12_errors(two.stdout.decode("ascii")) == []


def test_an_output_file_appears_only_complete(tmp_path: Path) -> None:
    target = tmp_path / "out" / "batch.837"
    target.parent.mkdir()
    clean = str(ROOT / "examples" / "medicare-lumbar-traction-clean.json")
    result = ptbill(tmp_path / "data", "--jobs", "2", "-o", str(target), clean)
    assert result.returncode == 0
    assert target.read_text(encoding="ascii").startswith("ISA*")
    assert [p.name for p in target.parent.iterdir()] == ["batch.837"]  # no temporary file left beside it


def test_a_file_that_cannot_be_read_or_parsed_is_named_the_same_with_workers(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x"', encoding="utf-8")
    files = [*EXAMPLES[:3], str(tmp_path / "missing.json"), str(broken), *EXAMPLES[3:]] * 8
    one = ptbill(tmp_path / "one", "--jobs", "1", *files)
    two = ptbill(tmp_path / "two", "--jobs", "2", *files)
    assert one.returncode == two.returncode == 2
    assert one.stderr == two.stderr
    assert b"missing.json: cannot read the file: No such file or directory" in two.stderr
    assert timeless(two.stdout.decode("ascii")) == timeless(one.stdout.decode("ascii"))


if __name__ == "__main__":  # regenerate the golden file (run by the code whose output it should hold)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = _claim_mixed(Path(tmp), "--jobs", "1")
        assert result.returncode == 0, result.stderr
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(timeless(result.stdout.decode("ascii")), encoding="ascii")


def test_a_note_is_read_as_path_read_bytes_reads_it(tmp_path: Path) -> None:
    """``claim_cmd.read_file`` (os.open and os.read): the same bytes, and the same error for a folder or a
    missing file, as ``Path.read_bytes``."""
    from ptbill.cli import claim_cmd

    note = tmp_path / "note.json"
    big = tmp_path / "big.json"
    note.write_bytes(b'{"id": "a"}')
    big.write_bytes(bytes(range(256)) * (claim_cmd.READ_SIZE // 128 + 3))  # several reads
    for name in (note, big, tmp_path / "empty", tmp_path, tmp_path / "missing.json"):
        if name.name == "empty":
            name.write_bytes(b"")
        outcomes = []
        for read in (claim_cmd.read_file, lambda n: Path(n).read_bytes()):
            try:
                outcomes.append(read(str(name)))
            except OSError as error:
                outcomes.append((type(error), error.strerror))
        assert outcomes[0] == outcomes[1]


def test_the_collector_threshold_is_raised_for_the_batch_and_put_back_even_on_failure() -> None:
    import gc

    import pytest

    from ptbill.cli.claim_cmd import BATCH_GC_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (BATCH_GC_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(SystemExit), fewer_collections():
        sys.exit(1)  # the claim command leaves through sys.exit inside it
    assert gc.get_threshold() == before


def test_the_claim_command_in_process_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    from click.testing import CliRunner

    from ptbill.cli.main import cli

    before, enabled = gc.get_threshold(), gc.isenabled()
    result = CliRunner().invoke(
        cli,
        ["claim", "--allow-blocked", "-o", str(tmp_path / "out.837"), *EXAMPLES],
        env={"PTBILL_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "out.837").read_text(encoding="ascii").count("CLM*") == len(EXAMPLES)
    assert (gc.get_threshold(), gc.isenabled()) == (before, enabled)


def test_claim_with_two_jobs_loads_neither_pyyaml_nor_a_process_pool(tmp_path: Path, monkeypatch: Any) -> None:
    """Without --trading the claim command does not import PyYAML (the trading settings' reader), and its
    fan-out forks its own children: no multiprocessing."""
    from tests.unit.cli.test_startup import loaded_by

    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    files = EXAMPLES * 8  # more than two chunks: the parent forks a child
    status, modules, _ = loaded_by("claim", "--allow-blocked", "--jobs", "2", "-o", str(tmp_path / "b.837"), *files)
    assert status == 0
    assert (tmp_path / "b.837").read_text(encoding="ascii").count("CLM*") == len(files)
    assert sorted(name for name in ("yaml", "multiprocessing", "rich") if name in modules) == []
