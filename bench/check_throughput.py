"""Throughput of the check engine beside plain JSON parsing + model validation, and the CLI's wall time.

Prints: (a) encounters/s through parse + all checks in-process, (b) encounters/s through json.loads +
model validation alone, their ratio, and (c) the wall time of `ptbill check` on one file.
Run: .venv/bin/python bench/check_throughput.py [N]
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ptbill.domain.encounter import Encounter
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parent.parent
BASE = json.loads((ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json").read_text())
PAYERS = sorted(default_catalog().payers())
DIAGNOSES = ["M51.16", "M54.16", "M54.50", "M50.122", "M54.12", "M48.061", "M47.816", "M54.5"]
CODES = ["97110", "97112", "97140", "97530", "97035", "97116"]


def synthetic(n: int, seed: int = 7) -> list[bytes]:
    return list(synthetic_stream(n, seed))


def synthetic_stream(n: int, seed: int = 7) -> Iterator[bytes]:
    """The same documents one at a time: a bench of big batches writes them without holding them."""
    rng = random.Random(seed)
    for i in range(n):
        d = copy.deepcopy(BASE)
        d["id"] = f"bench-{i}"
        d["date_of_service"] = f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
        d["coverage"]["payer"] = rng.choice(PAYERS)
        d["diagnoses"] = rng.sample(DIAGNOSES, 2)
        traction = d["services"][0]["traction"]
        traction["device_type"] = rng.choice(["motorized_table", "cervical_device", "manual", "decompression_table"])
        if rng.random() < 0.2:
            traction["force_lbs"] = None
        d["services"][1]["code"], d["services"][2]["code"] = rng.sample(CODES, 2)
        d["services"][1]["minutes"] = rng.randint(5, 40)
        d["services"][2]["minutes"] = rng.randint(5, 30)
        d["plan_of_care"]["start_date"] = "2025-12-20"
        yield json.dumps(d).encode()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({seconds * 1000 / count:.3f} ms each)"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    documents = synthetic(n)
    catalog = default_catalog()
    check_encounter(parse_encounter(documents[0]), catalog)  # load reference data once, as a server would

    start = time.perf_counter()
    parsed: list[Encounter] = [Encounter.model_validate(json.loads(doc)) for doc in documents]
    validate_seconds = time.perf_counter() - start

    start = time.perf_counter()
    verdicts: dict[str, int] = {}
    for doc in documents:
        report = check_encounter(parse_encounter(doc), catalog)
        verdicts[report.verdict.value] = verdicts.get(report.verdict.value, 0) + 1
    engine_seconds = time.perf_counter() - start

    start = time.perf_counter()
    for encounter in parsed:
        check_encounter(encounter, catalog)
    checks_only = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "enc.json"
        one.write_bytes(documents[0])
        walls = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "ptbill", "check", "--json", str(one)], capture_output=True, check=False
            )
            walls.append(time.perf_counter() - started)

    print(f"synthetic encounters: {n:,} over {len(PAYERS)} payers; verdicts {verdicts}")
    print(f"(a) engine in-process, parse + every check + claim lines: {rate(n, engine_seconds)}")
    print(f"    checks only, on already-parsed encounters:            {rate(n, checks_only)}")
    print(f"(b) json.loads + model validation alone:                  {rate(n, validate_seconds)}")
    print(f"    ratio (a) time / (b) time: {engine_seconds / validate_seconds:.1f}x")
    print(
        f"(c) `ptbill check --json` on one file, wall time: median {statistics.median(walls) * 1000:.0f} ms "
        f"(min {min(walls) * 1000:.0f} ms, 5 runs)"
    )


if __name__ == "__main__":
    main()
