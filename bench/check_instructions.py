"""Instructions per note of parse + check beside json.loads + model validation, counted by callgrind.

On a shared or noisy machine, CPU time of the same pass can differ by 30 % from one run to the next, and by more
between machines; an instruction count does not move with the load. So each change to the check path is measured
here too, beside its reference tree (``--reference``: a folder holding ``src/ptbill``, e.g. made with
``git archive <commit> src | tar -x -C /tmp/ref``). Instructions are not time: compiled code (pydantic-core, json)
runs about twice as many instructions a cycle as the interpreter does, so the time ratio of
``check_throughput.py`` is higher than the instruction ratio printed here.

Each phase is counted in two runs of the same process, over SMALL and LARGE distinct synthetic notes
(``check_throughput.synthetic``) after the same warm-up; the difference ÷ (LARGE − SMALL) leaves out start-up,
imports and warm-up. Phases: ``ref`` (json.loads + pydantic's validation of the Encounter), ``parse`` (parse_encounter),
``check`` (parse_encounter + check_encounter), ``check_blocking`` (the claim path's blocking_only check).
Needs valgrind (Debian's package ``valgrind``). A phase takes 1 to 3 minutes.
Run: .venv/bin/python bench/check_instructions.py [--phases ref check] [--reference /tmp/ref]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("ref", "parse", "check", "check_blocking")
SMALL, LARGE = 400, 1200
WARM_UP = 100


def workload(phase: str, count: int) -> None:
    """What callgrind counts: the warm-up, then ``count`` notes through ``phase``."""
    import json

    sys.path.insert(0, str(ROOT / "bench"))
    from check_throughput import model_validation, synthetic
    from ptbill.domain.encounter_json import build_validators, parse_encounter
    from ptbill.reference.catalog import default_catalog
    from ptbill.rules.engine import check_encounter

    build_validators()
    documents = synthetic(LARGE)
    catalog = default_catalog()
    for document in documents[:WARM_UP]:
        check_encounter(parse_encounter(document), catalog)
    documents = documents[:count]
    if phase == "ref":
        validate = model_validation()
        for document in documents:
            validate(json.loads(document))
    elif phase == "parse":
        for document in documents:
            parse_encounter(document)
    elif phase == "check":
        for document in documents:
            check_encounter(parse_encounter(document), catalog)
    else:
        for document in documents:
            check_encounter(parse_encounter(document), catalog, blocking_only=True)


def counted(phase: str, count: int, source: Path) -> int:
    """Instructions callgrind collected over the whole run of ``workload(phase, count)`` with ``source``'s code."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--workload",
            phase,
            str(count),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run of {phase} ({count} notes) failed:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def per_note(phase: str, source: Path) -> int:
    return (counted(phase, LARGE, source) - counted(phase, SMALL, source)) // (LARGE - SMALL)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=["ref", "check"])
    parser.add_argument("--reference", type=Path, help="a tree with src/ptbill to count beside this one")
    parser.add_argument("--workload", nargs=2, metavar=("PHASE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:
        workload(args.workload[0], int(args.workload[1]))
        return
    trees = {"this tree": ROOT / "src"}
    if args.reference:
        trees["reference"] = args.reference / "src"
    counts = {(name, phase): per_note(phase, src) for name, src in trees.items() for phase in args.phases}
    print(f"instructions per note (callgrind; {LARGE}-note run minus {SMALL}-note run, ÷ {LARGE - SMALL})")
    print(f"{'phase':<16}" + "".join(f"{name:>16}" for name in trees))
    for phase in args.phases:
        print(f"{phase:<16}" + "".join(f"{counts[name, phase]:>16,}" for name in trees))
    if "ref" in args.phases and "check" in args.phases:
        for name in trees:
            ratio = counts[name, "check"] / counts[name, "ref"]
            print(f"{name}: parse + check ÷ json.loads + validation = {ratio:.2f}x (instructions)")


if __name__ == "__main__":
    main()
