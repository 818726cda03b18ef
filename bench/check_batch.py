"""Big batches through `ptbill check`: peak memory, wall and CPU time, flat in the number of notes.

For each size N it writes N synthetic notes as JSON Lines and runs `ptbill check --ndjson FILE` (and with
`--jobs 2`) as a child process, reading the child's own peak RSS and CPU time from os.wait4. With
`--reference PYTHON` it also runs `ptbill check --json` on N separate files through that interpreter
(another checkout's virtualenv: the code before the change) and through this one, in the same run.
Run: .venv/bin/python bench/check_batch.py [--runs 3] [--reference /path/to/.venv/bin/python] N...
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_throughput import synthetic_stream


def measure(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system, the child and the processes it waited for), peak RSS MiB, status."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def report(label: str, runs: list[tuple[float, float, float, int]], n: int) -> None:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = statistics.median(r[2] for r in runs)
    print(
        f"  {label:<44} wall {wall:7.2f} s ({wall / n * 1e6:6.0f} us/note)  cpu {cpu:7.2f} s  "
        f"peak RSS {rss:6.0f} MiB  exit {sorted({r[3] for r in runs})}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[5_000, 20_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--reference", help="another checkout's python: its `check --json` on N files")
    parser.add_argument("--files-up-to", type=int, default=10_000, help="separate-file runs only up to this N")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            lines = Path(tmp) / f"notes-{n}.ndjson"
            with lines.open("wb") as out:
                for document in synthetic_stream(n):
                    out.write(document + b"\n")
            print(f"{n:,} notes ({lines.stat().st_size / 1e6:.0f} MB of JSON Lines)", flush=True)
            for jobs in args.jobs:
                command = [sys.executable, "-m", "ptbill", "check", "--ndjson", "--jobs", str(jobs), str(lines)]
                report(f"check --ndjson --jobs {jobs}", [measure(command) for _ in range(args.runs)], n)
            if n > args.files_up_to:
                continue
            folder = Path(tmp) / f"files-{n}"
            folder.mkdir()
            with lines.open("rb") as source:
                names = []
                for number, line in enumerate(source):
                    name = folder / f"{number}.json"
                    name.write_bytes(line)
                    names.append(str(name))
            pythons = [("this checkout", sys.executable)]
            if args.reference:
                pythons.insert(0, ("reference", args.reference))
            for label, python in pythons:
                command = [python, "-m", "ptbill", "check", "--json", *names]
                report(f"check --json, {n:,} files ({label})", [measure(command) for _ in range(args.runs)], n)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
