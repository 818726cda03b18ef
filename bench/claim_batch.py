"""`ptbill claim` on N files (default 10,000), with --jobs 1 and 2, beside pyx12's validation of its output.

Every run is a child process whose wall time, CPU time (user + system, with the processes it waited for)
and peak RSS come from os.wait4. The notes are bench/check_throughput.py's synthetic ones, built with
--allow-blocked so that each file makes a claim. pyx12 4.0.0 validates the 837P of the last run, in a
child process too, in the same run. With `--reference PYTHON` the command of another checkout (the code
before a change) runs too, with each --jobs, on the same files; each round runs every variant once
(interleaved), and the medians are over the rounds. With --jobs 2, each round also times a CPU-bound loop
alone and two of them at once: the most two processes can gain over one on this machine, beside the
speed-up of --jobs 2 (a shared host's two vCPUs may give less than 2x).
Run: .venv/bin/python bench/claim_batch.py [--runs 3] [--reference /path/to/.venv/bin/python] [N]
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
from check_batch import measure
from check_throughput import synthetic_stream

VALIDATE = """
import io, logging, sys
import pyx12.params, pyx12.x12n_document
logging.getLogger("pyx12").setLevel(logging.CRITICAL)
ok = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=sys.argv[1], fd_997=io.StringIO(),
                                       fd_html=None, fd_json=None)
sys.exit(0 if ok else 1)
"""


LOOP = [sys.executable, "-c", "sum(range(30_000_000))"]  # pure interpreter work: no memory, no I/O, no sharing


def core_ceiling() -> tuple[float, float]:
    """Wall seconds of one CPU-bound loop alone and of two started at once: what two processes can gain over
    one on this machine at best (a shared host's two vCPUs may give less than 2x)."""
    alone = measure(LOOP)[0]
    started = time.perf_counter()
    pair = [subprocess.Popen(LOOP) for _ in range(2)]
    for process in pair:
        process.wait()
    return alone, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--reference", help="another checkout's python: its `ptbill claim` on the same files")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        names = []
        for number, document in enumerate(synthetic_stream(args.count)):
            (folder / f"{number}.json").write_bytes(document)
            names.append(str(folder / f"{number}.json"))
        output = Path(tmp) / "batch.837"
        os.environ["PTBILL_DATA_DIR"] = str(Path(tmp) / "data")
        variants = [(f"--jobs {jobs}", sys.executable, ["--jobs", str(jobs)]) for jobs in args.jobs]
        if args.reference:  # the reference with each --jobs too, so that both speed-ups compare
            variants = [(f"ref -j {jobs}", args.reference, ["--jobs", str(jobs)]) for jobs in args.jobs] + variants
        medians = {}
        ceiling: list[tuple[float, float]] = []
        samples: dict[str, list[tuple[float, float, float, int]]] = {label: [] for label, _, _ in variants}
        for _ in range(args.runs):  # interleaved: each round runs every variant once, in the same minutes
            for label, python, extra in variants:
                command = [python, "-m", "ptbill", "claim", "--allow-blocked", *extra, "-o", str(output), *names]
                samples[label].append(measure(command))
            if 2 in args.jobs:
                ceiling.append(core_ceiling())  # in the same minutes as the runs it bounds
            print(f"  round done, load average {os.getloadavg()}", flush=True)
        for label, runs in samples.items():
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            medians[label] = (wall, cpu)
            print(
                f"ptbill claim {label:<10} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                f"peak RSS {statistics.median(r[2] for r in runs):5.0f} MiB  exit {sorted({r[3] for r in runs})}  "
                f"(walls {' '.join(f'{r[0]:.2f}' for r in runs)})",
                flush=True,
            )
        text = output.read_text(encoding="ascii")
        print(
            f"837P: {text.count('CLM*'):,} claims, {text.count('ST*837*')} transaction sets, {len(text) / 1e6:.1f} MB"
        )
        runs = [measure([sys.executable, "-c", VALIDATE, str(output)]) for _ in range(args.runs)]
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        print(f"pyx12 validation   wall {wall:6.2f} s  cpu {cpu:6.2f} s  valid: {runs[0][3] == 0}")
        for label, (claim_wall, claim_cpu) in medians.items():
            print(
                f"ratio pyx12 / claim {label:<10} wall {wall / claim_wall:5.1f}x  cpu {cpu / claim_cpu:5.1f}x",
            )
        for one, two in (("--jobs 1", "--jobs 2"), ("ref -j 1", "ref -j 2")):
            if one in medians and two in medians:
                print(f"{two} speed-up over {one} (wall): {medians[one][0] / medians[two][0]:.2f}x")
        if ceiling:
            alone, together = (statistics.median(pair[i] for pair in ceiling) for i in (0, 1))
            print(
                f"this machine's ceiling for two jobs: one CPU-bound loop {alone:.2f} s alone, two at once "
                f"{together:.2f} s: two cores do {2 * alone / together:.2f}x the work of one "
                f"(medians of {len(ceiling)}, one pair a round)"
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
