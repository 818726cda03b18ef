"""Is reading an 835 linear? Time per claim of `read_835` on a 5,000- and a 50,000-claim file.

Each read runs in a fresh child process (the heap it starts with is the same for both sizes), timed there
with perf_counter and process_time; medians of --runs. bench/remit.py's synthetic remittance, one ST.
With `--reference PYTHON` (another checkout's virtualenv: the reader before a change) the same files
are read by that interpreter in the same run. Goal: 50,000 claims within 10 % of the 5,000's time per claim.
Run: .venv/bin/python bench/remit_linear.py [--runs 3] [--reference /path/to/.venv/bin/python] [SIZES...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remit import synthetic_835

READ = """
import json, sys, time
from ptbill.remittance.x12_835.reader import read_835
wall, cpu = time.perf_counter(), time.process_time()
claims = sum(len(r.claims) for r in read_835(sys.argv[1]))
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu, claims]))
"""


def read_once(python: str, path: Path) -> tuple[float, float, int]:
    result = subprocess.run([python, "-c", READ, str(path)], capture_output=True, text=True, check=True)
    wall, cpu, claims = json.loads(result.stdout)
    return wall, cpu, claims


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[5_000, 50_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reference", help="another checkout's python: its reader on the same files")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    pythons = [("this checkout", sys.executable)]
    if args.reference:
        pythons.insert(0, ("reference", args.reference))
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for size in args.sizes:
            paths[size] = Path(tmp) / f"remittance-{size}.835"
            paths[size].write_text(synthetic_835(size), encoding="ascii")
        per_claim: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
        for run in range(args.runs):  # interleaved, so a busy minute of the machine falls on every variant
            for label, python in pythons:
                for size, path in paths.items():
                    wall, cpu, claims = read_once(python, path)
                    assert claims == size, (claims, size)
                    walls, cpus = per_claim.setdefault((label, size), ([], []))
                    walls.append(wall / size * 1e6)
                    cpus.append(cpu / size * 1e6)
            print(f"  run {run + 1} of {args.runs} done", flush=True)
        for label, _ in pythons:
            first = args.sizes[0]
            base_wall = statistics.median(per_claim[(label, first)][0])
            base_cpu = statistics.median(per_claim[(label, first)][1])
            for size in args.sizes:
                wall = statistics.median(per_claim[(label, size)][0])
                cpu = statistics.median(per_claim[(label, size)][1])
                print(
                    f"{label:<14} {size:>7,} claims: {wall:6.1f} us/claim wall ({wall / base_wall:4.2f}x the "
                    f"{first:,}'s), {cpu:6.1f} us/claim cpu ({cpu / base_cpu:4.2f}x)"
                )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
