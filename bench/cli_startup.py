"""Wall and CPU time of the two commands people wait on, beside `python -c pass` from the same virtualenv.

`ptbill units 97110=33 97012=15` (goal: at most 0.12 s) and `ptbill check <one note>` (goal: at most 0.2 s), each
run as a fresh process with the bytecode `make install` compiled, interleaved with `python -c pass` so that all
three see the same machine; the load average is printed beside the figures, because on a shared machine it
moves them more than any change does. Medians of --runs (default 9) after one warm-up run of each.

With ``--reference DIR`` (a checkout or ``git archive`` of another commit: DIR/src), each ptbill command is
also run from DIR's code (PYTHONPATH=DIR/src, compiled first, same virtualenv), interleaved with the others.

Run: .venv/bin/python bench/cli_startup.py [--runs 9] [--note tests/scenarios/medicare-lumbar-clean.json]
     [--reference /tmp/ref/]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"ptbill units": 0.12, "ptbill check": 0.2}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from the child's rusage) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # check exits 1 when a note has errors
        raise SystemExit(f"{' '.join(command)} failed with status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--note", default=str(ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"))
    parser.add_argument("--reference", type=Path, help="also run ptbill from DIR/src (another commit's code)")
    args = parser.parse_args()
    python = sys.executable
    ptbill = str(Path(python).with_name("ptbill"))
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "python -c pass": ([python, "-c", "pass"], None),
        # Round 8's floor under `ptbill check` on this machine: the two libraries its path then needed. From round 9
        # neither command imports either (plain note parts, a hand-written reader of their arguments); kept so the
        # figures compare with round 8's.
        "pydantic + click only": ([python, "-c", "import click; from pydantic import BaseModel"], None),
        "ptbill units": ([ptbill, "units", "97110=33", "97012=15"], None),
        "ptbill check": ([ptbill, "check", args.note], None),
    }
    if args.reference is not None:
        source = args.reference.resolve() / "src"
        subprocess.run([python, "-m", "compileall", "-q", str(source)], check=True, stdout=subprocess.DEVNULL)
        env = {**os.environ, "PYTHONPATH": str(source)}
        for name in ("ptbill units", "ptbill check"):
            commands[f"{name} (ref)"] = (commands[name][0], env)
    for command, env in commands.values():
        timed(command, env)  # warm-up: the reference cache and the page cache filled
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    loads = []
    for _ in range(args.runs):
        loads.append(os.getloadavg()[0])
        for name, (command, env) in commands.items():
            results[name].append(timed(command, env))
    print(f"{args.runs} interleaved runs each; load average (1 min) {min(loads):.2f} to {max(loads):.2f}")
    print(f"{'command':<22} {'wall median':>12} {'CPU median':>11} {'wall min':>9}  goal")
    for name, runs in results.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        best = min(run[0] for run in runs)
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"<= {goal:.2f} s: {'met' if wall <= goal else 'not met'}"
        print(f"{name:<22} {wall:>10.3f} s {cpu:>9.3f} s {best:>7.3f} s  {verdict}")


if __name__ == "__main__":
    main()
