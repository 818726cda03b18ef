"""Throughput of the check engine beside plain JSON parsing + model validation, and the CLI's wall time.

Prints: (a) encounters/s through parse + all checks in-process, (b) encounters/s through json.loads +
model validation alone, their ratio, and (c) the wall time of `ptbill check` on one file. (a) and (b)
are measured alike, streamed: each model or report is dropped as the next is made. Keeping every
validated model alive in a list (as this bench once did for (b)) makes each collection of the cycle
collector rescan them all, and slows (b) about threefold: that figure is printed too, for comparison.
Wall and CPU time (time.process_time) are medians of RUNS interleaved runs.
Run: .venv/bin/python bench/check_throughput.py [N] [RUNS]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ptbill.domain.encounter import Encounter
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
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


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def model_validation() -> Callable[[object], Encounter]:
    """pydantic's validation of an encounter, as a tree has it: from round 9 the validator that makes the note's
    parts (``encounter_models``), before it the ``Encounter`` model's own (``--reference`` trees)."""
    try:
        from ptbill.domain.encounter_models import encounter_validator
    except ImportError:
        return Encounter.model_validate  # type: ignore[attr-defined,no-any-return]
    return encounter_validator().validate_python


def validate_streamed(documents: list[bytes]) -> None:
    """The reference: json.loads + model validation, each model dropped as the next is made."""
    validate = model_validation()
    for doc in documents:
        validate(json.loads(doc))


def validate_kept(documents: list[bytes]) -> list[Encounter]:
    """The reference as this bench measured it before: every validated model kept alive in a list."""
    validate = model_validation()
    return [validate(json.loads(doc)) for doc in documents]


def check_streamed(documents: list[bytes], catalog: ReferenceCatalog) -> dict[str, int]:
    """Parse + every check + claim lines, streamed the same way: only the verdict counts are kept."""
    verdicts: dict[str, int] = {}
    for doc in documents:
        report = check_encounter(parse_encounter(doc), catalog)
        verdicts[report.verdict.value] = verdicts.get(report.verdict.value, 0) + 1
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=5000, help="synthetic notes per pass (default 5000)")
    parser.add_argument("runs", nargs="?", type=int, default=3, help="interleaved passes (default 3)")
    args = parser.parse_args()
    n, runs = args.n, args.runs
    documents = synthetic(n)
    catalog = default_catalog()
    check_encounter(parse_encounter(documents[0]), catalog)  # load reference data once, as a server would
    verdicts = check_streamed(documents[:50], catalog)  # warm every payer's snapshot
    print(f"load average at start: {os.getloadavg()}")

    samples: dict[str, list[tuple[float, float]]] = {"reference": [], "kept": [], "check": []}
    for _ in range(runs):  # interleaved: a busy moment of the shared machine falls on each
        samples["reference"].append(timed(lambda: validate_streamed(documents)))
        samples["check"].append(timed(lambda: verdicts.update(check_streamed(documents, catalog))))  # last pass
        samples["kept"].append(timed(lambda: validate_kept(documents)))

    def median(name: str, which: int) -> float:
        return statistics.median(sample[which] for sample in samples[name])

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

    print(f"synthetic encounters: {n:,} over {len(PAYERS)} payers; medians of {runs} interleaved runs")
    for name, label in (
        ("check", "(a) parse + every check + claim lines, streamed"),
        ("reference", "(b) json.loads + model validation, streamed"),
        ("kept", "    (b) with every model kept in a list (biased)"),
    ):
        print(
            f"{label:<50} wall {rate(n, median(name, 0))}, cpu {median(name, 1) * 1e6 / n:.1f} us each",
        )
    print(
        f"    ratio (a) / (b): wall {median('check', 0) / median('reference', 0):.2f}x, "
        f"cpu {median('check', 1) / median('reference', 1):.2f}x (goal <= 3x); "
        f"the kept list made (b) {median('kept', 1) / median('reference', 1):.2f}x slower (cpu)"
    )
    print(
        f"(c) `ptbill check --json` on one file, wall time: median {statistics.median(walls) * 1000:.0f} ms "
        f"(min {min(walls) * 1000:.0f} ms, 5 runs)"
    )
    print(f"verdicts of one pass: {verdicts}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
