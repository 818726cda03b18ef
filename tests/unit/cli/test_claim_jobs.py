"""`ptbill claim --jobs N`: the same claims in the same order from several processes, written atomically."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = [str(p) for p in sorted((ROOT / "examples").glob("*.json"))]


def ptbill(data: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PTBILL_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "ptbill", "claim", *args], capture_output=True, cwd=ROOT, env=environment, check=False
    )


def timeless(text: str) -> str:
    """The batch without its creation time (ISA09/10, GS04/05, BHT04/05), which two runs cannot share."""
    return "~".join(s for s in text.split("~") if not re.match(r"(ISA|GS|BHT)\*", s))


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
