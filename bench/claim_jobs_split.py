"""Where `ptbill claim --jobs N`'s CPU goes: the parent's, its children's, and the 837P writing, in process.

On a shared machine the wall time of `--jobs 2` says how busy the other core was more than how well the work
splits. This bench runs the command's own pieces (`cli.fanout.divided` over `cli.claim_cmd.claims_of_chunk`,
which writes each claim's 837P text in the process that builds it, then `services.claims.stream_837p`, which
joins them) on N synthetic notes (bench/check_throughput.py's, `--allow-blocked`) and prints, for each
--jobs, the build's wall time, the parent's CPU time (which builds its share of the chunks), the CPU time of
the forked children (from os.getrusage once they are reaped, so with their pickling and exit) and the
writing's CPU time. `--pool` runs `cli.fanout.ordered` (a process pool, the parent only hands out and collects)
too, for comparison. The first round loads the reference data; the later rounds find it loaded, as the
children of a real run find it after the first chunk. On free cores the build takes about its busiest
process's CPU time (for the pool, half its children's), so the speed-up two free cores would give is the
serial CPU over that critical path.
Run: .venv/bin/python bench/claim_jobs_split.py [N] [RUNS] [--pool]
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_throughput import synthetic_stream
from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.claims.x12_837p.writer import RenderedClaim
from ptbill.cli.claim_cmd import CHUNK, Options, claims_of_chunk
from ptbill.cli.fanout import chunked, divided, ordered
from ptbill.domain.claim import ClaimFrequency
from ptbill.services.claims import default_control_numbers, stream_837p

TRADING = TradingConfig(TEST_TRADING, {})


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def once(fanout: Callable[..., Any], named: list[tuple[str, bytes | None]], jobs: int, data: Path) -> dict[str, float]:
    options = Options(None, True, ClaimFrequency.ORIGINAL, None, TRADING)
    wall, cpu, children = time.perf_counter(), time.process_time(), children_cpu()
    claims: list[RenderedClaim] = []
    for run in fanout(claims_of_chunk, list(chunked(named, CHUNK)), jobs, options):
        claims.extend(run.claims)
    build_wall, parent_cpu = time.perf_counter() - wall, time.process_time() - cpu
    started = time.process_time()
    text = "".join(stream_837p(claims, TRADING, default_control_numbers(data)))
    assert text.count("CLM*") == len(named)
    return {
        "build_wall": build_wall,
        "parent_cpu": parent_cpu,
        "children_cpu": children_cpu() - children,
        "write_cpu": time.process_time() - started,
    }


def main() -> None:
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(numbers[0]) if numbers else 10_000
    runs = int(numbers[1]) if len(numbers) > 1 else 3
    variants: dict[str, tuple[Callable[..., Any], int]] = {"--jobs 1": (divided, 1), "--jobs 2": (divided, 2)}
    if "--pool" in sys.argv:
        variants["pool, 2 jobs"] = (ordered, 2)
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        named: list[tuple[str, bytes | None]] = []
        for number, document in enumerate(synthetic_stream(count)):
            path = Path(tmp) / f"{number}.json"
            path.write_bytes(document)
            named.append((str(path), None))
        results: dict[str, list[dict[str, float]]] = {label: [] for label in variants}
        for _ in range(runs):
            for label, (fanout, jobs) in variants.items():
                results[label].append(once(fanout, named, jobs, Path(tmp) / "data"))
    medians = {label: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for label, rs in results.items()}
    for label, m in medians.items():
        print(
            f"{label}: build wall {m['build_wall']:.2f} s, parent CPU {m['parent_cpu']:.2f} s, children's CPU "
            f"{m['children_cpu']:.2f} s, 837P joining CPU {m['write_cpu']:.2f} s, all processes' CPU "
            f"{m['parent_cpu'] + m['children_cpu'] + m['write_cpu']:.2f} s"
        )
    serial = medians["--jobs 1"]["parent_cpu"] + medians["--jobs 1"]["write_cpu"]
    for label, m in medians.items():
        if label != "--jobs 1":
            # divided: the parent and one child; the pool: two children sharing the chunks, the parent aside.
            busiest = m["children_cpu"] if label.startswith("--jobs") else m["children_cpu"] / 2
            critical = max(m["parent_cpu"], busiest) + m["write_cpu"]
            print(
                f"{label}: build wall against --jobs 1's: {medians['--jobs 1']['build_wall'] / m['build_wall']:.2f}x;"
                f" CPU critical path (the busier process), build + write: {critical:.2f} s against {serial:.2f} s: "
                f"{serial / critical:.2f}x"
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
