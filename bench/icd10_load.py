"""Benchmark: load ptbill's compiled ICD-10-CM index and check 100,000 codes, beside simple-icd-10-cm.

Each measurement runs in a fresh interpreter, so neither library warms the other's imports or memory.
Run from the repository root: ``.venv/bin/python bench/icd10_load.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

CODES_TO_CHECK = 100_000
RUNS = 3


def make_codes(path: Path) -> None:
    """100,000 diagnosis codes as clinics type them: 45 % billable, 25 % headers, 30 % not codes."""
    from ptbill.reference.icd10 import default_catalog

    version = default_catalog().version_for(date(2026, 3, 2))[0]
    billable, headers = sorted(version.billable_codes), sorted(version.header_codes)
    rng = random.Random(97012)
    codes = []
    for _ in range(CODES_TO_CHECK):
        roll = rng.random()
        if roll < 0.45:
            code = rng.choice(billable)
        elif roll < 0.70:
            code = rng.choice(headers)
        else:
            code = rng.choice(billable)[:-1] + rng.choice("XYZ9")
        if len(code) > 3 and rng.random() < 0.5:
            code = f"{code[:3]}.{code[3:]}"
        codes.append(code.lower() if rng.random() < 0.1 else code)
    path.write_text("\n".join(codes) + "\n", encoding="ascii")


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def _current_rss_mib() -> float:
    # The peak so far can exceed what is in use now, so growth is measured from the current size.
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return _peak_rss_mib()
    return resident_pages * resource.getpagesize() / 2**20


def child(library: str, trace: bool, codes_path: Path) -> dict[str, float | int]:
    """One measurement in this (fresh) interpreter; memory is taken before any description is read."""
    codes = codes_path.read_text(encoding="ascii").split("\n")[:-1]
    if trace:
        tracemalloc.start()
    rss_before = _current_rss_mib()
    started = time.perf_counter()
    results: list[str]
    if library == "ptbill":
        from ptbill.reference.icd10 import default_catalog

        imported = time.perf_counter()
        version = default_catalog().version_for(date(2026, 3, 2))[0]
        loaded = time.perf_counter()
        results = [version.status(code) for code in codes]
        checked = time.perf_counter()

        def describe() -> None:
            version.description("M54.16")
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import simple_icd_10_cm as icd

        loaded = imported = time.perf_counter()  # its data loads during the import
        results = []
        for code in codes:
            key = code.strip().upper()  # simple-icd-10-cm wants the exact form; the dot is optional
            valid = icd.is_valid_item(key)
            results.append(("billable" if icd.is_leaf(key) else "header") if valid else "unknown")
        checked = time.perf_counter()

        def describe() -> None:
            icd.get_description("M54.16")

    figures: dict[str, float | int] = {
        "load_ms": (loaded - started) * 1000,
        "import_ms": (imported - started) * 1000,
        "check_ms": (checked - loaded) * 1000,
        "rss_growth_mib": _peak_rss_mib() - rss_before,
    }
    if trace:
        figures["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    figures |= {status: results.count(status) for status in ("billable", "header", "unknown")}
    before_description = time.perf_counter()
    describe()
    figures["first_description_ms"] = (time.perf_counter() - before_description) * 1000
    return figures


def _measure(library: str, trace: bool, codes_path: Path) -> dict[str, float | int]:
    command = [sys.executable, __file__, "--child", library, "--codes", str(codes_path)]
    output = subprocess.run([*command, *(["--trace"] if trace else [])], check=True, capture_output=True, text=True)
    figures: dict[str, float | int] = json.loads(output.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=("ptbill", "simple_icd_10_cm"), help=argparse.SUPPRESS)
    parser.add_argument("--codes", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.trace, args.codes)))
        return

    with tempfile.TemporaryDirectory() as scratch:
        codes_path = Path(scratch) / "codes.txt"
        make_codes(codes_path)
        rows = {}
        for library in ("ptbill", "simple_icd_10_cm"):
            runs = [_measure(library, False, codes_path) for _ in range(RUNS)]
            traced = _measure(library, True, codes_path)
            rows[library] = {
                key: statistics.median(run[key] for run in runs)
                for key in ("load_ms", "import_ms", "check_ms", "first_description_ms", "rss_growth_mib")
            } | {"tracemalloc_peak_mib": traced["tracemalloc_peak_mib"]}
            rows[library] |= {k: runs[0][k] for k in ("billable", "header", "unknown")}

    ours, theirs = rows["ptbill"], rows["simple_icd_10_cm"]
    print(
        f"ICD-10-CM: load, then check {CODES_TO_CHECK:,} codes; median of {RUNS} fresh interpreters "
        f"(Python {platform.python_version()}, {platform.machine()})"
    )
    header = f"{'':24}{'load':>11}{'check 100k':>13}{'1st description':>17}{'peak RSS +':>13}{'tracemalloc':>13}"
    print(header)
    for label, row in (("ptbill compiled index", ours), ("simple-icd-10-cm 1.5.0", theirs)):
        print(
            f"{label:24}{row['load_ms']:>8.1f} ms{row['check_ms']:>10.1f} ms"
            f"{row['first_description_ms']:>14.1f} ms"
            f"{row['rss_growth_mib']:>9.1f} MiB{row['tracemalloc_peak_mib']:>9.1f} MiB"
        )
    print(
        f"load is {theirs['load_ms'] / ours['load_ms']:.0f}x faster and load + check "
        f"{(theirs['load_ms'] + theirs['check_ms']) / (ours['load_ms'] + ours['check_ms']):.0f}x faster; "
        f"peak RSS growth {theirs['rss_growth_mib'] / ours['rss_growth_mib']:.0f}x smaller"
    )
    print(
        f"ptbill's load is {ours['import_ms']:.1f} ms importing the module (mostly standard-library modules "
        f"such as json, gzip, dataclasses) plus {ours['load_ms'] - ours['import_ms']:.1f} ms reading the index"
    )
    counts = {k: (ours[k], theirs[k]) for k in ("billable", "header", "unknown")}
    agree = all(a == b for a, b in counts.values())
    print(f"results agree: {'yes' if agree else 'NO'} {counts}")


if __name__ == "__main__":
    main()
