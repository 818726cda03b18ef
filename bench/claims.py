"""Writing 10,000 claims as one 837P batch (target ≤ 1 s), beside pyx12's validation of the same file.

Claims are built once from the examples (not timed); the timed part is the X12 writer: validation of
every claim, segments, envelopes and control numbers. pyx12 4.0.0 then validates the file in the same run.
Run: .venv/bin/python bench/claims.py [CLAIMS]
"""

from __future__ import annotations

import dataclasses
import io
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pyx12.params
import pyx12.x12n_document

from ptbill.claims.build import build_claim
from ptbill.claims.x12_837p.reader import read_claims
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers

ROOT = Path(__file__).resolve().parent.parent
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    templates = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        encounter = parse_encounter(path.read_bytes(), path.name)
        templates.append(build_claim(encounter, check_encounter(encounter).claim_lines, default_catalog()))
    claims = [dataclasses.replace(templates[i % len(templates)], claim_id=f"B{i:07d}") for i in range(count)]

    with tempfile.TemporaryDirectory() as tmp:
        numbers = ControlNumbers(Path(tmp) / "numbers.sqlite3")
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            batch = write_batch(claims, TRADING, numbers, created=datetime(2026, 3, 3, 10, 0))
            runs.append(time.perf_counter() - started)
        path = Path(tmp) / "batch.837"
        path.write_text(batch.text, encoding="ascii")

        started = time.perf_counter()
        parsed = sum(1 for claim in read_claims(path) if claim.claim is not None)
        reading = time.perf_counter() - started

        logging.getLogger("pyx12").setLevel(logging.CRITICAL)
        started = time.perf_counter()
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None, fd_json=None
        )
        validation = time.perf_counter() - started

    writing = statistics.median(runs)
    segments = batch.text.count("~")
    print(
        f"837P batch: {count:,} claims, {segments:,} segments, {len(batch.text) / 1e6:.1f} MB, "
        f"{batch.text.count('ST*837*')} transaction sets"
    )
    print(f"ptbill write_batch: median {writing:.3f} s, best {min(runs):.3f} s over 5 runs (target <= 1 s)")
    print(f"ptbill read_837p of the same file: {reading:.3f} s ({parsed:,} claims mapped back)")
    print(f"pyx12 validation of the same file: {validation:.1f} s, judged {'valid' if valid else 'INVALID'}")
    print(f"ratio pyx12 validation / ptbill writing: {validation / writing:.0f}x")


if __name__ == "__main__":
    main()
