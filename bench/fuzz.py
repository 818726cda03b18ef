"""Long fuzz run: hostile encounters, 837Ps and 835s (tests/hostile.py) until each target has had N inputs.

The same generators as the fuzz tests in `make test`, driven by a seeded random generator instead of
Hypothesis so that 100,000 inputs a target take minutes. Prints, per target, the inputs, the time, what
became of them (refused, read, claimed ...) and every distinct failure: an exception outside ptbill's
typed errors. Each failing input is saved for replay.

Run: ``.venv/bin/python bench/fuzz.py [--inputs 100000] [--seed 1] [--target encounter] [--save DIR]``.
Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from ptbill.x12.control_numbers import ControlNumbers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the generators are shared with the fuzz tests
from tests.hostile import targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per target (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", action="append", help="encounter, 837p or 835 (default: all three)")
    parser.add_argument("--save", type=Path, help="folder for failing inputs (default: a new temporary folder)")
    arguments = parser.parse_args()
    save = arguments.save or Path(tempfile.mkdtemp(prefix="ptbill-fuzz-"))
    save.mkdir(parents=True, exist_ok=True)
    numbers = ControlNumbers(":memory:")
    chosen = {name: target for name, target in targets(numbers).items() if name in (arguments.target or [name])}
    failed = 0
    print(f"{'target':<10} {'inputs':>8} {'seconds':>8} {'per second':>10} {'failures':>8}")
    for name, (generate, run) in chosen.items():
        generator = random.Random(f"{arguments.seed}-{name}")
        outcomes: Counter[str] = Counter()
        failures: dict[str, Path] = {}
        started = time.perf_counter()
        for number in range(arguments.inputs):
            data = generate(generator)
            try:
                outcomes[run(data)] += 1
            except Exception as error:  # what the run is looking for: anything but ptbill's typed errors
                where = traceback.extract_tb(error.__traceback__)[-1]
                key = f"{type(error).__name__} at {Path(where.filename).name}:{where.lineno}: {str(error)[:120]}"
                outcomes["FAILED"] += 1
                if key not in failures:
                    failures[key] = save / f"{name}-{number}.txt"
                    failures[key].write_text(data, encoding="utf-8", errors="surrogatepass")
        seconds = time.perf_counter() - started
        rate = arguments.inputs / seconds
        print(f"{name:<10} {arguments.inputs:>8,} {seconds:>8.1f} {rate:>10,.0f} {len(failures):>8}")
        for outcome, count in outcomes.most_common():
            print(f"    {count:>8,}  {outcome}")
        for key, path in failures.items():
            print(f"    FAILURE {key}\n            input: {path}")
        failed += len(failures)
    numbers.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
